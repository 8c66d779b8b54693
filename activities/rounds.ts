/**
 * The activities of an inspection round (workflows/inspection-round/): each step stores its result
 * in PostgreSQL and answers with a few counts, so the snapshot (tens of MB for 100,000 subjects)
 * and the draw never enter workflow history. Each is idempotent: a retry finds what the first
 * attempt stored (the seed, the snapshot, the draw, each subject's inspection id) and goes on.
 */
import { activityInfo, getClient } from '@temporalio/activity';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from '../db/pool.js';
import { inTransaction } from '../db/sql.js';
import { currentItem } from '../db/inspection-items.js';
import { yearlyCap } from '../db/inspection-settings.js';
import { getPlan } from '../db/plans.js';
import * as rounds from '../db/rounds.js';
import * as launches from '../db/round-launches.js';
import type { Calendar } from '../domain/calendar/index.js';
import { departmentName, divisionName } from '../domain/departments.js';
import { canonicalSnapshot, draw, drawSeed, redraw, snapshotHash, type DrawPlan, type DrawResult } from '../domain/draw.js';
import {
  inspectionDefaults,
  jointInspectionMessages,
  type AddChecksArgs,
  type InspectionCheck,
  type JointInspectionInput,
  type ReplaceInspectorsArgs,
} from '../domain/inspection-plan.js';
import { addDays, publishedValue, visitDate, type RecusalArgs, type RecusalOutcome } from '../domain/round.js';
import { SA } from '../domain/search-attributes.js';

export interface RoundCounts {
  drawn: number;
  skipped: number;
  grades: DrawResult['grades'];
  visitOn: string | null;
  /** When the round stops taking recusal applications: the end of the plan's window (ms). */
  closesOn: string;
}

const refused = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

export function roundActivities(deps: { pool: Pool; calendar: () => Promise<Calendar> }) {
  const { pool } = deps;
  const planOf = async (planId: string) => {
    const plan = await getPlan(pool, planId);
    if (!plan) throw refused('PlanNotFound', `no plan ${planId}`);
    return plan;
  };
  const roundOf = async (roundId: string) => {
    const round = await rounds.getRound(pool, roundId);
    if (!round) throw refused('RoundNotFound', `no round ${roundId}`);
    return round;
  };

  return {
    /** Fixes the seed from the round id and the published value, and records it before anything else. */
    async seedRound(req: { roundId: string; planId: string; scheduledOn: string; requestedBy: string }): Promise<{ seed: string; publishedValue: string }> {
      const plan = await planOf(req.planId);
      const value = publishedValue(req.planId, req.scheduledOn);
      const row = await rounds.recordSeed(pool, { ...req, county: plan.county, publishedValue: value, seed: drawSeed(req.roundId, value) });
      return { seed: row.seed, publishedValue: row.publishedValue };
    },

    /** Takes the registry snapshot (after the seed) and stores it with its hash, once. */
    async snapshotRound(req: { roundId: string }): Promise<{ snapshotHash: string; subjects: number; inspectors: number }> {
      const round = await roundOf(req.roundId);
      const plan = await planOf(round.planId);
      if (!round.snapshotHash) {
        const departments = [plan.lead, ...plan.cooperating];
        const recentWindow = {
          from: addDays(round.scheduledOn, -inspectionDefaults.recentWindowDays),
          to: addDays(round.scheduledOn, inspectionDefaults.recentWindowDays),
        };
        const cap = await yearlyCap(pool, plan.county);
        const snapshot = canonicalSnapshot({
          county: plan.county,
          subjects: await rounds.snapshotSubjects(pool, plan.county, plan.target),
          inspectors: await rounds.snapshotInspectors(pool, plan.county, departments),
        });
        const drawPlan: DrawPlan = {
          items: plan.items,
          departments,
          ratios: plan.ratios,
          target: plan.target,
          recentInspections: await rounds.recentInspections(pool, plan.county, recentWindow),
          window: recentWindow,
          ...(cap !== undefined ? { yearlyCap: cap, inspectedThisYear: await rounds.inspectionsThisYear(pool, plan.county, plan.year) } : {}),
        };
        await rounds.storeSnapshot(pool, req.roundId, snapshot, drawPlan, snapshotHash(snapshot));
      }
      const r = (
        await pool.query(
          "SELECT snapshot_hash, jsonb_array_length(snapshot->'subjects') AS s, jsonb_array_length(snapshot->'inspectors') AS i FROM rounds WHERE round_id = $1",
          [req.roundId],
        )
      ).rows[0];
      return { snapshotHash: r.snapshot_hash, subjects: r.s, inspectors: r.i };
    },

    /** Draws from the stored snapshot and seed, and stores the result with the visits' date, once. */
    async drawRound(req: { roundId: string }): Promise<RoundCounts> {
      const round = await roundOf(req.roundId);
      const plan = await planOf(round.planId);
      const stored = await rounds.loadSnapshot(pool, req.roundId);
      if (!stored) throw ApplicationFailure.create({ type: 'NoSnapshot', message: `round ${req.roundId} has no snapshot yet` });
      let result = stored.result;
      let visitOn = round.visitOn;
      if (!result) {
        result = draw(stored.snapshot, stored.plan, round.seed);
        const items = await Promise.all(plan.items.map((id) => currentItem(pool, plan.county, id)));
        const departments = [plan.lead, ...plan.cooperating];
        const checks = departments.map((department) => {
          const own = items.filter((i) => i && (i.lead === department || i.cooperating.includes(department))).map((i) => i!.itemId);
          return { department, items: own.length ? own : plan.items };
        });
        // No visit when every item is checked in writing or off-site (DOMAIN §7: no site visit where a written check suffices).
        const needsVisit = items.some((i) => !i || i.method === 'on-site');
        visitOn = needsVisit ? visitDate(round.scheduledOn, plan.window, await deps.calendar()) : null;
        await rounds.storeResult(pool, req.roundId, result, visitOn, { initiator: plan.lead, checks });
        const again = await rounds.getRound(pool, req.roundId);
        visitOn = again!.visitOn;
        result = (await rounds.loadResult(pool, req.roundId))!;
      }
      return { drawn: result.subjects.length, skipped: result.skipped.length, grades: result.grades, visitOn, closesOn: plan.window.to };
    },

    /**
     * Launches the inspections of up to `limit` drawn subjects after `after` (by id): each merged
     * into an open inspection visiting it within the merge window (`addChecks`), else started as
     * a new `jointInspection` that outlives the round. Answers the last subject done (null: all).
     */
    async launchRoundBatch(req: { roundId: string; after: string | null; limit: number }): Promise<{ started: number; merged: number; next: string | null }> {
      const round = await roundOf(req.roundId);
      const plan = await planOf(round.planId);
      const result = await rounds.loadResult(pool, req.roundId);
      if (!result || !round.launchPlan) throw ApplicationFailure.create({ type: 'NotDrawn', message: `round ${req.roundId} is not drawn yet` });
      if (round.state === 'drawn') await rounds.setRoundState(pool, req.roundId, 'launching');
      const todo = result.subjects.filter((s) => req.after === null || s.subjectId > req.after).slice(0, req.limit);
      const client = getClient();
      const taskQueue = activityInfo().taskQueue;
      let started = 0;
      let merged = 0;
      for (const s of todo) {
        const checks: InspectionCheck[] = round.launchPlan.checks.map((c) => ({
          department: c.department,
          items: c.items,
          inspectors: s.inspectors[c.department]!,
          planId: plan.planId,
          roundId: req.roundId,
        }));
        const key = { roundId: req.roundId, county: plan.county, year: plan.year, subjectId: s.subjectId };
        let launch = await inTransaction(pool, (c) =>
          launches.decideLaunch(c, { ...key, visitOn: round.visitOn, mergeWindowDays: inspectionDefaults.mergeWindowDays }),
        );
        if (!launch.delivered && launch.kind === 'merged') {
          const joined = await addChecks(client, launch.inspectionId, { checks, requestedBy: round.requestedBy }, `${req.roundId}/add:${s.subjectId}`);
          if (!joined) launch = await inTransaction(pool, (c) => launches.launchAnew(c, key));
        }
        if (!launch.delivered && launch.kind === 'started') {
          const input: JointInspectionInput = {
            inspectionId: launch.inspectionId,
            county: plan.county,
            subjectId: s.subjectId,
            initiator: round.launchPlan.initiator,
            checks,
            visitOn: round.visitOn,
            requestedBy: round.requestedBy,
          };
          try {
            await client.workflow.start('jointInspection', {
              taskQueue,
              workflowId: launch.inspectionId,
              args: [input],
              workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
              workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
              // The county and the departments, never the subject (a sole trader is personal data).
              staticSummary: `双随机抽查 · ${divisionName(plan.county)} · ${checks.map((c) => departmentName(c.department)).join('、')}`,
              typedSearchAttributes: [{ key: SA.County, value: plan.county }],
            });
          } catch (err) {
            if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          }
        }
        if (!launch.delivered) await launches.markDelivered(pool, req.roundId, s.subjectId);
        if (launch.kind === 'started') started++;
        else merged++;
      }
      const next =
        todo.length === req.limit && todo[todo.length - 1]!.subjectId !== result.subjects[result.subjects.length - 1]?.subjectId
          ? todo[todo.length - 1]!.subjectId
          : null;
      return { started, merged, next };
    },

    async setRoundState(req: { roundId: string; state: 'launched' | 'closed' }): Promise<void> {
      await rounds.setRoundState(pool, req.roundId, req.state);
    },

    /**
     * Records a subject's application for recusal as a logged re-draw (domain/draw.ts `redraw`),
     * once per request id. Refusals (not drawn, not on the team, too few inspectors left) are
     * non-retryable failures whose type the route answers.
     */
    async recordRecusal(req: RecusalArgs & { roundId: string; requestId: string }): Promise<RecusalOutcome> {
      return inTransaction(pool, async (c) => {
        await rounds.lockRoundRecusals(c, req.roundId);
        const prior = await launches.recusalByRequest(c, req.roundId, req.requestId);
        if (prior) return { counter: prior.counter, subjectId: prior.subjectId, department: prior.department, removed: prior.removed, added: prior.added };
        const launch = (await c.query('SELECT subject_id FROM round_launches WHERE round_id = $1 AND inspection_id = $2', [req.roundId, req.inspectionId]))
          .rows[0];
        if (!launch) throw refused('not-in-round', 'the inspection was not launched by this round');
        const stored = (await rounds.loadSnapshot(c, req.roundId))!;
        const outcome = redraw(stored.snapshot, stored.plan, stored.result!, {
          subjectId: launch.subject_id,
          department: req.department,
          inspectorIds: req.inspectors,
        });
        if (!outcome.ok) throw refused(outcome.reason, `the re-draw was refused: ${outcome.reason}`);
        await c.query('UPDATE rounds SET result = $2::jsonb WHERE round_id = $1', [req.roundId, JSON.stringify(outcome.result)]);
        const e = outcome.entry;
        await launches.insertRecusal(c, {
          ...e,
          roundId: req.roundId,
          inspectionId: req.inspectionId,
          reason: req.reason,
          requestId: req.requestId,
          requestedBy: req.requestedBy,
        });
        return { counter: e.counter, subjectId: e.subjectId, department: e.department, removed: e.removed, added: e.added };
      });
    },

    /** Delivers a logged re-draw to its inspection (`replaceInspectors`, Update id from the counter). */
    async deliverRecusal(req: { roundId: string; counter: number }): Promise<{ delivered: boolean }> {
      const r = await launches.recusalByCounter(pool, req.roundId, req.counter);
      if (!r || r.delivered) return { delivered: Boolean(r) };
      const args: ReplaceInspectorsArgs = { department: r.department, removed: r.removed, added: r.added, counter: r.counter, requestedBy: r.requestedBy };
      const handle = getClient().workflow.getHandle(r.inspectionId);
      try {
        await handle.executeUpdate(jointInspectionMessages.replaceInspectors, { args: [args], updateId: `${req.roundId}/recusal:${r.counter}` });
      } catch (err) {
        if (!(err instanceof WorkflowUpdateFailedError) && !(await ended(handle))) throw err;
        return { delivered: false }; // refused (the visit took place) or ended: recorded, told by the round
      }
      await launches.markRecusalDelivered(pool, req.roundId, r.counter);
      return { delivered: true };
    },
  };
}

type Handle = ReturnType<ReturnType<typeof getClient>['workflow']['getHandle']>;

/** Whether the workflow has ended (an Update can no longer reach it); not found yet: not ended. */
async function ended(handle: Handle): Promise<boolean> {
  try {
    return (await handle.describe()).status.name !== 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** Joins an open inspection; false when it refused or has ended (the subject then gets its own). */
async function addChecks(client: ReturnType<typeof getClient>, inspectionId: string, args: AddChecksArgs, updateId: string): Promise<boolean> {
  const handle = client.workflow.getHandle(inspectionId);
  try {
    await handle.executeUpdate(jointInspectionMessages.addChecks, { args: [args], updateId });
    return true;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return false;
    if (await ended(handle)) return false;
    throw err; // not started yet by its round, or unavailable: retried
  }
}
