/**
 * How planning seasons start, on the real dev server (issue 14 §2): the worker's Schedule exists
 * once (however often it is ensured) and fires on 1 January and 1 March, China time; its action
 * (the yearly launch) starts one season per county with a published item, once: run again, it
 * finds them running. The season's view and a plan filed through the API agree.
 */
import { describe, expect, test } from 'vitest';
import { shanghaiDate } from '../../domain/calendar/index.js';
import { planningSeasonLaunch } from '../../workflows/planning-season.js';
import { ensureSchedules, planningSeasonScheduleId } from '../../worker/schedules.js';
import { eventually } from '../helpers/eventually.js';
import { settle } from '../helpers/history.js';
import { useStack } from '../helpers/stack.js';

const county = '610124';
const stack = useStack({
  queue: 'e2e-planning-season',
  keys: {
    admin: { county, roles: ['admin'] },
    supervisor: { county, roles: ['supervisor'] },
    housing: { county, department: 'housing', roles: ['officer'] },
  },
});

describe('starting the planning seasons (a Temporal Schedule)', () => {
  test('one schedule on 1 January and 1 March, 00:10 Asia/Shanghai; its launch starts each county’s season once; filing a plan shows in the season', async () => {
    const settings = { taskQueue: stack.taskQueue, auditVerifyAt: '02:30' };
    await ensureSchedules(stack.client, settings);
    await ensureSchedules(stack.client, settings); // a second worker, or a restart: still one
    const described = await stack.client.schedule.getHandle(planningSeasonScheduleId).describe();
    expect(described.spec.timezone).toBe('Asia/Shanghai');
    expect(described.spec.calendars?.map((c) => [c.month, c.dayOfMonth, c.hour, c.minute])).toEqual([
      [[{ start: 'JANUARY', end: 'JANUARY', step: 1 }], [{ start: 1, end: 1, step: 1 }], [{ start: 0, end: 0, step: 1 }], [{ start: 10, end: 10, step: 1 }]],
      [[{ start: 'MARCH', end: 'MARCH', step: 1 }], [{ start: 1, end: 1, step: 1 }], [{ start: 0, end: 0, step: 1 }], [{ start: 10, end: 10, step: 1 }]],
    ]);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'planningSeasonLaunch', args: [{}] });
    const schedules: string[] = [];
    for await (const s of stack.client.schedule.list()) schedules.push(s.scheduleId);
    expect(schedules.filter((id) => id === planningSeasonScheduleId)).toHaveLength(1);

    // A county with a published item (housing leads it).
    const put = await stack.call('admin', 'PUT', `/v1/counties/${county}/inspection-items/HOUSE-1`, {
      field: '自建房安全',
      lead: 'housing',
      cooperating: [],
      what: '经营性自建房安全检查',
      basis: [{ statute: '《城乡规划法》', article: '第六十四条' }],
      objectKind: '经营性自建房',
      category: 'general',
      method: 'on-site',
      level: 'county',
      published: true,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(201);

    // Fired now (as on 1 March): this year's season of every county with a published item. This
    // year's 31 March is past, so the season starts late: it fires the highest rung already due,
    // not every passed one.
    const year = Number(shanghaiDate(Date.now()).slice(0, 4));
    const seasonId = `season:${county}:${year}`;
    await stack.client.schedule.getHandle(planningSeasonScheduleId).trigger();
    const season = await eventually(
      async () => {
        const r = await stack.call('supervisor', 'GET', `/v1/counties/${county}/planning-season/${year}`);
        return r.body.departments?.[0]?.rung ? r : undefined;
      },
      { timeoutMs: 30_000, message: 'the season started by the schedule' },
    );
    expect(season.body).toMatchObject({ seasonId, season: 'running' });
    expect(season.body.departments).toMatchObject([{ department: 'housing', missing: ['HOUSE-1'], state: 'late', rung: 'escalation' }]);
    // Settled (waiting for its next morning): one notice, no catch-up chase for each morning passed.
    await settle(stack.client.workflow.getHandle(seasonId));
    const told = await stack.db.pool.query('SELECT kind, county, role FROM notifications WHERE object_id = $1 ORDER BY id', [seasonId]);
    expect(told.rows).toEqual([{ kind: 'planning.escalation', county: '610100', role: 'supervisor' }]);

    // The launch again (the 1 March firing after 1 January's): the season runs, nothing new starts.
    const again = await stack.client.workflow.execute(planningSeasonLaunch, {
      taskQueue: stack.taskQueue,
      workflowId: `${planningSeasonScheduleId}-again`,
      args: [{ year }],
    });
    expect(again).toEqual({ year, started: [], running: [county] });
    // An admin's start answers 200 with the running season.
    expect((await stack.call('admin', 'POST', `/v1/counties/${county}/planning-season/${year}`)).status).toBe(200);

    const filed = await stack.call('housing', 'POST', '/v1/plans', {
      county,
      year,
      name: `${year} 年经营性自建房安全抽查计划`,
      lead: 'housing',
      items: ['HOUSE-1'],
      frequency: 'quarterly',
      window: { from: `${year}-12-01`, to: `${year}-12-31` },
    });
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    expect(filed.body.planId).toBe(`plan:${county}:${year}-0001`);
    const after = await eventually(async () => {
      const r = await stack.call('supervisor', 'GET', `/v1/counties/${county}/planning-season/${year}`);
      return r.body.departments[0].state === 'planned' ? r.body : undefined;
    });
    expect(after.departments).toMatchObject([{ department: 'housing', planned: ['HOUSE-1'], missing: [] }]);
    await stack.client.workflow.getHandle(seasonId).terminate('test over');
  });
});
