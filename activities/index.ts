import { ApplicationFailure } from '@temporalio/common';
import { describePgError, isDataException, pgErrorSummary } from '../db/errors.js';
import type { Pool } from '../db/pool.js';
import { recordEvent, verifyEveryChain, type ChainVerification } from '../db/events.js';
import { recordAuditVerification, recordViewEvent } from '../db/recording.js';
import { closeInterruptedTaskRow } from '../db/tasks.js';
import { countiesWithPublishedItems, seasonCoverage } from '../db/plans.js';
import { inTransaction } from '../db/sql.js';
import type { LeadCoverage } from '../domain/planning-season.js';
import { insertPublicResult, type PublicResult } from '../db/matters.js';
import type { MatterView } from '../domain/matter.js';
import type { ApprovalView } from '../domain/approval.js';
import type { InspectionOutcome, InspectionView } from '../domain/inspection.js';
import type { CreditGrade } from '../domain/registry.js';
import { applyInspectionCredit, publishInspectionResult } from '../db/inspections.js';
import type { ClueView } from '../domain/clue.js';
import type { RiskWarningView } from '../domain/risk-warning.js';
import type { DisputeView } from '../domain/dispute.js';
import type { TransferView } from '../domain/transfer.js';
import { CalendarStore, listOpenWorkflowsAffectedByYear } from '../db/calendar.js';
import { resolveDeadline, type Calendar, type TimeLimitRuleInput } from '../domain/calendar/index.js';
import { DAILY_CHASES_PER_RESOLUTION, resolveClock as resolveClockOn, workingMornings, type ClockRequest, type ResolvedClock } from '../domain/ladder.js';
import type { EventRecord, ViewRecord } from '../domain/events.js';
import type { TaskView } from '../domain/task.js';
import type { RecordedMatterView } from '../db/matters.js';
import { roundActivities } from './rounds.js';

export interface ActivityDeps {
  pool: Pool;
  /** The working-day calendar in force; defaults to PostgreSQL's (db/calendar.ts) over the shipped schedules. */
  calendar?: () => Promise<Calendar>;
}

export type { ClockRequest, ResolvedClock } from '../domain/ladder.js';

/**
 * Runs the write of one event (`what` names it by id: never row contents). PostgreSQL refusing the
 * data itself (SQLSTATE class 22: NUL, an unpaired surrogate, a time out of range) fails the
 * activity at once and for good (`DataRefused`, non-retryable): no retry could store it, and
 * retrying without end would wedge the workflow. Other database errors stay retryable (an outage
 * delays the read model, it never loses an event). Either way the failure says only the SQLSTATE
 * and the table: the worker logs it, and PostgreSQL's own message and detail quote the row.
 */
async function storing(what: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (err) {
    const pgError = pgErrorSummary(err);
    if (!pgError) throw err; // connection errors and the like: no row contents in them
    const message = `PostgreSQL refused ${what}: ${describePgError(pgError)}`;
    if (isDataException(err)) {
      throw ApplicationFailure.create({
        type: 'DataRefused',
        nonRetryable: true,
        message: `${message}; its data cannot be stored (e.g. NUL or an unpaired surrogate in text), so it is not retried`,
      });
    }
    throw ApplicationFailure.create({ type: 'DatabaseError', message });
  }
}

const eventName = (e: EventRecord) => `event ${e.workflowId}#${e.seq} (${e.type})`;

/**
 * Activities take their dependencies (ActivityDeps) so tests can run them against a throwaway
 * database. Every write is keyed by a stable event id, so Temporal's retries never duplicate.
 */
export function createActivities(deps: ActivityDeps) {
  const store = new CalendarStore(deps.pool);
  const calendarWithRevision = deps.calendar ? async () => ({ calendar: await deps.calendar!(), revision: 0 }) : () => store.currentWithRevision();
  const calendar = async () => (await calendarWithRevision()).calendar;
  return {
    /** An inspection round's steps (activities/rounds.ts). */
    ...roundActivities({ pool: deps.pool, calendar }),

    /**
     * Resolves a deadline and its ladder rungs with the calendar in force. Run as a local activity
     * so the result is recorded in history: replay never depends on later calendar edits. Always
     * from the original start event, so re-resolving after a calendar correction is exact.
     */
    async resolveClock(req: ClockRequest): Promise<ResolvedClock> {
      const { calendar: cal, revision } = await calendarWithRevision();
      return resolveClockOn(req, cal, revision);
    },

    /** More working mornings to chase on, once a clock's list of daily chases is used up. */
    async nextDailyChases(req: { afterMs: number }): Promise<number[]> {
      return workingMornings(req.afterMs, DAILY_CHASES_PER_RESOLUTION, (await calendarWithRevision()).calendar);
    },

    /** Writes one matter event: read model, timeline, audit entry and notifications, atomically. */
    async recordMatterEvent(input: { event: EventRecord } & ViewRecord<MatterView | RecordedMatterView>): Promise<void> {
      await storing(eventName(input.event), () => recordViewEvent(deps.pool, 'matters', input));
    },

    /** Writes one dispute event: read model, timeline, audit entry and notifications, atomically. */
    async recordDisputeEvent(input: { event: EventRecord } & ViewRecord<DisputeView>): Promise<void> {
      await storing(eventName(input.event), () => recordViewEvent(deps.pool, 'disputes', input));
    },

    /** Writes one criminal-transfer event: read model, timeline, audit entry and notifications, atomically. */
    async recordTransferEvent(input: { event: EventRecord } & ViewRecord<TransferView>): Promise<void> {
      await storing(eventName(input.event), () => recordViewEvent(deps.pool, 'transfers', input));
    },

    /** Writes one clue event: read model, timeline, audit entry and notifications, atomically. */
    async recordClueEvent(input: { event: EventRecord } & ViewRecord<ClueView>): Promise<void> {
      await storing(eventName(input.event), () => recordViewEvent(deps.pool, 'clues', input));
    },

    /** Writes one risk-warning event: read model, timeline, audit entry and notifications, atomically. */
    async recordRiskWarningEvent(input: { event: EventRecord } & ViewRecord<RiskWarningView>): Promise<void> {
      await storing(eventName(input.event), () => recordViewEvent(deps.pool, 'risk_warnings', input));
    },

    /** Writes one approval follow-up event: read model, timeline, audit entry and notifications, atomically. */
    async recordApprovalEvent(input: { event: EventRecord } & ViewRecord<ApprovalView>): Promise<void> {
      await storing(eventName(input.event), () => recordViewEvent(deps.pool, 'approvals', input));
    },

    /** Writes one joint-inspection event: read model (0021's columns), timeline, audit entry and notifications, atomically. */
    async recordInspectionEvent(input: { event: EventRecord } & ViewRecord<InspectionView>): Promise<void> {
      await storing(eventName(input.event), () => recordViewEvent(deps.pool, 'inspections', input));
    },

    /** What a department's result does to the subject's credit grade, once per inspection and department (history kept). */
    async applyInspectionCredit(req: {
      inspectionId: string;
      department: string;
      county: string;
      subjectId: string;
      outcome: InspectionOutcome;
    }): Promise<{ from: CreditGrade; to: CreditGrade } | null> {
      let out: { from: CreditGrade; to: CreditGrade } | undefined;
      await storing(`credit of ${req.inspectionId} (${req.department})`, async () => {
        out = await applyInspectionCredit(deps.pool, req);
      });
      return out ?? null;
    },

    /** Publishes an inspection's result (一公开): the subject named only when an organisation. Idempotent on the result id. */
    async publishInspectionResult(r: Parameters<typeof publishInspectionResult>[1]): Promise<void> {
      await storing(`public result ${r.resultId}`, () => publishInspectionResult(deps.pool, r));
    },

    /** Writes the public record of a closed matter (一公开). Idempotent on the result id. */
    async publishResult(result: PublicResult): Promise<void> {
      await storing(`public result ${result.resultId}`, () => insertPublicResult(deps.pool, result));
    },

    /**
     * Open workflows (tasks, matters, disputes) whose clocks a change to `year` can move, a page
     * at a time (db/calendar.ts). The name is older than matters and disputes being listed.
     */
    async listTasksAffectedByYear(req: { year: number; after?: string; limit?: number }): Promise<string[]> {
      return listOpenWorkflowsAffectedByYear(deps.pool, req);
    },

    /** A plain deadline (e.g. the end of a rectification period) with the calendar in force. */
    async resolveDue(req: { startMs: number; rule: TimeLimitRuleInput }): Promise<{ dueAtMs: number; dueAt: string; provisional: boolean }> {
      return resolveDeadline(req.startMs, req.rule, await calendar());
    },

    /** A matter's step ended outside the API: its inbox row is closed (the task could not write it). */
    async closeInterruptedTask(req: { view: TaskView }): Promise<void> {
      await closeInterruptedTaskRow(deps.pool, req.view);
    },

    /** Recomputes every county's audit chain (the daily verification): results and heads. */
    async verifyAuditChains(): Promise<{ chains: ChainVerification[]; legacyOk: boolean }> {
      return verifyEveryChain(deps.pool);
    },

    /**
     * Stores a verification run and its events (one per county chain: the result in the county's
     * own trail, a break told to its supervisors, the head sent to its city's), atomically.
     */
    async recordAuditVerification(input: {
      workflowId: string;
      at: string;
      chains: ChainVerification[];
      legacyOk: boolean;
      events: EventRecord[];
    }): Promise<void> {
      await storing(`audit verification ${input.workflowId}`, () => recordAuditVerification(deps.pool, input));
    },

    /**
     * The planning season's check (DOMAIN §7): per lead department of the county's published
     * items, which a plan of the year covers. Read afresh at every rung, so a lead that has filed
     * its plan is never chased, whether or not anything told the season.
     */
    async planningCoverage(req: { county: string; year: number }): Promise<LeadCoverage[]> {
      return seasonCoverage(deps.pool, req.county, req.year);
    },

    /** The counties a planning season is started for: those with a published item (the yearly launch). */
    async listCountiesWithPublishedItems(): Promise<string[]> {
      return countiesWithPublishedItems(deps.pool);
    },

    /** Writes one planning-season event (timeline, audit entry, notifications), atomically; it has no read-model row. */
    async recordSeasonEvent(input: { event: EventRecord }): Promise<void> {
      await storing(eventName(input.event), () => inTransaction(deps.pool, (client) => recordEvent(client, input.event)));
    },

    /** Writes one task event: read model, timeline, audit entry and notifications, atomically. */
    async recordTaskEvent(input: { event: EventRecord } & ViewRecord<TaskView>): Promise<void> {
      await storing(eventName(input.event), () => recordViewEvent(deps.pool, 'tasks', input));
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
