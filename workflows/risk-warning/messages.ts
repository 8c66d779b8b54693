/**
 * The risk warning's messages (imported by the API and the tests).
 *
 * 核查 and 处置 are each department's own department task (a child of the warning, with the task's
 * clocks, ladder, extensions and calendar recomputation): `POST …/verification` and
 * `POST …/disposal` are the department's submission (`submit` on its open task of that step,
 * `openStepTask`), in the shape `verificationSubmission` / `disposalSubmission` make of the body.
 * The task's own validators refuse a wrong department (Forbidden) or state (WrongState) before
 * anything reaches history, as the warning's do for the joint review and the feedback.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { departmentSchema } from '../../domain/departments.js';
import { principalSchema } from '../../domain/principal.js';
import type { RiskWarningStep, RiskWarningView } from '../../domain/risk-warning.js';
import type { submitBodySchema } from '../../domain/task.js';
import { safeText } from '../../domain/text.js';

const text = (max: number) => safeText().trim().min(1).max(max);

// ---- 核查 and 处置: a department's submission on its task ----

/** A verification task's outcome codes: what `confirmed` is on the wire of the task. */
export const verificationOutcomes = ['confirmed', 'unfounded'] as const;

/** `POST /v1/risk-warnings/{warningId}/verification`: one department's findings (核查情况). */
export const verificationBodySchema = z.object({
  department: departmentSchema.describe('The department whose verification this is (the caller’s)'),
  findings: text(4000).describe('What the verification found (核查情况)'),
  confirmed: z.boolean().describe('The risk is real (核查属实); false: unfounded (核查不实)'),
});
export type VerificationBody = z.infer<typeof verificationBodySchema>;

/**
 * A disposal task's outcome codes: a task's submission has one outcome, so the two requests a
 * disposal may make are coded together (`disposalOutcome` reads them back).
 */
export const disposalOutcomes = ['disposed', 'open-matter', 'joint-inspection', 'open-matter-and-joint-inspection'] as const;
export type DisposalOutcome = (typeof disposalOutcomes)[number];

/** `POST /v1/risk-warnings/{warningId}/disposal`: one department's measures (处置措施). */
export const disposalBodySchema = z.object({
  department: departmentSchema.describe('The department whose disposal this is (the caller’s)'),
  measures: text(2000).describe('What was done (处置措施): order to correct, seal, penalty…'),
  openMatter: z.boolean().optional().describe('Open an integrated-supervision matter (综合监管一件事) on the subject: the county’s operators are asked'),
  jointInspection: z.boolean().optional().describe('Ask for a joint inspection (联合检查, 进一次门、查多项事): the county’s supervisors are asked'),
});
export type DisposalBody = z.infer<typeof disposalBodySchema>;

type Submission = z.input<typeof submitBodySchema>;

export function verificationSubmission(b: VerificationBody): Submission {
  return { summary: b.confirmed ? '核查属实' : '核查不实', findings: b.findings, outcome: b.confirmed ? 'confirmed' : 'unfounded' };
}

export function disposalSubmission(b: DisposalBody): Submission {
  const outcome: DisposalOutcome =
    b.openMatter && b.jointInspection ? 'open-matter-and-joint-inspection' : b.openMatter ? 'open-matter' : b.jointInspection ? 'joint-inspection' : 'disposed';
  return { summary: b.measures, outcome };
}

export function disposalOutcome(code: string | undefined): { openMatter: boolean; jointInspection: boolean } {
  return {
    openMatter: code === 'open-matter' || code === 'open-matter-and-joint-inspection',
    jointInspection: code === 'joint-inspection' || code === 'open-matter-and-joint-inspection',
  };
}

/** The department's task of `step` that is still open, if any: where its submission goes. */
export function openStepTask(view: Pick<RiskWarningView, 'tasks'>, step: RiskWarningStep, department: string): string | undefined {
  return view.tasks.find((t) => t.step === step && t.department === department && t.state === 'running')?.taskId;
}

// ---- The warning's own updates ----

/**
 * 跨部门综合研判 of a major warning, held by the county's supervisors (专班办公室) with the
 * departments concerned, after every verification and before any disposal. `disposers` default
 * to the departments whose verification confirmed the risk; the review may name others (a
 * department no catalogue row named, the police) or none.
 */
export const reviewBodySchema = z.object({
  conclusion: text(2000).describe('The joint review’s conclusion (研判结论)'),
  disposers: z
    .array(departmentSchema)
    .max(10)
    .refine((d) => new Set(d).size === d.length, 'each department at most once')
    .optional()
    .describe('The departments that dispose; default those whose verification confirmed the risk'),
  jointInspection: z.boolean().optional().describe('The review decides on a joint inspection (联合检查)'),
});
export const reviewInputSchema = reviewBodySchema.extend({ actor: principalSchema });

/** 反馈: the issuer side takes the outcome back (the model's operator, or the issuing department). */
export const feedbackBodySchema = z.object({
  summary: text(2000).describe('The feedback to the issuer (反馈情况): what was verified and done, and whether the warning was accurate'),
});
export const feedbackInputSchema = feedbackBodySchema.extend({ actor: principalSchema });

export const getRiskWarningQuery = defineQuery<RiskWarningView>('getRiskWarning');
export const reviewRiskWarningUpdate = defineUpdate<RiskWarningView, [z.input<typeof reviewInputSchema>]>('reviewRiskWarning');
export const feedbackRiskWarningUpdate = defineUpdate<RiskWarningView, [z.input<typeof feedbackInputSchema>]>('feedbackRiskWarning');
