/**
 * Rounds and draws (双随机, issue 14 §3): a round started by hand (a plan's rounds otherwise run
 * from its Schedule, api/plan-schedule.ts), its state and counts per credit grade, the draw as
 * recorded, its verification from the recorded snapshot and seed, and a subject's application for
 * recusal (行政处罚法 art. 43) answered with a logged re-draw. The draw and the seed are not
 * personal data (subject and inspector ids only); they are read by the plan's county's officers,
 * heads, supervisors and auditors.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { nextSeq } from '../../db/ids.js';
import { inspectionCounty, roundOfInspection } from '../../db/round-launches.js';
import { getPlan } from '../../db/plans.js';
import { getRound, launchCounts, loadSnapshot } from '../../db/rounds.js';
import { shanghaiDate } from '../../domain/calendar/index.js';
import { departmentName, divisionName } from '../../domain/departments.js';
import { verifyDraw, type DrawResult } from '../../domain/draw.js';
import { planIdSchema } from '../../domain/inspection-plan.js';
import { coversCounty, hasRole, type Principal } from '../../domain/principal.js';
import { creditGrades } from '../../domain/registry.js';
import { inspectionIdSchema, recusalBodySchema, roundIds, roundStateNames, roundStates, roundUrlIdSchema } from '../../domain/round.js';
import { SA } from '../../domain/search-attributes.js';
import { recusalUpdate, type InspectionRoundInput } from '../../workflows/inspection-round.js';
import type { AppDeps } from '../app.js';
import { ApiError, forbidden, notFound } from '../errors.js';
import { idempotencyHeaders, reserveWorkflowId, updateIdFor } from '../idempotency.js';
import { act, errorResponses } from '../plumbing.js';

const toUrl = (roundId: string) => roundId.replaceAll('/', '~');
const fromUrl = (urlId: string) => urlId.replaceAll('~', '/');

const gradeCount = z.object({ eligible: z.number().int(), planned: z.number().int(), drawn: z.number().int() });
const roundSchema = z.object({
  roundId: roundUrlIdSchema,
  planId: z.string(),
  county: z.string(),
  state: z.enum(roundStates),
  stateName: z.string(),
  scheduledOn: z.string().describe('The round’s date (China time), part of the published value'),
  seed: z.string().describe('SHA-256 hex of `<roundId>|<publishedValue>`, recorded before the snapshot'),
  publishedValue: z.string().describe('`<planId>|<scheduledOn>`: fixed before the round (domain/round.ts)'),
  seededAt: z.string(),
  snapshotHash: z.string().nullable().describe('SHA-256 of the registry snapshot’s canonical JSON (RFC 8785)'),
  snapshotAt: z.string().nullable(),
  drawnAt: z.string().nullable(),
  visitOn: z.string().nullable().describe('The visits’ date: the 5th working day after the draw, within the window; null: no item needs a visit'),
  grades: z.partialRecord(z.enum(creditGrades), gradeCount).describe('Per credit grade: eligible subjects, planned (ratio, rounded up) and drawn'),
  drawn: z.number().int(),
  skipped: z.number().int(),
  launched: z
    .object({ started: z.number().int(), merged: z.number().int() })
    .describe('New joint inspections, and checks added to open ones (进一次门、查多项事)'),
  recusals: z.number().int().describe('Logged re-draws after subjects’ applications for recusal'),
});

const drawSchema = z.object({
  seed: z.string(),
  snapshotHash: z.string(),
  subjects: z.array(
    z.object({
      subjectId: z.string(),
      creditGrade: z.enum(creditGrades),
      inspectors: z.record(z.string(), z.array(z.string())).describe('Per department: its drawn inspectors’ ids'),
      required: z.object({ causes: z.array(z.string()), despite: z.array(z.string()) }).optional(),
    }),
  ),
  skipped: z.array(z.object({ subjectId: z.string(), reason: z.string() })),
  recusals: z.array(
    z.object({ counter: z.number().int(), subjectId: z.string(), department: z.string(), removed: z.array(z.string()), added: z.array(z.string()) }),
  ),
});

const verificationSchema = z.object({
  reproduced: z.boolean(),
  differences: z
    .array(z.object({ path: z.string(), recorded: z.unknown(), recomputed: z.unknown() }))
    .optional()
    .describe('What differs (the first 100): `seed`, `snapshotHash`, `grades`, `subjects[<id>]`, `skipped[<id>]`, `recusals[<n>]`'),
});

const errors = errorResponses(400, 401, 403, 404, 409, 503);
const params = z.object({ roundId: roundUrlIdSchema });

/** Readers of a round: the county's officers, heads, supervisors and auditors (and higher divisions'). */
const mayRead = (p: Principal, county: string) => coversCounty(p, county) && hasRole(p, 'officer', 'head', 'supervisor', 'auditor');

export const roundRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { pool, temporal, config } = deps;

    async function visibleRound(p: Principal, urlId: string) {
      const round = await getRound(pool, fromUrl(urlId));
      if (!round || !mayRead(p, round.county)) throw notFound('抽查轮次');
      return round;
    }

    app.post(
      '/plans/:planId/rounds',
      {
        schema: {
          summary: 'Start a round of the plan by hand (双随机抽查): the seed is fixed, the registry snapshot taken, the draw made and the inspections launched',
          description:
            'The plan’s lead department (an officer or head) or the county’s supervisors. The round’s id is `<planId>/round:<n>`; with an `Idempotency-Key` a retry answers 200 with the same round. Refused (409 `outside_window`) after the plan’s window has ended.',
          tags: ['rounds'],
          headers: idempotencyHeaders,
          params: z.object({ planId: planIdSchema }),
          response: { 201: z.object({ roundId: roundUrlIdSchema }), 200: z.object({ roundId: roundUrlIdSchema }), ...errors },
        },
      },
      async (req, reply) => {
        const p = req.principal;
        const plan = await getPlan(pool, req.params.planId);
        if (!plan || !coversCounty(p, plan.county)) throw notFound('计划');
        const lead = p.department === plan.lead && hasRole(p, 'officer', 'head');
        if (!(lead || (hasRole(p, 'supervisor') && p.county === plan.county))) throw forbidden('轮次由计划的牵头部门或本县督查人员发起');
        if (shanghaiDate(Date.now()) > plan.window.to) throw new ApiError(409, 'outside_window', `计划的检查期限已于 ${plan.window.to} 结束`);
        const { workflowId: roundId, created } = await reserveWorkflowId(pool, {
          scope: `round:${plan.planId}`,
          key: req.headers['idempotency-key'],
          body: { planId: plan.planId },
          newId: async () => roundIds.byHand(plan.planId, await nextSeq(pool, `round:${plan.planId}`)),
        });
        const input: InspectionRoundInput = { planId: plan.planId, requestedBy: p.keyId };
        try {
          await temporal.workflow.start('inspectionRound', {
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            workflowId: roundId,
            args: [input],
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            staticSummary: `双随机抽查轮次 · ${divisionName(plan.county)} · ${departmentName(plan.lead)}牵头`,
            typedSearchAttributes: [{ key: SA.County, value: plan.county }],
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
        void reply.code(created ? 201 : 200);
        return { roundId: toUrl(roundId) };
      },
    );

    app.get(
      '/rounds/:roundId',
      {
        schema: {
          summary: 'A round: its state, seed, snapshot hash, counts per credit grade and what it launched',
          description: 'A round started moments ago may not have recorded its seed yet: 404 until it has.',
          tags: ['rounds'],
          params,
          response: { 200: roundSchema, ...errors },
        },
      },
      async (req) => {
        const round = await visibleRound(req.principal, req.params.roundId);
        const result = (
          await pool.query<{ grades: DrawResult['grades'] | null; drawn: number | null; skipped: number | null; recusals: number | null }>(
            `SELECT result->'grades' AS grades, jsonb_array_length(result->'subjects') AS drawn, jsonb_array_length(result->'skipped') AS skipped,
                  jsonb_array_length(result->'recusals') AS recusals FROM rounds WHERE round_id = $1`,
            [round.roundId],
          )
        ).rows[0]!;
        return {
          roundId: toUrl(round.roundId),
          planId: round.planId,
          county: round.county,
          state: round.state,
          stateName: roundStateNames[round.state],
          scheduledOn: round.scheduledOn,
          seed: round.seed,
          publishedValue: round.publishedValue,
          seededAt: round.seededAt,
          snapshotHash: round.snapshotHash,
          snapshotAt: round.snapshotAt,
          drawnAt: round.drawnAt,
          visitOn: round.visitOn,
          grades: result.grades ?? {},
          drawn: result.drawn ?? 0,
          skipped: result.skipped ?? 0,
          launched: await launchCounts(pool, round.roundId),
          recusals: result.recusals ?? 0,
        };
      },
    );

    app.get(
      '/rounds/:roundId/draw',
      {
        schema: {
          summary: 'The draw as recorded: seed, snapshot hash, the subjects drawn with each department’s inspectors, those left out and why, the recusal log',
          description:
            'Answered whole (a round draws a few thousand subjects at most; the skipped list names subject ids and reasons only). 409 `not_drawn` before the draw. Anyone may recompute it with domain/draw.ts from the seed and the snapshot (POST …/draw/verify does so).',
          tags: ['rounds'],
          params,
          response: { 200: drawSchema, ...errors },
        },
      },
      async (req) => {
        const round = await visibleRound(req.principal, req.params.roundId);
        const result = (await pool.query<{ result: DrawResult | null }>('SELECT result FROM rounds WHERE round_id = $1', [round.roundId])).rows[0]?.result;
        if (!result) throw new ApiError(409, 'not_drawn', '该轮次尚未抽取');
        return { seed: result.seed, snapshotHash: result.snapshotHash, subjects: result.subjects, skipped: result.skipped, recusals: result.recusals };
      },
    );

    app.post(
      '/rounds/:roundId/draw/verify',
      {
        schema: {
          summary: 'Recompute the draw from the recorded snapshot, plan and seed (and replay the recusal log): `{ reproduced: true }` or what differs',
          description: 'Also checks that the seed is the one fixed from the round id and the published value. Changes nothing.',
          tags: ['rounds'],
          params,
          response: { 200: verificationSchema, ...errors },
        },
      },
      async (req) => {
        const round = await visibleRound(req.principal, req.params.roundId);
        const stored = await loadSnapshot(pool, round.roundId);
        if (!stored?.result) throw new ApiError(409, 'not_drawn', '该轮次尚未抽取');
        return verifyDraw(stored.snapshot, stored.plan, stored.result, { roundId: round.roundId, publishedValue: round.publishedValue });
      },
    );

    app.post(
      '/inspections/:inspectionId/recusal',
      {
        schema: {
          summary:
            'Record a subject’s application for recusal (申请回避, 行政处罚法 art. 43): the round re-draws the named inspectors, logged, and the inspection gets the new ones',
          description:
            'Recorded by an officer or head of the inspection’s county. Refused with 409 `not-in-team` (a named inspector is not on the department’s team), `not-drawn`, `insufficient-inspectors:<department>` (nobody left to draw: escalate), or `round_closed`. With an `Idempotency-Key` a retry answers the same re-draw.',
          tags: ['rounds'],
          headers: idempotencyHeaders,
          params: z.object({ inspectionId: inspectionIdSchema }),
          body: recusalBodySchema,
          response: {
            201: z.object({
              roundId: roundUrlIdSchema,
              counter: z.number().int().describe('The re-draw’s number in the round’s recusal log'),
              subjectId: z.string(),
              department: z.string(),
              removed: z.array(z.string()),
              added: z.array(z.string()),
            }),
            ...errors,
          },
        },
      },
      async (req, reply) => {
        const p = req.principal;
        const county = await inspectionCounty(pool, req.params.inspectionId);
        if (!county || !coversCounty(p, county) || !hasRole(p, 'officer', 'head', 'supervisor')) throw notFound('检查');
        if (p.county !== county || !hasRole(p, 'officer', 'head')) throw forbidden('回避申请由本县执法部门人员登记');
        const found = await roundOfInspection(pool, req.params.inspectionId, req.body.department);
        if (!found) throw new ApiError(409, 'not-drawn', '该部门未参加这次抽查');
        const handle = temporal.workflow.getHandle(found.roundId);
        const updateId = updateIdFor(req.headers['idempotency-key'], 'recusal', found.roundId);
        try {
          const outcome = await act(
            deps,
            () =>
              handle.executeUpdate(recusalUpdate, {
                args: [{ ...req.body, inspectionId: req.params.inspectionId, requestedBy: p.keyId }],
                ...(updateId ? { updateId } : {}),
              }),
            () => new ApiError(409, 'round_closed', '该轮次已结束，不再受理回避申请'),
          );
          void reply.code(201);
          return { roundId: toUrl(found.roundId), ...outcome };
        } catch (err) {
          const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
          if (cause instanceof ApplicationFailure && cause.type) {
            const why = cause.type === 'RoundNotOpen' ? 'round_closed' : cause.type;
            throw new ApiError(409, why, why === 'round_closed' ? '该轮次尚未派发检查或已结束' : `重新抽取被拒绝：${why}`);
          }
          throw err;
        }
      },
    );
  };
