/**
 * A (joint) inspection of one subject (进一次门、查多项事; DOMAIN §7, §9; issue 14 §4–§5): its
 * workflow input as parsed, its view, the departments' results (谁检查、谁录入), the credit rule
 * and the publication clock (谁公开). Pure: the `jointInspection` workflow, the API and the tests
 * import it. The shared contract (input, messages, states, defaults) is domain/inspection-plan.ts.
 */
import { z } from 'zod';
import { clueCategories, clueUrgencies } from './clue.js';
import { countySchema, departmentSchema } from './departments.js';
import { inspectionCheckSchema, inspectionDefaults, type InspectionCheck, type InspectionState } from './inspection-plan.js';
import { itemIdSchema, subjectIdSchema, type CreditGrade } from './registry.js';
import { scenarioIdSchema } from './scenarios/schema.js';
import { safeText } from './text.js';
import { isoDateSchema } from './time.js';

export const inspectionStateNames: Record<InspectionState, string> = {
  scheduled: '待检查',
  inspecting: '检查中',
  publishing: '待公开',
  published: '已公开',
  cancelled: '已撤销',
};

/**
 * How long a department has to record its result (谁检查、谁录入): this many working days after
 * the visit date (the visit day itself not counted, 民法典 art. 201), or after the notice when
 * nothing needs a visit. Our default, not a statute's: the results of a visit are written up in
 * the following working week, well inside the 20 working days of publication (DOMAIN §9).
 */
export const resultWorkingDays = 5;

const distinct = (xs: string[]) => new Set(xs).size === xs.length;

/** A check list: each department once, at least one. */
export const checksSchema = z
  .array(inspectionCheckSchema)
  .min(1)
  .max(20)
  .refine((cs) => distinct(cs.map((c) => c.department)), { message: 'each department once' })
  .refine((cs) => cs.every((c) => distinct(c.items) && distinct(c.inspectors)), { message: 'each item and inspector once per department' });

/** The workflow's input, checked as it starts (domain/inspection-plan.ts JointInspectionInput). */
export const jointInspectionInputSchema = z.object({
  inspectionId: z.string().regex(/^inspection:\d{6}:\d{4}-\d{4,}$/),
  county: countySchema,
  subjectId: subjectIdSchema,
  initiator: departmentSchema,
  checks: checksSchema,
  visitOn: isoDateSchema.nullable(),
  cause: safeText().trim().min(1).max(300).optional(),
  requestedBy: z.string().min(1).max(200),
});
// The initiator is not required among the checks: a round may name its plan's lead, whose
// inspectors lead and who publishes, even when the lead's own check was merged away.

export const addChecksArgsSchema = z.object({ checks: checksSchema, requestedBy: z.string().min(1).max(200) });
export const replaceInspectorsArgsSchema = z
  .object({
    department: departmentSchema,
    removed: z.array(z.string().min(1).max(64)).min(1).max(20),
    added: z.array(z.string().min(1).max(64)).min(1).max(20),
    counter: z.number().int().min(0),
    requestedBy: z.string().min(1).max(200),
  })
  .refine((a) => distinct([...a.removed, ...a.added]), { message: 'an inspector is removed or added, once', path: ['added'] });

// ---------------------------------------------------------------- results (谁检查、谁录入)

/** A department's outcome of its check: the worst of its findings' consequences. */
export const inspectionOutcomes = ['no-issue', 'rectification', 'penalty', 'clue'] as const;
export type InspectionOutcome = (typeof inspectionOutcomes)[number];
export const inspectionOutcomeNames: Record<InspectionOutcome, string> = {
  'no-issue': '未发现问题',
  rectification: '发现问题，责令整改',
  penalty: '发现违法行为，立案查处',
  clue: '发现问题线索，移交处理',
};
/** Order of severity, for the inspection's overall result (the public one). */
const severity: Record<InspectionOutcome, number> = { 'no-issue': 0, clue: 1, rectification: 2, penalty: 3 };
export const overallOutcome = (outcomes: InspectionOutcome[]): InspectionOutcome =>
  outcomes.reduce<InspectionOutcome>((worst, o) => (severity[o] > severity[worst] ? o : worst), 'no-issue');

export const findingSchema = z.object({
  item: itemIdSchema.describe('The checked item (one of the department’s checklist)'),
  description: safeText().trim().min(2).max(1000).describe('What was found (检查发现)'),
  opens: z
    .enum(['matter', 'clue'])
    .optional()
    .describe(
      '`matter`: the finding opens a matter (rectification or penalty, by the county’s scenario); `clue`: it opens a clue (问题线索) taken in as POST /v1/clues takes one in, dispatched by the county’s catalogue to the competent department',
    ),
  matter: z
    .object({
      scenario: scenarioIdSchema,
      facts: z.record(safeText().min(1).max(64), z.unknown()).optional().describe('The scenario’s facts (validated per scenario, as POST /v1/matters)'),
    })
    .optional()
    .describe('With `opens: matter`: which matter to open about the subject (required then)'),
  /**
   * The clue a finding opens (issue 14 §5): its content is the finding's description, its subject
   * the inspection's registered subject, its channel `department` (a department's own lead, not a
   * complainant's: anonymous, no reply wanted), its ref the inspection and the finding.
   */
  clue: z
    .object({
      category: z.enum(clueCategories).describe('The clue’s category (e.g. `report` 举报): the catalogue dispatches on it and it sets the handling clock'),
      urgency: z.enum(clueUrgencies).default('normal').describe('The sign-for clock: `normal` in working days, `urgent`/`emergency` in minutes'),
    })
    .optional()
    .describe('With `opens: clue`: how the clue is classified (required then)'),
});
/** A finding as recorded with the result (what it opened is answered, not stored in the submission). */
export type Finding = Omit<z.infer<typeof findingSchema>, 'matter' | 'clue'>;

/** `POST /v1/inspections/{inspectionId}/results`. */
export const resultBodySchema = z
  .object({
    department: departmentSchema.describe('The department recording its own result (谁检查、谁录入): the caller’s'),
    outcome: z.enum(inspectionOutcomes).describe('`no-issue` 未发现问题, `rectification` 责令整改, `penalty` 立案查处, `clue` 移交线索'),
    findings: z.array(findingSchema).max(50).default([]).describe('Findings per item; none for `no-issue`'),
    summary: safeText().trim().min(2).max(2000).optional().describe('检查情况 in a few words (default: the outcome’s name)'),
  })
  .refine((b) => b.findings.every((f) => (f.opens === 'matter') === (f.matter !== undefined)), {
    message: 'a finding that opens a matter names it (`matter`), and only such a finding',
    path: ['findings'],
    // Only a body whose fields are each valid is judged as a whole: a bad field is named alone.
    when: (x) => x.issues.length === 0,
  })
  .refine((b) => b.findings.every((f) => (f.opens === 'clue') === (f.clue !== undefined)), {
    message: 'a finding that opens a clue classifies it (`clue`), and only such a finding',
    path: ['findings'],
    when: (x) => x.issues.length === 0,
  })
  .refine((b) => (b.outcome === 'no-issue') === (b.findings.length === 0), {
    message: 'findings are given exactly when something was found (outcome other than no-issue)',
    path: ['findings'],
    when: (x) => x.issues.length === 0,
  });
export type ResultBody = z.infer<typeof resultBodySchema>;

/** Findings travel in the task's submission as JSON (its `findings` text); anything else is one finding of free text. */
export function findingsOf(text: string | undefined, item: string): Finding[] {
  if (!text) return [];
  try {
    const parsed = z.array(findingSchema.omit({ matter: true, clue: true })).safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  } catch {
    // free text, from the task routes
  }
  return [{ item, description: text.slice(0, 1000) }];
}

// ---------------------------------------------------------------- credit (信用分级分类)

/**
 * The credit rule (DOMAIN §7: findings feed the credit record, which sets the next draw's ratio):
 * a penalty lowers the grade by one (A → B → C → D, and D → E where the county grades E); a
 * rectification, a clue or no issue leave it (a rectification is noted in the history without a
 * change; an A-grade subject with no issue stays A). Answers the new grade, or the same one.
 */
export function creditAfter(grade: CreditGrade, outcome: InspectionOutcome, gradeE: boolean): CreditGrade {
  if (outcome !== 'penalty') return grade;
  const next: Record<CreditGrade, CreditGrade> = { A: 'B', B: 'C', C: 'D', D: gradeE ? 'E' : 'D', E: 'E' };
  return next[grade];
}

// ---------------------------------------------------------------- the view

export interface InspectionTaskRef {
  taskId: string;
  department: string;
  kind: 'check' | 'publication';
  state: string;
}
export interface InspectionResult {
  department: string;
  taskId: string;
  outcome: InspectionOutcome;
  outcomeName: string;
  summary: string;
  findings: Finding[];
  at: string;
}

/** The inspection as its workflow reports it (Query, read model `inspections.view`). */
export interface InspectionView {
  inspectionId: string;
  county: string;
  subjectId: string;
  initiator: string;
  checks: InspectionCheck[];
  departments: string[];
  items: string[];
  inspectorIds: string[];
  visitOn: string | null;
  cause?: string;
  state: InspectionState;
  stateName: string;
  createdAt: string;
  noticeAt?: string;
  tasks: InspectionTaskRef[];
  results: InspectionResult[];
  /** The day the last department recorded (China time): the publication clock counts from it. */
  endedOn?: string;
  endedAt?: string;
  publication?: { taskId: string; dueAt: string; publishedAt?: string; resultId?: string; onTime?: boolean };
  credit?: { department: string; from: CreditGrade; to: CreditGrade }[];
  recusals: { department: string; removed: string[]; added: string[]; counter: number; at: string }[];
  lastEventSeq: number;
}

/** Departments, items and inspectors of a check list, as the read model's columns hold them. */
export function checkColumns(checks: InspectionCheck[]) {
  return {
    departments: checks.map((c) => c.department),
    items: [...new Set(checks.flatMap((c) => c.items))],
    inspectorIds: [...new Set(checks.flatMap((c) => c.inspectors))],
  };
}

/** Checks merged: a department already present gets the new items (and inspectors) added to its own. */
export function mergeChecks(into: InspectionCheck[], more: InspectionCheck[]): InspectionCheck[] {
  const out = into.map((c) => ({ ...c, items: [...c.items], inspectors: [...c.inspectors] }));
  for (const m of more) {
    const have = out.find((c) => c.department === m.department);
    if (!have) out.push({ ...m, items: [...m.items], inspectors: [...m.inspectors] });
    else {
      for (const i of m.items) if (!have.items.includes(i)) have.items.push(i);
      for (const i of m.inspectors) if (!have.inspectors.includes(i)) have.inspectors.push(i);
    }
  }
  return out;
}

/** 00:00 (+08:00) of a date, epoch ms: the visit day, from which the result clock counts. */
export const dayStartMs = (date: string) => Date.parse(`${date}T00:00:00+08:00`);

export { inspectionDefaults };
