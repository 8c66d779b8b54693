/**
 * What the scenario (matter) workflow tests share: launching a matter of the catalogue, and
 * reading what it recorded (stages, timeline events, timers, the public record).
 */
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { expect } from 'vitest';
import type { MatterInput, MatterView, Subject } from '../../domain/matter.js';
import { catalogue } from '../../domain/scenarios/catalogue.js';
import { resolveScenario, type ScenarioId, type ScenarioOverride } from '../../domain/scenarios/schema.js';
import type { TestDatabase } from './db.js';
import { eventually } from './eventually.js';
import { MatterDriver } from './matter-driver.js';

export interface MatterLaunch {
  subject: Subject;
  facts: Record<string, unknown>;
  source?: MatterInput['source'];
  /** A county override of the catalogue's definition. */
  override?: ScenarioOverride | undefined;
  /** The matter's workflow id, when a test needs to know it in advance. */
  workflowId?: string;
}

/**
 * A launcher for one scenario: starts its matter workflow with the catalogue's definition (as
 * overridden) on the file's queue, as `matter:<county>:<scenario>:<idTag>-<8 hex>`, and returns a
 * driver for it. `wf` is read at launch time (a live `useWorkflowEnv` object).
 */
export function matterLauncher(
  wf: { readonly client: Client; readonly taskQueue: string },
  scenario: ScenarioId,
  workflow: (input: MatterInput) => Promise<MatterView>,
  o: { county?: string; createdBy?: string; idTag?: string } = {},
) {
  const county = o.county ?? '610124';
  return async (l: MatterLaunch): Promise<MatterDriver> => {
    const input: MatterInput = {
      county,
      subject: l.subject,
      facts: l.facts,
      ...(l.source ? { source: l.source } : {}),
      definition: resolveScenario(catalogue[scenario], l.override),
      createdBy: o.createdBy ?? 'k-operator',
    };
    const handle = await wf.client.workflow.start(workflow, {
      taskQueue: wf.taskQueue,
      workflowId: l.workflowId ?? `matter:${county}:${scenario}:${o.idTag ?? 't'}-${randomUUID().slice(0, 8)}`,
      args: [input],
    });
    return new MatterDriver(wf.client, handle);
  };
}

export interface PublicRecord {
  subject_label: string;
  result_code: string;
  summary: string;
  inspected_by: string[];
  version: number;
  published_by: 'lead' | 'system';
}

/** Read-model queries about matters, against the file's database (`wf.db`, read at call time). */
export function matterRecords(wf: { readonly db: TestDatabase }) {
  return {
    /** The stages the matter entered, in order. */
    async stages(matterId: string): Promise<string[]> {
      const res = await wf.db.pool.query("SELECT data->>'stage' AS stage FROM timeline_events WHERE workflow_id = $1 AND type = 'stage' ORDER BY seq", [
        matterId,
      ]);
      return res.rows.map((r) => r.stage as string);
    },

    /** Waits (real time, bounded) until the matter has recorded `n` events of `type`. */
    async recorded(matterId: string, type: string, n: number): Promise<void> {
      await eventually(
        async () => {
          const res = await wf.db.pool.query('SELECT count(*)::int AS n FROM timeline_events WHERE workflow_id = $1 AND type = $2', [matterId, type]);
          return res.rows[0].n >= n;
        },
        { intervalMs: 100, message: `${matterId} to record ${n} ${type} events` },
      );
    },

    /** The matter's one public inspection result (asserted to be exactly one), as the public reads it now. */
    async publicRecord(matterId: string): Promise<PublicRecord> {
      const pub = await wf.db.pool.query(
        "SELECT subject_label, result_code, summary, inspected_by, version, published_by FROM public_results WHERE matter_id = $1 AND kind = 'inspection'",
        [matterId],
      );
      expect(pub.rows).toHaveLength(1);
      return pub.rows[0] as PublicRecord;
    },

    /** Every version of the matter's inspection result, oldest first: [code, change, by]. */
    async resultVersions(matterId: string): Promise<[string, string, string][]> {
      const res = await wf.db.pool.query('SELECT result_code, change, by_whom FROM public_result_versions WHERE result_id = $1 ORDER BY version', [
        `${matterId}/result`,
      ]);
      return res.rows.map((r) => [r.result_code, r.change, r.by_whom]);
    },

    /** The penalty decisions published for the matter: [department, summary]. */
    async penaltiesPublished(matterId: string): Promise<string[][]> {
      const res = await wf.db.pool.query("SELECT inspected_by, summary FROM public_results WHERE matter_id = $1 AND kind = 'penalty' ORDER BY result_id", [
        matterId,
      ]);
      return res.rows.map((r) => [r.inspected_by[0], r.summary]);
    },
  };
}

/**
 * Skips time on the time-skipping server until the workflow's `n`-th timer has fired (plus a
 * minute). Periods are counted by the calendar (a period ending on a rest day ends on the next
 * working day), so a fixed number of days would pass on some dates and not on others.
 */
type SkippingEnv = { sleep(ms: number): Promise<void>; currentTimeMs(): Promise<number> };

/**
 * `env.sleep(ms)`, failing with what it saw when the server's time stops moving: a skip that
 * stalls (the server's time skipping locked, a workflow task that never completes) says so, with
 * how far the server got, instead of running into the test's timeout.
 */
export async function skipTime(env: SkippingEnv, ms: number, stallMs = 40_000): Promise<void> {
  const from = await env.currentTimeMs();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void env
        .currentTimeMs()
        .then(
          (at) =>
            reject(
              new Error(
                `time skipping stalled: asked to move ${Math.round(ms / 1000)} s from ${new Date(from).toISOString()}, the server is at ${new Date(at).toISOString()} after ${stallMs / 1000} s of real time`,
              ),
            ),
          reject,
        );
    }, stallMs);
  });
  await Promise.race([env.sleep(ms), stalled]).finally(() => clearTimeout(timer));
}

export async function sleepPastTimer(env: SkippingEnv, handle: WorkflowHandle, n: number): Promise<void> {
  await timers(handle, n);
  const history = await handle.fetchHistory();
  const started = (history.events ?? []).filter((e) => e.timerStartedEventAttributes);
  const e = started[n - 1]!;
  const t = e.timerStartedEventAttributes!.startToFireTimeout;
  const firesAt = Number(e.eventTime?.seconds ?? 0) * 1000 + Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);
  await skipTime(env, Math.max(firesAt - (await env.currentTimeMs()), 0) + 60_000);
}

/**
 * Waits (real time, bounded) until the server holds the workflow's `n`-th timer and returns the
 * timers' durations (ms): the event recorded just before a wait is written before the timer is
 * started, so sleeping on that alone could race.
 */
export async function timers(handle: WorkflowHandle, n: number): Promise<number[]> {
  return eventually(
    async () => {
      const history = await handle.fetchHistory();
      const started = (history.events ?? []).flatMap((e) => (e.timerStartedEventAttributes ? [e.timerStartedEventAttributes] : []));
      return (
        started.length >= n && started.map((t) => Number(t.startToFireTimeout?.seconds ?? 0) * 1000 + Math.round((t.startToFireTimeout?.nanos ?? 0) / 1e6))
      );
    },
    { intervalMs: 100, message: `${handle.workflowId} to start ${n} timers` },
  );
}
