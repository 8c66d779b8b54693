/**
 * The clue report (issue 13 §4) end to end: clues worked through HTTP on the real dev server,
 * worker and PostgreSQL, and the figures they leave in GET /v1/reports/clues. The database is this
 * file's own, so the period holds these clues only.
 */
import { describe, expect, test } from 'vitest';
import { shanghaiDate } from '../../domain/calendar/index.js';
import { eventually } from '../helpers/eventually.js';
import { useStack } from '../helpers/stack.js';

const county = '610124';
const stack = useStack({
  queue: 'e2e-clue-reports',
  keys: {
    office: { county, department: 'gov-services', roles: ['officer'] },
    admin: { county, roles: ['admin'] },
    supervisor: { county, roles: ['supervisor'] },
    market: { county, department: 'market', roles: ['officer'] },
    commerce: { county, department: 'commerce', roles: ['officer'] },
    housing: { county, department: 'housing', roles: ['officer'] },
  },
});
const { call } = stack;

let n = 0;
const intake = (o: Record<string, unknown>) => {
  const ref = `GD${Date.now()}${String(++n).padStart(3, '0')}`;
  const body = { channel: '12345', ref, category: 'complaint', urgency: 'normal', county, complainant: { anonymous: true, wantsReply: false }, ...o };
  return call('office', 'POST', '/v1/clues', body, { 'idempotency-key': ref });
};
type Clue = { state: string; tasks: { taskId: string; department: string; role: string; state: string }[] };
const clueWhen = (clueId: string, pred: (c: Clue) => boolean, message: string) =>
  eventually(
    async () => {
      const c = (await call('supervisor', 'GET', `/v1/clues/${clueId}`)).body as Clue;
      return pred(c) ? c : undefined;
    },
    { message },
  );
const running = (c: Clue, department: string, role = 'lead') => c.tasks.find((t) => t.department === department && t.role === role && t.state === 'running');
const r = (numerator: number, denominator: number) => ({ numerator, denominator, rate: denominator ? numerator / denominator : null });

describe('the clue report through HTTP', () => {
  test('a clue answered and visited back, its repeat, and a clue returned and re-dispatched show in the figures', async () => {
    const from = shanghaiDate(Date.now());
    expect(
      (
        await call('admin', 'PUT', `/v1/counties/${county}/dispatch-rules`, {
          rules: [{ id: 'prepaid', match: { keywords: ['预付卡'] }, duty: 'functional', lead: 'market', coHandlers: ['commerce'] }],
        })
      ).status,
    ).toBe(200);

    // A: the catalogue sends it to market, commerce co-handling; a repeat joins it.
    const subject = { name: '某某健身', kind: 'enterprise', creditCode: '91610124MA6TG0009X' };
    const a = await intake({ content: '预付卡门店关门，无法退款', subject });
    expect(a.body).toMatchObject({ state: 'handling', department: 'market' });
    const repeat = await intake({ content: '预付卡无法退款', subject });
    expect(repeat.body).toMatchObject({ state: 'merged', mergedInto: a.body.clueId });
    // B: no rule; the office sends it to housing, which returns it; then to commerce, which signs for it.
    const b = await intake({ category: 'help', content: '小区门口占道经营' });
    expect(b.body.state).toBe('dispatching');
    await clueWhen(b.body.clueId, (c) => c.state === 'dispatching', 'B awaiting dispatch');
    expect((await call('office', 'POST', `/v1/clues/${b.body.clueId}/dispatch`, { department: 'housing' })).status).toBe(200);
    await clueWhen(b.body.clueId, (c) => !!running(c, 'housing'), "housing's task of B");
    expect((await call('housing', 'POST', `/v1/clues/${b.body.clueId}/return`, { reason: '不属于本部门职责', basis: 'duties' })).status).toBe(200);
    await clueWhen(b.body.clueId, (c) => c.state === 'dispatching', 'B awaiting its second dispatch');
    expect((await call('office', 'POST', `/v1/clues/${b.body.clueId}/dispatch`, { department: 'commerce' })).status).toBe(200);
    const bCommerce = running(await clueWhen(b.body.clueId, (c) => !!running(c, 'commerce'), "commerce's task of B"), 'commerce')!;
    expect((await call('commerce', 'POST', `/v1/tasks/${bCommerce.taskId}/sign`)).status).toBe(200);

    // A is verified, answered in time and visited back: basically satisfied.
    const handling = await clueWhen(a.body.clueId, (c) => !!running(c, 'market') && !!running(c, 'commerce', 'co-handler'), 'A handled');
    const co = running(handling, 'commerce', 'co-handler')!;
    expect((await call('commerce', 'POST', `/v1/tasks/${co.taskId}/sign`)).status).toBe(200);
    expect((await call('commerce', 'POST', `/v1/tasks/${co.taskId}/submit`, { summary: '核实：门店已停业' })).status).toBe(200);
    // Market signs for its task in its inbox, then answers once its inbox shows it signed.
    const lead = running(handling, 'market')!;
    expect((await call('market', 'POST', `/v1/tasks/${lead.taskId}/sign`)).status).toBe(200);
    await eventually(async () => (await call('market', 'GET', `/v1/tasks/${lead.taskId}`)).body.state === 'signed', {
      message: "market's task signed in the record",
    });
    expect((await call('market', 'POST', `/v1/clues/${a.body.clueId}/reply`, { summary: '已责令经营者退款' })).status).toBe(200);
    expect((await call('office', 'POST', `/v1/clues/${a.body.clueId}/visit`, { satisfaction: 'basically' })).status).toBe(200);
    await clueWhen(a.body.clueId, (c) => c.state === 'closed', 'A closed');

    // The figures once every task's own record has landed (each task writes its row after the clue moves on).
    const url = `/v1/reports/clues?county=${county}&from=${from}&to=${shanghaiDate(Date.now())}`;
    const report = await eventually(
      async () => {
        const res = await call('supervisor', 'GET', url);
        return res.body.total?.responseRate.denominator === 4 && res.body.total.onTimeRate.denominator === 2 ? res.body : undefined;
      },
      { message: 'the four tasks’ sign-for and the two answers in the report' },
    );
    const none = r(0, 0);
    const risk = { closureRate: none, meanHoursToFeedback: null, totalHoursToFeedback: 0 };
    expect(report.total).toEqual({
      received: 3,
      repeats: 1,
      returns: 1,
      redispatches: 1,
      responseRate: r(4, 4),
      onTimeRate: r(2, 2),
      resolutionRate: r(1, 1),
      satisfactionRate: r(0, 1),
      repeatRate: r(1, 3),
      riskWarnings: risk,
    });
    expect(report.departments).toEqual([
      {
        department: 'commerce',
        departmentName: '商务局',
        received: 2,
        repeats: 0,
        returns: 0,
        redispatches: 1,
        responseRate: r(2, 2),
        onTimeRate: r(1, 1),
        resolutionRate: none,
        satisfactionRate: none,
        repeatRate: r(0, 2),
        riskWarnings: risk,
      },
      {
        department: 'housing',
        departmentName: '住房和城乡建设局',
        received: 1,
        repeats: 0,
        returns: 1,
        redispatches: 0,
        responseRate: r(1, 1),
        onTimeRate: none,
        resolutionRate: none,
        satisfactionRate: none,
        repeatRate: r(0, 1),
        riskWarnings: risk,
      },
      {
        department: 'market',
        departmentName: '市场监督管理局',
        received: 1,
        repeats: 1,
        returns: 0,
        redispatches: 0,
        responseRate: r(1, 1),
        onTimeRate: r(1, 1),
        resolutionRate: r(1, 1),
        satisfactionRate: r(0, 1),
        repeatRate: r(1, 2),
        riskWarnings: risk,
      },
    ]);
    // The 12345 office reads the same; a department does not.
    expect((await call('office', 'GET', url)).body.total).toEqual(report.total);
    expect((await call('market', 'GET', url)).status).toBe(403);
  });
});
