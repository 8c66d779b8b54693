/**
 * Working-day deadlines inside a running workflow, on the time-skipping server. Its clock starts at
 * the real current time and only moves forward, so the test publishes a schedule for a future
 * year — a three-day holiday and an adjusted working Saturday — and moves time into it.
 */
import { randomUUID } from 'node:crypto';
import { settle } from '../helpers/history.js';
import { describe, expect, test } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { publishCalendarYear } from '../../db/calendar.js';
import { shanghaiDate } from '../../domain/calendar/index.js';
import { departmentTask, getTaskQuery } from '../../workflows/department-task.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// The API publishes the year in the second test; its recomputation runs on the file's worker.
const wf = useWorkflowEnv({ queue: 'cal', app: true, keys: { admin: { county: '610124', roles: ['admin'] } } });

/** The first Monday of June in `year`, and the dates around it as YYYY-MM-DD. */
function juneWeek(year: number) {
  let d = Date.UTC(year, 5, 1);
  while (new Date(d).getUTCDay() !== 1) d += DAY;
  const date = (offset: number) => new Date(d + offset * DAY).toISOString().slice(0, 10);
  /** Shanghai wall-clock time on the day `offset` days after the Monday. */
  const at = (offset: number, hh: number, mm = 0, ss = 0, ms = 0) => d + offset * DAY + (hh - 8) * HOUR + mm * 60_000 + ss * 1000 + ms;
  return { date, at };
}

/** Tuesday–Thursday off, the following Saturday worked: like a short Labour Day break. */
function schedule(w: ReturnType<typeof juneWeek>) {
  return {
    holidays: [{ name: '测试假期', from: w.date(1), to: w.date(3) }],
    adjustedWorkdays: [w.date(5)],
  };
}

/** [rung, the working day at whose 09:00 +08:00 (office hours) it fired], allowing the timer a moment. */
function rungDays(escalations: { rung: string; firedAt: string }[]) {
  return escalations.map((e) => {
    const day = shanghaiDate(Date.parse(e.firedAt));
    const late = Date.parse(e.firedAt) - Date.parse(`${day}T09:00:00.000+08:00`);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(2000);
    return [e.rung, day];
  });
}

/** The calendar revision the worker resolves with: the newest published version's id. */
async function revision(): Promise<number> {
  return (await wf.db.pool.query('SELECT coalesce(max(id), 0)::int AS r FROM calendar_years')).rows[0].r as number;
}

async function sleepUntil(ms: number) {
  const now = await wf.env.currentTimeMs();
  if (ms > now) await wf.env.sleep(ms - now);
}

async function startTask() {
  return wf.client.workflow.start(departmentTask, {
    taskQueue: wf.taskQueue,
    workflowId: `task:610124:housing:cal-${randomUUID().slice(0, 8)}`,
    args: [{
      county: '610124', department: 'housing', title: '节假日期限测试', instructions: '',
      limits: { signFor: { amount: 3, unit: 'working_day', startsFrom: 'assignment' }, handle: { amount: 5, unit: 'working_day', startsFrom: 'sign-for' } },
    }],
  });
}

describe('deadlines on a published future year', () => {
  test('a 3-working-day limit crosses the break and the adjusted Saturday; the ladder fires on working days', async () => {
    const year = Number(shanghaiDate(await wf.env.currentTimeMs()).slice(0, 4)) + 1;
    const w = juneWeek(year);
    await publishCalendarYear(wf.db.pool, year, schedule(w), 'test', null);
    await sleepUntil(w.at(0, 10));
    const h = await startTask();
    // The sign-for clock is resolved by the task's first workflow task: wait for it, not for time.
    const v = await eventually(async () => {
      const view = await h.query(getTaskQuery);
      return view.currentDeadline ? view : undefined;
    }, { message: 'the sign-for deadline' });
    // Monday 10:00. Not counted: Monday itself (art. 201). Tue–Thu off; Friday is day 1, the
    // adjusted Saturday day 2, Sunday off, the next Monday day 3.
    expect(v.currentDeadline).toEqual({
      kind: 'sign-for', dueAt: `${w.date(7)}T23:59:59.999+08:00`, provisional: false,
      countsFrom: { event: 'assignment', at: v.assignedAt }, calendarRevision: await revision(),
    });

    await sleepUntil(w.at(8, 12));
    const fired = rungDays((await h.query(getTaskQuery)).escalations);
    // Reminder one working day before, in office hours: the adjusted Saturday (not Friday, not a
    // holiday). Chase when overdue: the next working morning, Tuesday 09:00 (not Monday 23:59:59).
    expect(fired).toEqual([['reminder', w.date(5)], ['chase', w.date(8)]]);
    await sleepUntil(w.at(11, 12));
    const after = await h.query(getTaskQuery);
    // Yellow card 3 working days after the deadline's day: Tue, Wed, Thu → Thursday 09:00.
    expect(rungDays(after.escalations).at(-1)).toEqual(['yellow-card', w.date(10)]);
    await h.terminate('test done');
  });

  test('publishing the year moves an open task’s provisional deadline and its timers', async () => {
    const year = Number(shanghaiDate(await wf.env.currentTimeMs()).slice(0, 4)) + 1;
    const w = juneWeek(year);
    await sleepUntil(w.at(0, 10));
    const h = await startTask();
    // Not published yet: weekends only, so Tue, Wed, Thu → Thursday, provisional.
    expect(await eventually(async () => (await h.query(getTaskQuery)).currentDeadline, { message: 'the sign-for deadline' })).toMatchObject({ kind: 'sign-for', dueAt: `${w.date(3)}T23:59:59.999+08:00`, provisional: true });
    // The read model is how publication finds open tasks: wait until the assignment is written.
    await settle(h);
    const row = await wf.db.pool.query('SELECT due_provisional FROM tasks WHERE task_id = $1', [h.workflowId]);
    expect(row.rows[0].due_provisional).toBe(true);

    const res = await wf.app.inject({
      method: 'PUT', url: `/v1/calendar/${year}`, headers: { authorization: `Bearer ${wf.keys.admin}` },
      payload: { ...schedule(w), source: '测试通知' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().recomputation).toMatchObject({ workflowId: `calendar:${year}:v1` });

    // The signal is handled asynchronously: wait (briefly, real time) for the recomputation.
    let v = await h.query(getTaskQuery);
    for (let i = 0; i < 50 && v.currentDeadline?.provisional; i++) {
      await new Promise((r) => setTimeout(r, 100));
      v = await h.query(getTaskQuery);
    }
    expect(v.currentDeadline).toEqual({
      kind: 'sign-for', dueAt: `${w.date(7)}T23:59:59.999+08:00`, provisional: false,
      countsFrom: { event: 'assignment', at: v.assignedAt }, calendarRevision: await revision(),
    });
    await settle(h); // the recomputation's event is written by an activity after the state changed
    const timeline = await wf.db.pool.query('SELECT type, data FROM timeline_events WHERE workflow_id = $1 ORDER BY seq', [h.workflowId]);
    expect(timeline.rows.map((r) => r.type)).toEqual(['assigned', 'deadline.recomputed']);
    expect(timeline.rows[1].data).toMatchObject({ before: `${w.date(3)}T23:59:59.999+08:00`, after: `${w.date(7)}T23:59:59.999+08:00`, provisional: false });
    const notes = await wf.db.pool.query('SELECT kind, department FROM notifications WHERE object_id = $1 AND kind = $2', [h.workflowId, 'task.deadline-moved']);
    expect(notes.rows).toEqual([{ kind: 'task.deadline-moved', department: 'housing' }]);

    // The old deadline passes without a chase; the new one brings exactly one.
    await sleepUntil(w.at(4, 12));
    v = await h.query(getTaskQuery);
    expect(v.overdue).toBe(false);
    expect(v.escalations.map((e) => e.rung)).toEqual([]);
    await sleepUntil(w.at(8, 12));
    v = await h.query(getTaskQuery);
    expect(v.overdue).toBe(true);
    expect(rungDays(v.escalations)).toEqual([['reminder', w.date(5)], ['chase', w.date(8)]]);
    await h.terminate('test done');
  });
});
