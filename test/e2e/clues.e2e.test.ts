/**
 * Clues (问题线索) end to end through HTTP with real parts: Temporal dev server, PostgreSQL, the
 * worker and the API. The 12345 platform takes a work order in, the county's catalogue or the 12345
 * office dispatches it, departments return or answer it, the office visits back.
 */
import type { Payload } from '@temporalio/common';
import { describe, expect, test } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { useStack } from '../helpers/stack.js';

const county = '610124';
/** Every log line of the API and the SDK (worker, activities, workflows) while the file runs. */
const logs: string[] = [];
const stack = useStack({
  queue: 'e2e-clues',
  logs,
  keys: {
    platform: { county, department: 'gov-services', roles: ['officer'], kind: 'system', name: '12345热线平台' },
    office: { county, department: 'gov-services', roles: ['officer'] },
    admin: { county, roles: ['admin'] },
    supervisor: { county, roles: ['supervisor'] },
    market: { county, department: 'market', roles: ['officer'] },
    commerce: { county, department: 'commerce', roles: ['officer'] },
    education: { county, department: 'education', roles: ['officer'] },
    housing: { county, department: 'housing', roles: ['officer'] },
    otherCounty: { county: '610122', department: 'gov-services', roles: ['officer'] },
  },
});
const { call } = stack;

const phone = '13812345678';
let n = 0;
/** A work order of the 12345 platform (its number is the Idempotency-Key). */
function workOrder(o: Record<string, unknown> = {}) {
  const ref = `GD${Date.now()}${String(++n).padStart(3, '0')}`;
  return {
    ref,
    body: {
      channel: '12345',
      ref,
      category: 'complaint',
      urgency: 'normal',
      county,
      content: '预付卡门店关门，无法退款',
      complainant: { name: '张三丰', phone, anonymous: false, wantsReply: true },
      ...o,
    },
  };
}
const intake = (o: Record<string, unknown> = {}) => {
  const w = workOrder(o);
  return call('platform', 'POST', '/v1/clues', w.body, { 'idempotency-key': w.ref }).then((r) => ({ ...r, ref: w.ref, sent: w.body }));
};

type Clue = { state: string; tasks: { taskId: string; department: string; role: string; state: string }[]; [k: string]: any };
const clueOf = async (who: string, clueId: string) => (await call(who, 'GET', `/v1/clues/${clueId}`)).body as Clue;
/** The clue once `pred` holds (the workflow moves on after each action). */
const clueWhen = (clueId: string, pred: (c: Clue) => boolean, message: string) =>
  eventually(
    async () => {
      const c = await clueOf('supervisor', clueId);
      return pred(c) ? c : undefined;
    },
    { message },
  );
/** A workflow's history with every payload opened by the codec, as text (what Temporal keeps, decrypted). */
async function decodedHistory(workflowId: string): Promise<string> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  const codecs = stack.dataConverter.payloadCodecs ?? [];
  const payloads: Payload[] = [];
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object') return;
    if (v instanceof Uint8Array) return;
    const o = v as Record<string, unknown>;
    if (o.metadata && o.data instanceof Uint8Array) payloads.push(o as Payload);
    for (const x of Object.values(o)) walk(x);
  };
  walk(history);
  let opened = payloads;
  for (const c of [...codecs].reverse()) opened = await c.decode(opened);
  return opened.map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8')).join('\n');
}
const runningTask = (c: Clue, department: string, role = 'lead') =>
  c.tasks.find((t) => t.department === department && t.role === role && t.state === 'running');

describe('clues through HTTP', () => {
  test('the catalogue dispatches a work order; co-handler verifies, the lead replies, the office visits back and it closes; personal data stays sealed', async () => {
    const put = await call('admin', 'PUT', `/v1/counties/${county}/dispatch-rules`, {
      rules: [
        { id: 'prepaid', match: { keywords: ['预付卡'] }, duty: 'functional', lead: 'market', coHandlers: ['commerce'] },
        { id: 'school', match: { trades: ['education'] }, duty: 'functional', lead: 'education' },
      ],
      baseVersion: 0,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.version).toBe(1);
    // Editing an old version is refused and writes nothing.
    expect((await call('admin', 'PUT', `/v1/counties/${county}/dispatch-rules`, { rules: put.body.rules, baseVersion: 0 })).status).toBe(409);
    // A functional department's item to a township is refused with its field.
    const township = await call('admin', 'PUT', `/v1/counties/${county}/dispatch-rules`, {
      rules: [{ id: 'bad', match: { keywords: ['噪音'] }, duty: 'functional', lead: 'township:610124100' }],
    });
    expect(township.status).toBe(400);
    expect(township.body.error.issues.map((d: { path: string }) => d.path)).toContain('body.rules.0.lead');
    expect((await call('market', 'PUT', `/v1/counties/${county}/dispatch-rules`, { rules: [] })).status).toBe(403);
    expect((await call('office', 'GET', `/v1/counties/${county}/dispatch-rules`)).body.version).toBe(1);

    const first = await intake({ subject: { name: '某某健身', kind: 'enterprise', creditCode: '91610124MA6TG0001X' } });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ state: 'handling', department: 'market' });
    const clueId = first.body.clueId as string;
    expect(clueId).toMatch(/^clue:610124:\d{4}-\d+$/);
    // The platform retries the same work order: the same clue, 200.
    const retry = await call('platform', 'POST', '/v1/clues', first.sent, { 'idempotency-key': first.ref });
    expect(retry.status).toBe(200);
    expect(retry.body.clueId).toBe(clueId);

    // The same subject and category again within the window: merged (并单), no task of its own.
    const repeat = await intake({
      subject: { name: '某某健身', kind: 'enterprise', creditCode: '91610124MA6TG0001X' },
      complainant: { phone: '13900001111', anonymous: false, wantsReply: true },
    });
    expect(repeat.status).toBe(201);
    expect(repeat.body).toMatchObject({ state: 'merged', mergedInto: clueId });
    const repeatId = repeat.body.clueId as string;

    const handling = await clueWhen(clueId, (c) => !!runningTask(c, 'market') && !!runningTask(c, 'commerce', 'co-handler'), 'the lead and co-handler tasks');
    expect(handling.dispatches).toEqual([
      expect.objectContaining({ department: 'market', coHandlers: ['commerce'], by: 'catalogue', ruleId: 'prepaid', designated: false }),
    ]);
    // The office sees the complainants whole; a department sees them masked; the merged repeat is listed.
    const asOffice = await clueOf('office', clueId);
    expect(asOffice.complainant).toEqual({ anonymous: false, wantsReply: true, name: '张三丰', phone, masked: false });
    expect(asOffice.merged.map((m: Clue) => [m.clueId, m.complainant.phone])).toEqual([[repeatId, '13900001111']]);
    const asMarket = await clueOf('market', clueId);
    expect(asMarket.complainant).toEqual({ anonymous: false, wantsReply: true, name: '张**', phone: '138****5678', masked: true });
    expect(asMarket.merged[0].complainant.phone).toBe('139****1111');
    expect(JSON.stringify(asMarket)).not.toContain(phone);
    // The department's task carries the content and the subject, not the complainant.
    // The task's own record is written by the task (it may land after the clue's).
    const marketTask = await eventually(
      async () => (await clueOf('market', clueId)).departmentTasks.find((t: { department: string }) => t.department === 'market'),
      {
        message: "market's task in the record",
      },
    );
    expect(marketTask.instructions).toContain('预付卡门店关门');
    expect(marketTask.instructions).toContain('91610124MA6TG0001X');
    // Another county's office sees nothing of it; a department it was never sent to neither.
    expect((await call('otherCounty', 'GET', `/v1/clues/${clueId}`)).status).toBe(404);
    expect((await call('housing', 'GET', `/v1/clues/${clueId}`)).status).toBe(404);
    expect((await call('market', 'GET', '/v1/clues?state=handling')).body.items.map((c: Clue) => c.clueId)).toContain(clueId);
    expect((await call('housing', 'GET', '/v1/clues')).body.items.map((c: Clue) => c.clueId)).not.toContain(clueId);

    // Only the 12345 office visits back, and only once replied.
    expect((await call('office', 'POST', `/v1/clues/${clueId}/visit`, { satisfaction: 'satisfied' })).status).toBe(409);
    // The co-handler verifies, then the lead replies (signing for its task on the way).
    const co = runningTask(handling, 'commerce', 'co-handler')!;
    expect((await call('commerce', 'POST', `/v1/tasks/${co.taskId}/sign`)).status).toBe(200);
    expect((await call('commerce', 'POST', `/v1/tasks/${co.taskId}/submit`, { summary: '核实：门店已停业' })).status).toBe(200);
    expect((await call('commerce', 'POST', `/v1/clues/${clueId}/reply`, { summary: '不是我们答复' })).status).toBe(403);
    const replied = await call('market', 'POST', `/v1/clues/${clueId}/reply`, { summary: '已责令经营者退款，已退款 3 笔' });
    expect(replied.status, JSON.stringify(replied.body)).toBe(200);
    expect(replied.body.state).toBe('replied');
    expect(replied.body.reply).toMatchObject({ summary: '已责令经营者退款，已退款 3 笔', department: 'market' });
    // The repeat shows the reply of the clue it joined (from the record, once written).
    const joined = await eventually(
      async () => {
        const r = await clueOf('office', repeatId);
        return r.joined?.state === 'replied' ? r : undefined;
      },
      { message: 'the repeat follows its clue' },
    );
    expect(joined).toMatchObject({ state: 'merged', mergedInto: clueId, joined: { reply: { summary: '已责令经营者退款，已退款 3 笔' } } });
    expect(joined.complainant.phone).toBe('13900001111');

    expect((await call('market', 'POST', `/v1/clues/${clueId}/visit`, { satisfaction: 'satisfied' })).status).toBe(403);
    const visited = await call('office', 'POST', `/v1/clues/${clueId}/visit`, { satisfaction: 'satisfied', note: '来电人表示满意' });
    expect(visited.status).toBe(200);
    // The state is recorded closed with the visit-back; the `closed` entry is the next record.
    const closed = await clueWhen(clueId, (c) => c.state === 'closed' && c.timeline.some((e: { type: string }) => e.type === 'closed'), 'the clue closed');
    expect(closed.visits).toEqual([expect.objectContaining({ satisfaction: 'satisfied' })]);
    expect(closed.timeline.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['received', 'dispatched', 'task.assigned', 'replied', 'visited', 'closed']),
    );

    // The phone numbers are nowhere but sealed in clue_contacts: not in the read model, the
    // timeline, the audit log, notifications, webhooks' deliveries, or the workflows' histories.
    for (const table of ['clues', 'tasks', 'timeline_events', 'audit_log', 'audit_texts', 'notifications', 'webhook_deliveries', 'clue_contacts']) {
      const dump = (await stack.db.pool.query(`SELECT coalesce(string_agg(t::text, ' '), '') AS all FROM ${table} t`)).rows[0].all as string;
      expect(dump, table).not.toContain(phone);
      expect(dump, table).not.toContain('张三丰');
    }
    for (const id of [clueId, ...closed.tasks.map((t: { taskId: string }) => t.taskId.replace(/~/g, '/'))]) {
      const text = await decodedHistory(id);
      expect(text, id).toContain('预付卡门店关门'); // decoded: the content is there in clear
      expect(text, id).not.toContain(phone);
      expect(text, id).not.toContain('张三丰');
    }
    // Nor in the logs: the API's request lines (at trace) and the SDK's (worker, activities,
    // workflows) name the clue and its routes, never the complainant.
    const logged = logs.join('\n');
    expect(logged).toContain(`/v1/clues/${clueId}`);
    expect(logged).toContain('Workflow completed');
    expect(logged).not.toContain(phone);
    expect(logged).not.toContain('13900001111');
    expect(logged).not.toContain('张三丰');
  });

  test('returned twice, re-dispatched by the office; the third dispatch designates the handler, who cannot return it', async () => {
    const c = await intake({ category: 'help', content: '小区门口占道经营', complainant: { anonymous: true, wantsReply: false } });
    expect(c.body).toMatchObject({ state: 'dispatching' });
    const clueId = c.body.clueId as string;
    expect((await clueOf('office', clueId)).complainant).toEqual({ anonymous: true, wantsReply: false, masked: false });
    // Only the 12345 office dispatches; a department it was never sent to does not even see it.
    expect((await call('supervisor', 'POST', `/v1/clues/${clueId}/dispatch`, { department: 'market' })).status).toBe(403);
    expect((await call('market', 'POST', `/v1/clues/${clueId}/dispatch`, { department: 'market' })).status).toBe(404);

    for (const [i, department] of (['market', 'housing'] as const).entries()) {
      await clueWhen(clueId, (v) => v.state === 'dispatching', `awaiting dispatch ${i + 1}`);
      const sent = await call('office', 'POST', `/v1/clues/${clueId}/dispatch`, { department });
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);
      await clueWhen(clueId, (v) => !!runningTask(v, department), `${department}'s task`);
      const back = await call(department, 'POST', `/v1/clues/${clueId}/return`, { reason: '不属于本部门职责', basis: 'duties' });
      expect(back.status, JSON.stringify(back.body)).toBe(200);
      expect(back.body.state).toBe('returned');
    }
    await clueWhen(clueId, (v) => v.state === 'dispatching', 'awaiting the third dispatch');
    const third = await call('office', 'POST', `/v1/clues/${clueId}/dispatch`, { department: 'commerce' });
    expect(third.status).toBe(200);
    const designated = await clueWhen(clueId, (v) => !!runningTask(v, 'commerce'), "commerce's designated task");
    expect(
      designated.dispatches.map((d: { department: string; designated: boolean; returned?: unknown }) => [d.department, d.designated, !!d.returned]),
    ).toEqual([
      ['market', false, true],
      ['housing', false, true],
      ['commerce', true, false],
    ]);
    const refused = await call('commerce', 'POST', `/v1/clues/${clueId}/return`, { reason: '不属于本部门职责' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('not_returnable');
    expect((await clueOf('supervisor', clueId)).state).toBe('handling');
  });

  test('unsatisfied: handled again by the same department, then a supervisor decides', async () => {
    const c = await intake({ category: 'suggestion', content: '学校门口交通拥堵', trade: 'education' });
    expect(c.body).toMatchObject({ state: 'handling', department: 'education' });
    const clueId = c.body.clueId as string;
    for (const round of [1, 2]) {
      await clueWhen(clueId, (v) => v.rounds === round && !!runningTask(v, 'education'), `round ${round}`);
      const r = await call('education', 'POST', `/v1/clues/${clueId}/reply`, { summary: `第${round}次答复：已协调错峰放学` });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.state).toBe('replied');
      expect((await call('office', 'POST', `/v1/clues/${clueId}/visit`, { satisfaction: 'unsatisfied', note: '仍然拥堵' })).status).toBe(200);
    }
    const deciding = await clueWhen(clueId, (v) => v.state === 'deciding', 'awaiting the decision');
    expect(deciding.tasks.filter((t: { role: string }) => t.role === 'lead').map((t: { department: string }) => t.department)).toEqual([
      'education',
      'education',
    ]);
    expect((await call('office', 'POST', `/v1/clues/${clueId}/decision`, { decision: 'close', reason: '已尽力协调' })).status).toBe(403);
    const decided = await call('supervisor', 'POST', `/v1/clues/${clueId}/decision`, { decision: 'close', reason: '已协调交警错峰，诉求部分超出职权' });
    expect(decided.status).toBe(200);
    await clueWhen(clueId, (v) => v.state === 'closed', 'closed by the decision');
    const listed = await call('supervisor', 'GET', '/v1/clues?state=closed&category=suggestion');
    expect(listed.body.items.map((v: Clue) => v.clueId)).toContain(clueId);
  });

  test('bad input gets a clear error and starts nothing', async () => {
    const before = (await stack.db.pool.query('SELECT count(*)::int AS n FROM clues')).rows[0].n;
    const bad = await call(
      'platform',
      'POST',
      '/v1/clues',
      { ...workOrder().body, complainant: { anonymous: true, wantsReply: false, phone } },
      { 'idempotency-key': 'GD-bad-000001' },
    );
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).not.toContain(phone);
    expect((await call('market', 'POST', '/v1/clues', workOrder().body)).status).toBe(403);
    expect((await call('platform', 'POST', '/v1/clues', { ...workOrder().body, county: '610122' })).status).toBe(403);
    expect((await stack.db.pool.query('SELECT count(*)::int AS n FROM clues')).rows[0].n).toBe(before);
  });
});
