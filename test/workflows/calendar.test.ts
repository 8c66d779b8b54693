/**
 * Working-day deadlines inside a running workflow, on the time-skipping server. Its clock starts at
 * the real current time and only moves forward, so the test publishes a schedule for a future
 * year — a three-day holiday and an adjusted working Saturday — and moves time into it.
 */
import { randomUUID } from 'node:crypto';
import { settle } from '../helpers/history.js';
import { describe, expect, test } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { listOpenWorkflowsAffectedByYear, publishCalendarYear } from '../../db/calendar.js';
import { shanghaiDate } from '../../domain/calendar/index.js';
import { departmentTask, getTaskQuery } from '../../workflows/department-task.js';
import { calendarPublication } from '../../workflows/calendar-publication.js';
import { getDisputeQuery, jurisdictionDispute } from '../../workflows/jurisdiction-dispute.js';
import { selfBuiltHousingMatter } from '../../workflows/scenarios/self-built-housing.js';
import { matterLauncher, timers } from '../helpers/matters.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// The API publishes the year in the second test; its recomputation runs on the file's worker.
const wf = useWorkflowEnv({ queue: 'cal', app: true, keys: { platform: { county: '610000', roles: ['platform'] } } });
const startMatter = matterLauncher(wf, 'self-built-housing', selfBuiltHousingMatter);

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
    args: [
      {
        county: '610124',
        department: 'housing',
        title: '节假日期限测试',
        instructions: '',
        limits: { signFor: { amount: 3, unit: 'working_day', startsFrom: 'assignment' }, handle: { amount: 5, unit: 'working_day', startsFrom: 'sign-for' } },
      },
    ],
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
    const v = await eventually(
      async () => {
        const view = await h.query(getTaskQuery);
        return view.currentDeadline ? view : undefined;
      },
      { message: 'the sign-for deadline' },
    );
    // Monday 10:00. Not counted: Monday itself (art. 201). Tue–Thu off; Friday is day 1, the
    // adjusted Saturday day 2, Sunday off, the next Monday day 3.
    expect(v.currentDeadline).toEqual({
      kind: 'sign-for',
      dueAt: `${w.date(7)}T23:59:59.999+08:00`,
      provisional: false,
      countsFrom: { event: 'assignment', at: v.assignedAt },
      calendarRevision: await revision(),
    });

    await sleepUntil(w.at(8, 12));
    const fired = rungDays((await h.query(getTaskQuery)).escalations);
    // Reminder one working day before, in office hours: the adjusted Saturday (not Friday, not a
    // holiday). Chase when overdue: the next working morning, Tuesday 09:00 (not Monday 23:59:59).
    expect(fired).toEqual([
      ['reminder', w.date(5)],
      ['chase', w.date(8)],
    ]);
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
    expect(await eventually(async () => (await h.query(getTaskQuery)).currentDeadline, { message: 'the sign-for deadline' })).toMatchObject({
      kind: 'sign-for',
      dueAt: `${w.date(3)}T23:59:59.999+08:00`,
      provisional: true,
    });
    // The read model is how publication finds open tasks: wait until the assignment is written.
    await settle(h);
    const row = await wf.db.pool.query('SELECT due_provisional FROM tasks WHERE task_id = $1', [h.workflowId]);
    expect(row.rows[0].due_provisional).toBe(true);

    const res = await wf.app.inject({
      method: 'PUT',
      url: `/v1/calendar/${year}`,
      headers: { authorization: `Bearer ${wf.keys.platform}` },
      payload: { ...schedule(w), source: '测试通知' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().recomputation).toMatchObject({ workflowId: `calendar:${year}:v1` });

    // The signal is handled asynchronously: wait (briefly, real time) for the recomputation.
    let v = await eventually(
      async () => {
        const now = await h.query(getTaskQuery);
        return !now.currentDeadline?.provisional && now;
      },
      { timeoutMs: 5_000, intervalMs: 100, message: 'the recomputed deadline' },
    );
    expect(v.currentDeadline).toEqual({
      kind: 'sign-for',
      dueAt: `${w.date(7)}T23:59:59.999+08:00`,
      provisional: false,
      countsFrom: { event: 'assignment', at: v.assignedAt },
      calendarRevision: await revision(),
    });
    await settle(h); // the recomputation's event is written by an activity after the state changed
    const timeline = await wf.db.pool.query('SELECT type, data FROM timeline_events WHERE workflow_id = $1 ORDER BY seq', [h.workflowId]);
    expect(timeline.rows.map((r) => r.type)).toEqual(['assigned', 'deadline.recomputed']);
    expect(timeline.rows[1].data).toMatchObject({ before: `${w.date(3)}T23:59:59.999+08:00`, after: `${w.date(7)}T23:59:59.999+08:00`, provisional: false });
    const notes = await wf.db.pool.query('SELECT kind, department FROM notifications WHERE object_id = $1 AND kind = $2', [
      h.workflowId,
      'task.deadline-moved',
    ]);
    expect(notes.rows).toEqual([{ kind: 'task.deadline-moved', department: 'housing' }]);

    // The old deadline passes without a chase; the new one brings exactly one.
    await sleepUntil(w.at(4, 12));
    v = await h.query(getTaskQuery);
    expect(v.overdue).toBe(false);
    expect(v.escalations.map((e) => e.rung)).toEqual([]);
    await sleepUntil(w.at(8, 12));
    v = await h.query(getTaskQuery);
    expect(v.overdue).toBe(true);
    expect(rungDays(v.escalations)).toEqual([
      ['reminder', w.date(5)],
      ['chase', w.date(8)],
    ]);
    await h.terminate('test done');
  });

  test('publishing the year moves a matter’s rectification period and a dispute’s rung, each from its own start', async () => {
    const year = Number(shanghaiDate(await wf.env.currentTimeMs()).slice(0, 4)) + 2;
    const w = juneWeek(year);
    await sleepUntil(w.at(0, 10));
    const d = await startMatter({ subject: { name: '某房屋', kind: 'house' }, facts: { township: '610124100' } });
    await d.complete('survey.locality', 'hazard-suspected');
    await d.complete('survey.housing', 'appraisal-needed');
    await d.complete('survey.planning', 'legal');
    await d.complete('appraisal', 'B');
    await d.complete('rectification.notice', 'notice-issued', { rectifyWithinDays: 2 });
    // Monday + 2 calendar days: Wednesday, a working day while the year is unpublished.
    const period = await eventually(
      async () =>
        (await wf.db.pool.query("SELECT data FROM timeline_events WHERE workflow_id = $1 AND type = 'rectification.period'", [d.handle.workflowId])).rows[0],
      { message: 'the rectification period' },
    );
    expect(period.data.dueAt).toBe(`${w.date(2)}T23:59:59.999+08:00`);
    await timers(d.handle, 2); // the publication deadline of the check's result, then the period
    const dispute = await wf.client.workflow.start(jurisdictionDispute, {
      taskQueue: wf.taskQueue,
      workflowId: `dispute:610124:cal-${randomUUID().slice(0, 8)}`,
      args: [
        {
          county: '610124',
          taskKey: 'survey.planning',
          taskTitle: '规划与用地合法性核查',
          parties: ['natural-resources', 'agriculture'],
          returnedBy: 'natural-resources',
          reason: '宅基地审批属农业农村部门',
        },
      ],
    });
    // Negotiation, 7 working days from Monday on weekends alone: the Wednesday of the next week.
    expect(await eventually(async () => (await dispute.query(getDisputeQuery)).dueAt, { message: 'the negotiation deadline' })).toBe(
      `${w.date(9)}T23:59:59.999+08:00`,
    );
    await eventually(async () => (await wf.db.pool.query("SELECT 1 FROM disputes WHERE dispute_id = $1 AND state = 'open'", [dispute.workflowId])).rows[0], {
      message: 'the dispute in the read model',
    });

    const res = await wf.app.inject({
      method: 'PUT',
      url: `/v1/calendar/${year}`,
      headers: { authorization: `Bearer ${wf.keys.platform}` },
      payload: { ...schedule(w), source: '测试通知' },
    });
    expect(res.statusCode).toBe(200);

    // The period's last day is now a holiday (Tue–Thu off): it ends on Friday (民法典 art. 203).
    const moved = await eventually(
      async () =>
        (
          await wf.db.pool.query("SELECT data FROM timeline_events WHERE workflow_id = $1 AND type = 'deadline.recomputed' AND data->>'what' = '整改期限'", [
            d.handle.workflowId,
          ])
        ).rows[0],
      { message: 'the matter’s recomputation' },
    );
    expect(moved.data).toEqual({ what: '整改期限', before: `${w.date(2)}T23:59:59.999+08:00`, after: `${w.date(4)}T23:59:59.999+08:00`, provisional: false });
    // The rung: Fri, the worked Saturday, Mon … Fri of the next week is the 7th working day.
    const rung = await eventually(
      async () =>
        (await wf.db.pool.query("SELECT data FROM timeline_events WHERE workflow_id = $1 AND type = 'dispute.recomputed'", [dispute.workflowId])).rows[0],
      { message: 'the dispute’s recomputation' },
    );
    expect(rung.data).toEqual({ rung: 'negotiation', before: `${w.date(9)}T23:59:59.999+08:00`, after: `${w.date(11)}T23:59:59.999+08:00` });
    expect((await dispute.query(getDisputeQuery)).dueAt).toBe(`${w.date(11)}T23:59:59.999+08:00`);

    // The old end passes and nothing happens; the new one brings the re-inspection.
    await sleepUntil(w.at(3, 12));
    expect((await d.view()).tasks.map((t) => t.key)).not.toContain('reinspection');
    await sleepUntil(w.at(5, 12));
    await d.waitFor('reinspection');
    await d.handle.cancel();
    await d.handle.result().catch(() => undefined); // ended before the next test lists what is open
    await dispute.terminate('test done');
  });

  test('publication walks every page of open workflows, each told once', async () => {
    const year = Number(shanghaiDate(await wf.env.currentTimeMs()).slice(0, 4));
    const tasks = await Promise.all(Array.from({ length: 5 }, () => startTask()));
    for (const t of tasks)
      await eventually(async () => (await wf.db.pool.query('SELECT 1 FROM tasks WHERE task_id = $1', [t.workflowId])).rows[0], {
        message: 'the task in the read model',
      });
    const listed = await listOpenWorkflowsAffectedByYear(wf.db.pool, { year });
    expect(listed).toEqual(expect.arrayContaining(tasks.map((t) => t.workflowId)));
    const h = await wf.client.workflow.start(calendarPublication, {
      taskQueue: wf.taskQueue,
      workflowId: `calendar:${year}:pages-${randomUUID().slice(0, 8)}`,
      args: [{ year, version: 99, pageSize: 2 }],
    });
    // A listed workflow that ended meanwhile (here: earlier tests' terminated tasks, whose rows
    // still read open) cannot take the signal, and that is harmless.
    const running = (await Promise.all(listed.map(async (id) => (await wf.client.workflow.getHandle(id).describe()).status.name === 'RUNNING'))).filter(
      Boolean,
    ).length;
    expect(await h.result()).toEqual({ signalled: running, affected: listed.length });
    const pages = (await h.fetchHistory()).events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'listTasksAffectedByYear');
    expect(pages).toHaveLength(Math.floor(listed.length / 2) + 1);
    // Every task got the signal exactly once, whichever page it was on.
    for (const t of tasks) {
      const signals = (await t.fetchHistory()).events!.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'recomputeDeadlines');
      expect(signals, t.workflowId).toHaveLength(1);
      await t.terminate('test done');
    }
  });
});
