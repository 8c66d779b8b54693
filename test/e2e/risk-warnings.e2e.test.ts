/**
 * Risk warnings (风险预警) end to end through HTTP with real parts: Temporal dev server, PostgreSQL,
 * the worker and the API. A risk model's warning is pushed by the county's catalogue, each
 * department verifies on its own task, the supervisors hold the joint review of a red warning, the
 * confirming department disposes of it, and the operators' feedback alone closes the loop.
 */
import { describe, expect, test } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { useStack } from '../helpers/stack.js';

const county = '610124';
const township = '610124100';
const stack = useStack({
  queue: 'e2e-risk-warnings',
  keys: {
    model: { county, roles: ['operator'], kind: 'system', name: '成品油风险模型' },
    operator: { county, roles: ['operator'] },
    admin: { county, roles: ['admin'] },
    supervisor: { county, roles: ['supervisor'] },
    commerce: { county, department: 'commerce', roles: ['officer'] },
    market: { county, department: 'market', roles: ['officer'] },
    culture: { county, department: 'culture-tourism', roles: ['officer'] },
    housing: { county, department: 'housing', roles: ['officer'] },
    otherCounty: { county: '610122', roles: ['operator'] },
  },
});
const { call } = stack;

type Warning = { state: string; tasks: { taskId: string; department: string; step: string; state: string }[]; [k: string]: any };
const warningOf = async (who: string, id: string) => (await call(who, 'GET', `/v1/risk-warnings/${id}`)).body as Warning;
/** The warning once `pred` holds (the workflow moves on after each action). */
const warningWhen = (id: string, pred: (w: Warning) => boolean, message: string) =>
  eventually(
    async () => {
      const w = await warningOf('supervisor', id);
      return pred(w) ? w : undefined;
    },
    { message },
  );
const openTask = (w: Warning, step: string, department: string) => w.tasks.find((t) => t.step === step && t.department === department && t.state === 'running');
const count = async (sql: string, args: unknown[] = []) => Number((await stack.db.pool.query(sql, args)).rows[0].n);

const subjectName = '某某加油站有限公司';
const blackStation = {
  county,
  source: 'model',
  model: '成品油流通风险模型 v3',
  level: 'red',
  subject: { name: subjectName, kind: 'enterprise', creditCode: '91610124MA6RW0001K', address: '周至县某镇某村' },
  trade: 'refined-oil',
  township,
  indicators: [
    { name: '夜间进出油罐车次', value: 14, threshold: 3 },
    { name: '发票开具量', value: '0张/月' },
  ],
  summary: '疑似无证经营成品油（黑加油站）',
};
let n = 0;
const key = () => `rw-${Date.now()}-${++n}`;

describe('risk warnings through HTTP', () => {
  test('a red warning: pushed by the catalogue, verified by each department, jointly reviewed, disposed of, closed only with feedback', async () => {
    const put = await call('admin', 'PUT', `/v1/counties/${county}/dispatch-rules`, {
      rules: [
        { id: 'oil', match: { trades: ['refined-oil'] }, duty: 'functional', lead: 'commerce', coHandlers: ['market'] },
        { id: 'tourism', match: { trades: ['tourism'] }, duty: 'functional', lead: 'culture-tourism' },
      ],
      // The county gives a red warning's verification two working days (DOMAIN §6's default: one).
      riskWarningSettings: { verificationWorkingDays: { red: 2 } },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.effectiveRiskWarningSettings.verificationWorkingDays).toEqual({ red: 2, orange: 3, yellow: 5, blue: 10 });

    const k = key();
    const issued = await call('model', 'POST', '/v1/risk-warnings', blackStation, { 'idempotency-key': k });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    expect(issued.body).toMatchObject({ state: 'verifying', level: 'red', departments: ['commerce', 'market'], ruleId: 'oil', campaignSuggested: false });
    const id = issued.body.warningId as string;
    expect(id).toMatch(/^warning:610124:\d{4}-\d+$/);
    // The model retries: the same warning, 200, one row.
    const retry = await call('model', 'POST', '/v1/risk-warnings', blackStation, { 'idempotency-key': k });
    expect(retry.status).toBe(200);
    expect(retry.body.warningId).toBe(id);
    expect(await count('SELECT count(*) AS n FROM risk_warnings')).toBe(1);

    // Each department verifies on its own task, due two working days from the push (red, as the county set).
    const pushed = await warningWhen(
      id,
      (w) => !!openTask(w, 'verification', 'commerce') && !!openTask(w, 'verification', 'market'),
      'both verification tasks',
    );
    expect(pushed.limits.verificationWorkingDays).toBe(2);
    expect(pushed.departmentNames).toEqual(['商务局', '市场监督管理局']);
    // A department it was not pushed to, and another county, see nothing of it.
    expect((await call('housing', 'GET', `/v1/risk-warnings/${id}`)).status).toBe(404);
    expect((await call('otherCounty', 'GET', `/v1/risk-warnings/${id}`)).status).toBe(404);
    expect((await call('market', 'GET', '/v1/risk-warnings?level=red')).body.items.map((w: Warning) => w.warningId)).toEqual([id]);
    expect((await call('housing', 'GET', '/v1/risk-warnings')).body.items).toEqual([]);
    // The task carries the subject for the officer who checks it; the read model does not.
    const commerceTask = await eventually(
      async () => (await warningOf('commerce', id)).departmentTasks.find((t: { department: string }) => t.department === 'commerce'),
      {
        message: "commerce's task in the record",
      },
    );
    expect(commerceTask.instructions).toContain(subjectName);
    expect(commerceTask.instructions).toContain('夜间进出油罐车次：14（阈值 3）');

    // Nothing out of order: no feedback and no review while verifying.
    expect((await call('operator', 'POST', `/v1/risk-warnings/${id}/feedback`, { summary: '过早' })).status).toBe(409);
    expect((await call('supervisor', 'POST', `/v1/risk-warnings/${id}/review`, { conclusion: '过早' })).status).toBe(409);
    // One department cannot verify for another, nor dispose before verification ends.
    expect((await call('market', 'POST', `/v1/risk-warnings/${id}/verification`, { department: 'commerce', findings: '代核', confirmed: true })).status).toBe(
      403,
    );
    expect((await call('commerce', 'POST', `/v1/risk-warnings/${id}/disposal`, { department: 'commerce', measures: '过早' })).status).toBe(409);

    const v1 = await call('commerce', 'POST', `/v1/risk-warnings/${id}/verification`, {
      department: 'commerce',
      findings: '现场核查：无成品油零售经营许可，地下储罐 2 个',
      confirmed: true,
    });
    expect(v1.status, JSON.stringify(v1.body)).toBe(200);
    expect(v1.body.verifications).toEqual([
      expect.objectContaining({ department: 'commerce', confirmed: true, findings: '现场核查：无成品油零售经营许可，地下储罐 2 个' }),
    ]);
    const v2 = await call('market', 'POST', `/v1/risk-warnings/${id}/verification`, { department: 'market', findings: '未发现质量问题', confirmed: false });
    expect(v2.status, JSON.stringify(v2.body)).toBe(200);
    // Verified twice is once: the task has ended.
    expect((await call('market', 'POST', `/v1/risk-warnings/${id}/verification`, { department: 'market', findings: '再报', confirmed: true })).status).toBe(
      409,
    );

    // 跨部门综合研判 of a red warning: the county's supervisors, not a department.
    const reviewing = await warningWhen(id, (w) => w.state === 'reviewing', 'the joint review awaited');
    expect(reviewing.reviewDueAt).toMatch(/\+08:00$/);
    expect((await call('commerce', 'POST', `/v1/risk-warnings/${id}/review`, { conclusion: '自己研判' })).status).toBe(403);
    const reviewed = await call('supervisor', 'POST', `/v1/risk-warnings/${id}/review`, { conclusion: '商务局牵头处置，开展联合检查', jointInspection: true });
    expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);
    expect(reviewed.body.jointReview).toMatchObject({ conclusion: '商务局牵头处置，开展联合检查', disposers: ['commerce'], jointInspection: true });

    // 处置 by the department that confirmed it; it asks for a matter.
    await warningWhen(id, (w) => !!openTask(w, 'disposal', 'commerce'), 'the disposal task');
    expect((await call('market', 'POST', `/v1/risk-warnings/${id}/disposal`, { department: 'market', measures: '不该我处置' })).status).toBe(409);
    const disposed = await call('commerce', 'POST', `/v1/risk-warnings/${id}/disposal`, {
      department: 'commerce',
      measures: '责令停止经营，查封储油设施',
      openMatter: true,
    });
    expect(disposed.status, JSON.stringify(disposed.body)).toBe(200);
    expect(disposed.body.disposals).toEqual([
      expect.objectContaining({ department: 'commerce', measures: '责令停止经营，查封储油设施', openMatter: true, jointInspection: false }),
    ]);

    // 反馈: a model's warning is fed back by the county's operators; it closes then, and only then.
    const awaiting = await warningWhen(id, (w) => w.state === 'awaiting-feedback', 'feedback awaited');
    expect(awaiting.closedAt).toBeUndefined();
    expect((await call('commerce', 'POST', `/v1/risk-warnings/${id}/feedback`, { summary: '商务局反馈' })).status).toBe(403);
    const fed = await call('operator', 'POST', `/v1/risk-warnings/${id}/feedback`, { summary: '预警属实，已查封；模型指标有效' });
    expect(fed.status, JSON.stringify(fed.body)).toBe(200);
    const closed = await warningWhen(id, (w) => w.state === 'closed' && w.timeline.some((e: { type: string }) => e.type === 'closed'), 'closed');
    expect(closed.feedback).toMatchObject({ summary: '预警属实，已查封；模型指标有效' });
    expect(closed.timeline.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['pushed', 'task.assigned', 'verified', 'review.awaited', 'reviewed', 'disposed', 'feedback.awaited', 'fed-back', 'closed']),
    );
    expect((await call('operator', 'POST', `/v1/risk-warnings/${id}/feedback`, { summary: '再次反馈' })).status).toBe(409);

    // Who was told: the red level tells the supervisors and the county government at the push;
    // the request for a matter goes to the operators; the feedback was asked of the operators.
    const kinds = (await stack.db.pool.query('SELECT kind, department, role FROM notifications WHERE object_id = $1 ORDER BY kind, department, role', [id]))
      .rows;
    expect(kinds).toEqual(
      expect.arrayContaining([
        { kind: 'risk-warning.pushed', department: null, role: 'supervisor' },
        { kind: 'risk-warning.pushed', department: 'county-government', role: null },
        { kind: 'risk-warning.matter-requested', department: null, role: 'operator' },
        { kind: 'risk-warning.feedback', department: null, role: 'operator' },
        { kind: 'risk-warning.joint-inspection', department: 'commerce', role: null },
      ]),
    );
    // The subject's name is in no table the read side keeps but the task's instructions.
    for (const table of ['risk_warnings', 'timeline_events', 'audit_log', 'notifications']) {
      const dump = (await stack.db.pool.query(`SELECT coalesce(string_agg(t::text, ' '), '') AS all FROM ${table} t`)).rows[0].all as string;
      expect(dump, table).not.toContain(subjectName);
    }
  });

  test('three warnings of one trade in one township within the window suggest a special campaign to the supervisors, once', async () => {
    const issue = (i: number) =>
      call(
        'culture',
        'POST',
        '/v1/risk-warnings',
        {
          county,
          source: 'department',
          level: 'yellow',
          subject: { name: `某密室逃脱${i}号店`, kind: 'enterprise' },
          trade: 'escape-room',
          township: '610124101',
          indicators: [{ name: '消防通道堵塞', value: '是' }],
          summary: '密室逃脱场所消防隐患',
          departments: ['culture-tourism', 'fire'],
        },
        { 'idempotency-key': key() },
      );
    const answers = [];
    for (let i = 1; i <= 4; i++) answers.push(await issue(i));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201]);
    expect(answers.map((a) => a.body.campaignSuggested)).toEqual([false, false, true, false]);
    const third = answers[2]!.body.warningId as string;
    const w = await warningWhen(third, (x) => x.timeline.some((e: { type: string }) => e.type === 'campaign.suggested'), 'the campaign suggestion recorded');
    expect(w.campaign).toMatchObject({
      trade: 'escape-room',
      township: '610124101',
      windowDays: 30,
      warningIds: answers.slice(0, 3).map((a) => a.body.warningId),
    });
    expect(w.issuingDepartment).toBe('culture-tourism');
    await eventually(
      async () => (await count(`SELECT count(*) AS n FROM notifications WHERE kind = 'risk-warning.campaign' AND role = 'supervisor'`)) === 1 || undefined,
      {
        message: 'the supervisors told once',
      },
    );
    // A department's warning is fed back by the issuing department: it sees its own warnings.
    expect((await call('culture', 'GET', `/v1/risk-warnings/${third}`)).status).toBe(200);
  });

  test('bad input is refused and changes nothing', async () => {
    const before = await count('SELECT count(*) AS n FROM risk_warnings');
    // The earlier tests' warnings keep recording (their tasks' events are audited too): count what
    // an intake writes, not the whole log.
    const intakes = "SELECT count(*) AS n FROM audit_log WHERE action = 'risk-warning.accepted'";
    const audits = await count(intakes);
    // Nothing in the catalogue matches and no department is named: refused, not pushed to nobody.
    const unmatched = await call('model', 'POST', '/v1/risk-warnings', { ...blackStation, trade: 'gas' }, { 'idempotency-key': key() });
    expect(unmatched.status).toBe(422);
    expect(unmatched.body.error.code).toBe('no_responsible_department');
    // A model's warning names its model; an officer does not issue one; nor another county's caller.
    const unnamed = await call('model', 'POST', '/v1/risk-warnings', { ...blackStation, model: undefined });
    expect(unnamed.status).toBe(400);
    expect(unnamed.body.error.issues.map((i: { path: string }) => i.path)).toContain('body.model');
    expect((await call('market', 'POST', '/v1/risk-warnings', blackStation)).status).toBe(403);
    expect((await call('otherCounty', 'POST', '/v1/risk-warnings', blackStation)).status).toBe(403);
    expect((await call('operator', 'POST', '/v1/risk-warnings', { ...blackStation, departments: ['township:610122100'] })).status).toBe(400);
    // An operator has no department to issue a department's warning from.
    expect((await call('operator', 'POST', '/v1/risk-warnings', { ...blackStation, source: 'department', departments: ['market'] })).status).toBe(403);
    expect(await count('SELECT count(*) AS n FROM risk_warnings')).toBe(before);
    expect(await count(intakes)).toBe(audits);
    expect(JSON.stringify(unmatched.body)).not.toContain(subjectName);
  });
});
