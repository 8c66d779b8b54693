/**
 * The planning season on the time-skipping server (issue 14 §2; DOMAIN §7: annual plans by 31
 * March): from 1 March it reminds each lead department whose published items have no plan, and
 * after 31 March chases them up the ladder in working days of the calendar in force (here a 2027
 * schedule with 清明 and an adjusted working Sunday); a lead that files its plan drops out at the
 * next check, without telling the season; once no plan is missing after the deadline it closes.
 */
import { describe, expect, test } from 'vitest';
import { publishCalendarYear } from '../../db/calendar.js';
import { putItem } from '../../db/inspection-items.js';
import { createPlan } from '../../db/plans.js';
import { inTransaction } from '../../db/sql.js';
import { effectiveRatios, planBodySchema } from '../../domain/inspection-plan.js';
import { inspectionItemBodySchema } from '../../domain/registry.js';
import { getPlanningSeasonQuery, planningSeason } from '../../workflows/planning-season.js';
import { eventually } from '../helpers/eventually.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';

const wf = useWorkflowEnv({ queue: 'planning-season' });
const county = '610124';
const seasonId = `season:${county}:2027`;

/** A test schedule for 2027 (not the State Council's): 清明 3–5 April off, Sunday 11 April worked (调休). */
const schedule2027 = { holidays: [{ name: '清明节', from: '2027-04-03', to: '2027-04-05' }], adjustedWorkdays: ['2027-04-11'] };

const item = (lead: string, what: string, published = true) =>
  inspectionItemBodySchema.parse({
    field: '综合监管',
    lead,
    what,
    basis: [{ statute: '《危险化学品安全管理条例》', article: '第三十三条' }],
    objectKind: '经营单位',
    category: 'general',
    method: 'on-site',
    level: 'county',
    published,
  });

let planNo = 0;
const file = (lead: string, items: string[]) =>
  createPlan(wf.db.pool, {
    planId: `plan:${county}:2027-${String(++planNo).padStart(4, '0')}`,
    body: planBodySchema.parse({
      county,
      year: 2027,
      name: `2027 年 ${lead} 抽查计划`,
      lead,
      items,
      frequency: 'once',
      window: { from: '2027-04-01', to: '2027-12-31' },
    }),
    ratios: effectiveRatios({}),
    createdBy: 'k-test',
  });

/** Moves the test server's clock to `iso` (later than now). */
const sleepUntil = async (iso: string) => wf.env.sleep(Date.parse(iso) - (await wf.env.currentTimeMs()));

interface Step {
  type: string;
  scheduledAt?: string;
  departments: string[];
}
const steps = async (): Promise<Step[]> =>
  (
    await wf.db.pool.query<{ type: string; data: { scheduledAt?: string; departments: string[] } }>(
      'SELECT type, data FROM timeline_events WHERE workflow_id = $1 ORDER BY seq',
      [seasonId],
    )
  ).rows.map((r) => ({ type: r.type, ...(r.data.scheduledAt ? { scheduledAt: r.data.scheduledAt } : {}), departments: r.data.departments }));
/** Who a step's notices went to: departments by code, roles by name with their county. */
const recipients = async (kind: string) =>
  (
    await wf.db.pool.query<{ county: string; department: string | null; role: string | null }>(
      'SELECT county, department, role FROM notifications WHERE object_id = $1 AND kind = $2 ORDER BY county, department NULLS LAST, role',
      [seasonId, kind],
    )
  ).rows.map((r) => (r.department ? r.department : `${r.role}@${r.county}`));
const stepRecorded = (type: string) => eventually(async () => ((await steps()).some((s) => s.type === type) ? true : undefined), { message: type });

describe('the planning season', () => {
  test('reminds on 1 March, chases after 31 March at the ladder’s working-day rungs; leads that file drop out; closes when none is missing', async () => {
    await publishCalendarYear(wf.db.pool, 2027, schedule2027, 'test schedule', null);
    await inTransaction(wf.db.pool, async (client) => {
      await putItem(client, { county, itemId: 'OIL-1', body: item('commerce', '成品油零售经营检查'), createdBy: 'k-admin' });
      await putItem(client, { county, itemId: 'QUAL-1', body: item('market', '油品质量抽检'), createdBy: 'k-admin' });
      await putItem(client, { county, itemId: 'HOUSE-1', body: item('housing', '经营性自建房安全检查'), createdBy: 'k-admin' });
      // Not published: not plannable, so its lead is never asked for a plan.
      await putItem(client, { county, itemId: 'ECO-DRAFT', body: item('ecology', '征求意见中的事项', false), createdBy: 'k-admin' });
    });
    const h = await wf.client.workflow.start(planningSeason, { taskQueue: wf.taskQueue, workflowId: seasonId, args: [{ county, year: 2027 }] });
    await eventually(async () => ((await h.query(getPlanningSeasonQuery)).dueAt ? true : undefined), { message: 'the clock resolved' });
    expect(await h.query(getPlanningSeasonQuery)).toMatchObject({ state: 'waiting', dueAt: '2027-03-31T23:59:59.999+08:00', late: [] });

    // 1 March 2027 (a Monday), 09:00 China time: every lead with a published item unplanned.
    await sleepUntil('2027-03-01T09:01:00+08:00');
    await stepRecorded('season.opening');
    expect(await steps()).toEqual([{ type: 'season.opening', scheduledAt: '2027-03-01T09:00:00.000+08:00', departments: ['commerce', 'housing', 'market'] }]);
    expect(await recipients('planning.opening')).toEqual(['commerce', 'housing', 'market']);

    // Commerce files its plan; the reminder one working day before the deadline skips it.
    await file('commerce', ['OIL-1']);
    await sleepUntil('2027-03-30T09:01:00+08:00');
    await stepRecorded('season.reminder');
    // Chase: the first working morning after 31 March (Thursday 1 April).
    await sleepUntil('2027-04-01T09:01:00+08:00');
    await stepRecorded('season.chase');
    // Yellow: 3 working days after the deadline: 1, 2 and (清明 3–5 April off) 6 April.
    await sleepUntil('2027-04-06T09:01:00+08:00');
    await stepRecorded('season.yellow-card');
    // Market files after its yellow card; red (5 working days: 1, 2, 6, 7, 8 April) names housing only.
    await file('market', ['QUAL-1']);
    await sleepUntil('2027-04-08T09:01:00+08:00');
    await stepRecorded('season.red-card');
    // Escalation: 10 working days, Sunday 11 April worked (调休): 1, 2, 6, 7, 8, 9, 11, 12, 13, 14 April.
    await sleepUntil('2027-04-14T09:01:00+08:00');
    await stepRecorded('season.escalation');
    // After the last rung, every working morning.
    await sleepUntil('2027-04-15T09:01:00+08:00');
    await stepRecorded('season.daily-chase');

    expect(await steps()).toEqual([
      { type: 'season.opening', scheduledAt: '2027-03-01T09:00:00.000+08:00', departments: ['commerce', 'housing', 'market'] },
      { type: 'season.planned', departments: ['commerce'] },
      { type: 'season.reminder', scheduledAt: '2027-03-30T09:00:00.000+08:00', departments: ['housing', 'market'] },
      { type: 'season.chase', scheduledAt: '2027-04-01T09:00:00.000+08:00', departments: ['housing', 'market'] },
      { type: 'season.yellow-card', scheduledAt: '2027-04-06T09:00:00.000+08:00', departments: ['housing', 'market'] },
      { type: 'season.planned', departments: ['market'] },
      { type: 'season.red-card', scheduledAt: '2027-04-08T09:00:00.000+08:00', departments: ['housing'] },
      { type: 'season.escalation', scheduledAt: '2027-04-14T09:00:00.000+08:00', departments: ['housing'] },
      { type: 'season.daily-chase', scheduledAt: '2027-04-15T09:00:00.000+08:00', departments: ['housing'] },
    ]);
    // The ladder's audiences (DOMAIN §4): the late leads themselves; yellow adds the supervisors
    // (standing in for a lead above them); red the supervisors and the county government; then the city.
    expect(await recipients('planning.reminder')).toEqual(['housing', 'market']);
    expect(await recipients('planning.chase')).toEqual(['housing', 'market']);
    expect(await recipients('planning.yellow-card')).toEqual(['housing', 'market', 'supervisor@610124']);
    expect(await recipients('planning.red-card')).toEqual(['county-government', 'supervisor@610124']);
    expect(await recipients('planning.escalation')).toEqual(['supervisor@610100']);
    expect(await recipients('planning.daily-chase')).toEqual(['housing']);
    const red = await wf.db.pool.query<{ body: string }>("SELECT body FROM notifications WHERE object_id = $1 AND kind = 'planning.red-card'", [seasonId]);
    expect(red.rows[0]!.body).toContain('住房和城乡建设局（HOUSE-1）');
    expect(await h.query(getPlanningSeasonQuery)).toMatchObject({
      state: 'overdue',
      late: [{ department: 'housing', missing: ['HOUSE-1'] }],
      reached: { commerce: 'opening', market: 'yellow-card', housing: 'daily-chase' },
    });

    // Housing files: at the next working morning the season finds nothing missing and closes.
    await file('housing', ['HOUSE-1']);
    await sleepUntil('2027-04-16T09:01:00+08:00');
    const end = await h.result();
    expect(end).toMatchObject({ state: 'closed', late: [] });
    expect((await steps()).slice(-2)).toEqual([
      { type: 'season.planned', departments: ['housing'] },
      { type: 'season.closed', departments: [] },
    ]);
  });

  test('a continued run carries what has fired: it picks up at the next rung, numbering its events on', async () => {
    const id = `season:${county}:2028`;
    const h = await wf.client.workflow.start(planningSeason, {
      taskQueue: wf.taskQueue,
      workflowId: id,
      // As continue-as-new hands it over after the chase of 2028 (3 April, a Monday).
      args: [
        { county, year: 2028 },
        {
          view: { seasonId: id, county, year: 2028, dueAt: '', state: 'overdue', late: [], reached: { housing: 'chase' }, lastEventSeq: 7 },
          fired: ['opening', 'reminder', 'chase'],
          lastChaseMs: 0,
          extraChases: [],
        },
      ],
    });
    await eventually(async () => ((await h.query(getPlanningSeasonQuery)).dueAt ? true : undefined), { message: 'the clock resolved' });
    // Housing (HOUSE-1, planned for 2027 only) is late for 2028; commerce and market too.
    await sleepUntil('2028-04-06T09:01:00+08:00');
    const first = await eventually(
      async () =>
        (
          await wf.db.pool.query<{ seq: number; type: string; data: { scheduledAt: string } }>(
            'SELECT seq, type, data FROM timeline_events WHERE workflow_id = $1 ORDER BY seq',
            [id],
          )
        ).rows[0],
      { message: 'the first event of the continued run' },
    );
    // 2028 is unpublished (weekends only): yellow 3 working days after Friday 31 March = Wednesday 5 April.
    expect(first).toEqual({ seq: 8, type: 'season.yellow-card', data: expect.objectContaining({ scheduledAt: '2028-04-05T09:00:00.000+08:00' }) });
    await h.terminate('test over');
  });
});
