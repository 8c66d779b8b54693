/**
 * Issue 11 §4: recording activities carry what changed (workflows/recording.ts viewDeltas, applied
 * by db/views.ts), and the read model still ends up exactly as the workflow's view, whatever order
 * the writes land in. Run against PostgreSQL as the service's runtime role, through the real
 * recording activity.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createPool, type Pool } from '../../db/pool.js';
import type { EventRecord } from '../../domain/events.js';
import { untouchedTask, type TaskView } from '../../domain/task.js';
import { viewDeltas } from '../../workflows/recording.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { eventually } from '../helpers/eventually.js';

let db: TestDatabase;
let runtime: Pool;
let acts: ReturnType<typeof createActivities>;
beforeAll(async () => {
  db = await freshDatabase();
  runtime = createPool({ DATABASE_URL: db.runtimeUrl, PG_POOL_MAX: 3, PG_CONNECTION_TIMEOUT_MS: 5000, PG_STATEMENT_TIMEOUT_MS: 30000 });
  acts = createActivities({ pool: runtime });
});
afterAll(async () => {
  await runtime?.end();
  await db?.drop();
});

const baseView = (taskId: string): TaskView => ({
  taskId,
  county: '610124',
  department: 'housing',
  title: '核查',
  instructions: '现场核查（只应写一次）',
  state: 'assigned',
  assignedAt: '2026-03-02T09:00:00+08:00',
  ...untouchedTask(),
});
const due = (n: number) => ({ kind: 'handle' as const, dueAt: `2026-03-${String(10 + n).padStart(2, '0')}T17:30:00+08:00`, provisional: false });

/** One change a workflow makes to its view between two writes; some undo what another did. */
const change = fc.oneof(
  fc.constantFrom<TaskView['state']>('assigned', 'signed', 'submitted').map((state) => (v: TaskView) => {
    v.state = state;
  }),
  fc.boolean().map((overdue) => (v: TaskView) => {
    v.overdue = overdue;
  }),
  fc.integer({ min: 0, max: 2 }).map((n) => (v: TaskView) => {
    v.currentDeadline = due(n);
  }),
  fc.constant((v: TaskView) => {
    delete v.currentDeadline;
  }),
  fc.string({ maxLength: 4 }).map((comment) => (v: TaskView) => {
    v.reviews.push({ decision: 'rework', comment, at: '2026-03-03T10:00:00+08:00' });
  }),
  fc.constant((v: TaskView) => {
    v.reviews = [];
  }),
);
/** The workflow either writes its next event, or one of its writes in flight lands (index among them). */
const step = fc.oneof(
  fc.array(change, { minLength: 0, maxLength: 3 }).map((changes) => ({ write: changes })),
  fc.nat().map((pick) => ({ land: pick })),
);

let runs = 0;
const event = (workflowId: string, seq: number): EventRecord => ({
  workflowId,
  seq,
  county: '610124',
  at: '2026-03-02T09:00:00+08:00',
  type: 'test',
  summary: `#${seq}`,
});
const row = async (taskId: string) =>
  (await db.pool.query<{ view: TaskView; last_seq: number }>('SELECT view, last_seq FROM tasks WHERE task_id = $1', [taskId])).rows[0];

describe('recording what changed', () => {
  test('whatever order writes land in, the row always equals the view of the latest write landed, and ends equal to the last', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        const taskId = `task:610124:housing:2026-${String(++runs).padStart(4, '0')}`;
        const view = baseView(taskId);
        const deltas = viewDeltas<TaskView>(['taskId', 'county']);
        const snapshots = new Map<number, TaskView>();
        const inFlight: { seq: number; input: Parameters<typeof acts.recordTaskEvent>[0] }[] = [];
        let landedMax = 0;
        const land = async (i: number) => {
          const [w] = inFlight.splice(i, 1);
          await acts.recordTaskEvent(w!.input);
          deltas.landed(w!.seq);
          landedMax = Math.max(landedMax, w!.seq);
          expect((await row(taskId))!.view).toEqual(snapshots.get(landedMax));
        };
        for (const s of [{ write: [] as ((v: TaskView) => void)[] }, ...steps]) {
          if ('write' in s) {
            for (const c of s.write) c(view);
            view.lastEventSeq += 1;
            snapshots.set(view.lastEventSeq, JSON.parse(JSON.stringify(view)) as TaskView);
            inFlight.push({ seq: view.lastEventSeq, input: { event: event(taskId, view.lastEventSeq), ...deltas.next(view, false) } });
          } else if (inFlight.length) {
            await land(s.land % inFlight.length);
          }
        }
        while (inFlight.length) await land(0);
        const last = await row(taskId);
        expect(last!.view).toEqual(snapshots.get(view.lastEventSeq));
        expect(last!.last_seq).toBe(view.lastEventSeq);
      }),
      { numRuns: 60 },
    );
  });

  test('after the first write lands, later writes leave out what did not change; a retried patch changes nothing', async () => {
    const taskId = 'task:610124:housing:2026-9001';
    const view = baseView(taskId);
    const deltas = viewDeltas<TaskView>(['taskId', 'county']);
    view.lastEventSeq = 1;
    const first = deltas.next(view, false);
    expect(first).toEqual({ view });
    await acts.recordTaskEvent({ event: event(taskId, 1), ...first });
    deltas.landed(1);

    view.lastEventSeq = 2;
    view.state = 'signed';
    const second = deltas.next(view, false);
    expect(second).toEqual({ patch: { set: { taskId, county: '610124', state: 'signed', lastEventSeq: 2 }, unset: [] } });
    expect(JSON.stringify(second)).not.toContain('现场核查');
    await acts.recordTaskEvent({ event: event(taskId, 2), ...second });
    await acts.recordTaskEvent({ event: event(taskId, 2), ...second }); // Temporal's retry
    expect(await row(taskId)).toEqual({ view, last_seq: 2 });
    // `whole` (a run from before patched('delta-recording')) always sends the view.
    expect(deltas.next(view, true)).toEqual({ view });
  });

  test('a patch for a row that is not there is an error naming only the id, retried, and writes nothing', async () => {
    const taskId = 'task:610124:housing:2026-9002';
    const err = await acts
      .recordTaskEvent({ event: event(taskId, 2), patch: { set: { taskId, county: '610124', lastEventSeq: 2, instructions: '不应出现' }, unset: [] } })
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(err).toBeInstanceOf(Error);
    expect(err?.message).toBe(`no tasks row for ${taskId} to apply the write of #2 to`);
    expect(await row(taskId)).toBeUndefined();
    expect((await db.pool.query('SELECT 1 FROM timeline_events WHERE workflow_id = $1', [taskId])).rowCount).toBe(0);
  });

  test('the county’s audit chain lock comes last: a recording waiting for it has already written its row, and lands when it is free', async () => {
    const taskId = 'task:610124:housing:2026-9003';
    const view = baseView(taskId);
    view.lastEventSeq = 1;
    await acts.recordTaskEvent({ event: event(taskId, 1), view });
    // Another event of the county holds the chain (db/events.ts appendAudit's lock) until it commits.
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(7233003, hashtext($1))', ['610124']);
      const recording = acts.recordTaskEvent({
        event: event(taskId, 2),
        patch: { set: { taskId, county: '610124', state: 'signed', lastEventSeq: 2 }, unset: [] },
      });
      // Waiting for the chain, it already holds its read-model row (written, not yet committed).
      await eventually(
        async () => {
          const rowLocked = await db.pool.query('SELECT 1 FROM tasks WHERE task_id = $1 FOR UPDATE NOWAIT', [taskId]).then(
            () => false,
            (e: { code?: string }) => e.code === '55P03',
          );
          const waiting = await db.pool.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 7233003 AND NOT granted");
          return rowLocked && waiting.rowCount === 1;
        },
        { message: 'the recording holding its row while it waits for the chain lock' },
      );
      expect((await row(taskId))!.last_seq).toBe(1);
      await holder.query('COMMIT');
      await recording;
    } finally {
      holder.release(true); // never back to the pool: on a failure it is still in its transaction
    }
    expect((await row(taskId))!.view).toEqual({ ...view, state: 'signed', lastEventSeq: 2 });
    const audit = await db.pool.query<{ event_id: string }>('SELECT event_id FROM audit_log WHERE object_id = $1 ORDER BY id', [taskId]);
    expect(audit.rows.map((r) => r.event_id)).toEqual([`${taskId}#1`, `${taskId}#2`]);
  });
});
