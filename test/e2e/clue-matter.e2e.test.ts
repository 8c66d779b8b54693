/**
 * Clue → matter (issue 13 §1) end to end through HTTP with real parts (Temporal dev server,
 * PostgreSQL, the worker, the API): the 12345 platform takes a work order in, the county's
 * catalogue dispatches it, the lead opens a prepaid-card matter from it, the matter's departments
 * work it to its end through their inboxes, then the lead replies and the office visits back.
 */
import { describe, expect, test } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { useStack } from '../helpers/stack.js';

const county = '610124';
const stack = useStack({
  queue: 'e2e-clue-matter',
  keys: {
    platform: { county, department: 'gov-services', roles: ['officer'], kind: 'system', name: '12345热线平台' },
    office: { county, department: 'gov-services', roles: ['officer'] },
    admin: { county, roles: ['admin'] },
    supervisor: { county, roles: ['supervisor'] },
    market: { county, department: 'market', roles: ['officer'] },
    commerce: { county, department: 'commerce', roles: ['officer'] },
    education: { county, department: 'education', roles: ['officer'] },
  },
});
const { call } = stack;

type Task = { taskId: string; department: string; role: string; state: string; key: string };
type Clue = {
  clueId: string;
  state: string;
  tasks: Task[];
  matter?: { matterId: string; scenario: string; state: string; result?: { code: string } };
  [k: string]: any;
};
const clueOf = async (clueId: string) => (await call('supervisor', 'GET', `/v1/clues/${clueId}`)).body as Clue;
const clueWhen = (clueId: string, pred: (c: Clue) => boolean, message: string) =>
  eventually(
    async () => {
      const c = await clueOf(clueId);
      return pred(c) ? c : undefined;
    },
    { message },
  );
const running = (c: Clue, department: string, role = 'lead') => c.tasks.find((t) => t.department === department && t.role === role && t.state === 'running');

/** The department finds the matter's step in its inbox, signs and submits; the reviewer accepts. */
async function work(dept: string, matterId: string, key: string, outcome: string, reviewer: string) {
  const who = dept === 'gov-services' ? 'office' : dept;
  const task = await eventually(
    async () =>
      ((await call('supervisor', 'GET', `/v1/matters/${matterId}`)).body.tasks as Task[] | undefined)?.find(
        (t) => t.key === key && t.state === 'assigned' && t.department === dept,
      ),
    { message: `${dept}'s ${key} in ${matterId}` },
  );
  expect((await call(who, 'GET', '/v1/tasks?state=assigned')).body.items.map((t: Task) => t.taskId)).toContain(task.taskId);
  expect((await call(who, 'POST', `/v1/tasks/${task.taskId}/sign`)).status).toBe(200);
  const submitted = await call(who, 'POST', `/v1/tasks/${task.taskId}/submit`, { summary: `${key}: ${outcome}`, outcome });
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
  const reviewed = await call(reviewer, 'POST', `/v1/tasks/${task.taskId}/review`, { decision: 'accept', comment: '同意' });
  expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);
}

describe('a clue that opens a matter, through HTTP', () => {
  test('dispatched by the catalogue; the lead opens a matter (201, then 200); the reply waits for the matter’s end (409); then reply, visit-back, closed', async () => {
    const put = await call('admin', 'PUT', `/v1/counties/${county}/dispatch-rules`, {
      rules: [{ id: 'prepaid', match: { keywords: ['预付卡'] }, duty: 'functional', lead: 'market', coHandlers: ['commerce'] }],
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const ref = `GD${Date.now()}`;
    const taken = await call(
      'platform',
      'POST',
      '/v1/clues',
      {
        channel: '12345',
        ref,
        category: 'complaint',
        urgency: 'normal',
        county,
        content: '培训学校预付卡停课不退费',
        subject: { name: '某某培训学校', kind: 'enterprise', creditCode: '91610124MA6TG0002X' },
        complainant: { anonymous: true, wantsReply: false },
      },
      { 'idempotency-key': ref },
    );
    expect(taken.status, JSON.stringify(taken.body)).toBe(201);
    expect(taken.body).toMatchObject({ state: 'handling', department: 'market' });
    const clueId = taken.body.clueId as string;
    const handling = await clueWhen(clueId, (c) => !!running(c, 'market') && !!running(c, 'commerce', 'co-handler'), 'the lead and co-handler tasks');
    const firstTask = running(handling, 'market')!;

    // Bad facts: 400 naming the field, and nothing starts.
    const matters = async () => (await stack.db.pool.query('SELECT count(*)::int AS n FROM matters')).rows[0].n as number;
    const bad = await call('market', 'POST', `/v1/clues/${clueId}/matter`, { scenario: 'prepaid-card', facts: { trade: 'bakery', signal: 'complaint' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['body.facts.trade']);
    // Only the lead: a co-handler and the 12345 office see the clue but may not open a matter from it.
    const body = { scenario: 'prepaid-card', facts: { trade: 'education', signal: 'complaint' } };
    expect((await call('commerce', 'POST', `/v1/clues/${clueId}/matter`, body)).status).toBe(403);
    expect((await call('office', 'POST', `/v1/clues/${clueId}/matter`, body)).status).toBe(403);
    expect(await matters()).toBe(0);

    const opened = await call('market', 'POST', `/v1/clues/${clueId}/matter`, body, { 'idempotency-key': `${ref}-matter` });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    expect(opened.body).toMatchObject({ state: 'in-matter', matter: { scenario: 'prepaid-card', state: 'running' } });
    const matterId = opened.body.matter.matterId as string;
    expect(matterId).toMatch(/^matter:610124:prepaid-card:\d{4}-\d{4}$/);
    // Asked again (a retry with its key, or a second request): the same matter, 200.
    const retry = await call('market', 'POST', `/v1/clues/${clueId}/matter`, body, { 'idempotency-key': `${ref}-matter` });
    const again = await call('market', 'POST', `/v1/clues/${clueId}/matter`, body);
    expect([retry.status, retry.body.matter?.matterId, again.status, again.body.matter?.matterId]).toEqual([200, matterId, 200, matterId]);
    // One matter per clue: another scenario is refused.
    const other = await call('market', 'POST', `/v1/clues/${clueId}/matter`, {
      scenario: 'refined-oil',
      facts: { township: '610124100', stationKind: 'licensed-station' },
    });
    expect([other.status, other.body.error?.code]).toEqual([409, 'wrong_state']);

    // The lead's handling task ended with the decision, in time.
    const task = await eventually(
      async () => {
        const t = (await call('market', 'GET', `/v1/tasks/${firstTask.taskId}`)).body;
        return t.state === 'completed' ? t : undefined;
      },
      { message: 'the handling task completed by the transfer' },
    );
    expect([task.overdue, task.submission.summary]).toEqual([false, `转立综合监管事项办理（${matterId}），事项办结后答复`]);
    // The reply (and a return) wait for the matter's end.
    const early = await call('market', 'POST', `/v1/clues/${clueId}/reply`, { summary: '已处理' });
    expect([early.status, early.body.error?.code]).toEqual([409, 'matter_pending']);
    expect((await call('market', 'POST', `/v1/clues/${clueId}/return`, { reason: '不属于本部门职责' })).body.error?.code).toBe('matter_pending');

    // A matter like any other: listed, naming the clue, with its search attributes and summary.
    const m = await eventually(
      async () => {
        const r = await call('supervisor', 'GET', `/v1/matters/${matterId}`);
        return r.status === 200 ? r.body : undefined;
      },
      { message: 'the matter in the read model' },
    );
    expect(m).toMatchObject({ clueId, scenario: 'prepaid-card', leadDepartment: 'commerce', status: 'open', subject: { creditCode: '91610124MA6TG0002X' } });
    expect(m.timeline[0]).toMatchObject({ type: 'opened' });
    const described = await stack.client.workflow.getHandle(matterId).describe();
    expect([described.type, await described.staticSummary()]).toEqual(['prepaidCardMatter', '单用途预付卡 · 周至县 · 商务局牵头']);
    expect(described.searchAttributes).toMatchObject({ County: [county], Scenario: ['prepaid-card'], LeadDepartment: ['commerce'] });

    // The co-handler verifies meanwhile; the matter's departments work it to its end.
    const co = running(await clueOf(clueId), 'commerce', 'co-handler')!;
    expect((await call('commerce', 'POST', `/v1/tasks/${co.taskId}/sign`)).status).toBe(200);
    expect((await call('commerce', 'POST', `/v1/tasks/${co.taskId}/submit`, { summary: '核实：学校已停课' })).status).toBe(200);
    await work('commerce', matterId, 'triage', 'assigned', 'supervisor');
    await work('education', matterId, 'acceptance', 'rejected', 'commerce');
    // A 12345 work order: the office tells the complainant the acceptance decision (消费者权益保护法 art. 46).
    await work('gov-services', matterId, 'reply.acceptance', 'replied', 'commerce');
    await eventually(async () => ((await call('supervisor', 'GET', `/v1/matters/${matterId}`)).body.status === 'closed' ? true : undefined), {
      message: 'the matter closed',
    });

    // Its end starts the lead's reply step; the reply is the clue's.
    const due = await clueWhen(clueId, (c) => c.state === 'handling' && !!running(c, 'market'), 'the reply step');
    expect(due.matter).toMatchObject({ matterId, state: 'closed', result: { code: 'complaint-rejected' } });
    const replied = await call('market', 'POST', `/v1/clues/${clueId}/reply`, { summary: '经立案核查，投诉不予受理，已说明理由' });
    expect(replied.status, JSON.stringify(replied.body)).toBe(200);
    expect(replied.body).toMatchObject({ state: 'replied', reply: { summary: '经立案核查，投诉不予受理，已说明理由', department: 'market' } });
    expect((await call('office', 'POST', `/v1/clues/${clueId}/visit`, { satisfaction: 'satisfied' })).status).toBe(200);
    // Closed once its last entry is written (the state says closed from the visit on).
    const closed = await clueWhen(clueId, (c) => c.timeline.at(-1)?.type === 'closed', 'the clue closed');
    expect(closed.timeline.map((e: { type: string }) => e.type)).toEqual([
      'received',
      'dispatched',
      'task.assigned',
      'task.assigned',
      'matter.opened',
      'matter.ended',
      'task.assigned',
      'replied',
      'visited',
      'closed',
    ]);
    // The lead's handling task and its reply step, and the co-handler's verification (started with the first).
    expect(closed.tasks.filter((t) => t.role === 'lead').map((t) => [t.department, t.state, t.taskId === firstTask.taskId])).toEqual([
      ['market', 'completed', true],
      ['market', 'completed', false],
    ]);
    expect(closed.tasks.filter((t) => t.role === 'co-handler').map((t) => [t.department, t.state])).toEqual([['commerce', 'completed']]);
  });

  test('a dispatch rule opens the matter at intake (facts from the rule and the clue); a clue without a subject stays with the lead', async () => {
    const put = await call('admin', 'PUT', `/v1/counties/${county}/dispatch-rules`, {
      rules: [
        {
          id: 'card-absconding',
          match: { keywords: ['跑路'] },
          duty: 'functional',
          lead: 'market',
          openMatter: { scenario: 'prepaid-card', facts: { signal: 'absconding' } },
        },
      ],
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const intake = async (ref: string, extra: Record<string, unknown>) =>
      call(
        'platform',
        'POST',
        '/v1/clues',
        { channel: '12345', ref, category: 'report', urgency: 'normal', county, content: '健身房预付卡老板跑路', trade: 'sports', ...extra },
        { 'idempotency-key': ref },
      );
    const taken = await intake(`GD${Date.now()}1`, { subject: { name: '某某健身', kind: 'enterprise' } });
    expect(taken.status, JSON.stringify(taken.body)).toBe(201);
    const clueId = taken.body.clueId as string;
    const opened = await clueWhen(clueId, (c) => c.state === 'in-matter', 'the matter opened at dispatch');
    expect([opened.tasks, opened.matter?.scenario]).toEqual([[], 'prepaid-card']);
    const matterId = opened.matter!.matterId;
    const m = await eventually(
      async () => {
        const r = await call('supervisor', 'GET', `/v1/matters/${matterId}`);
        return r.status === 200 ? r.body : undefined;
      },
      { message: 'the matter in the read model' },
    );
    expect(m).toMatchObject({ clueId, facts: { trade: 'sports', signal: 'absconding' }, status: 'open' });
    expect((await call('market', 'POST', `/v1/clues/${clueId}/reply`, { summary: '已处理' })).body.error?.code).toBe('matter_pending');

    const bare = await intake(`GD${Date.now()}2`, {});
    const handled = await clueWhen(bare.body.clueId, (c) => !!running(c, 'market'), 'the lead handles it');
    expect(handled.state).toBe('handling');
    expect(handled.timeline.map((e: { type: string }) => e.type)).toContain('matter.not-opened');
    // Nor can its lead open one by hand: a matter is about a subject.
    const noSubject = await call('market', 'POST', `/v1/clues/${bare.body.clueId}/matter`, {
      scenario: 'prepaid-card',
      facts: { trade: 'sports', signal: 'absconding' },
    });
    expect([noSubject.status, noSubject.body.error?.code]).toEqual([409, 'no_subject']);
    expect((await clueOf(bare.body.clueId)).state).toBe('handling');
  });
});
