/**
 * The notification inbox with real parts (test/helpers/api.ts): `unread=true`, marking read
 * (recipients only, idempotent, ids URL-encoded) and keyset paging. Notifications come from real
 * department-task workflows, and, where a particular id shape is needed, from `recordEvent` — the
 * function the activities write them with.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { recordEvent } from '../../db/events.js';
import { inTransaction } from '../../db/pool.js';
import { createKey } from '../../db/keys.js';
import type { EventRecord, Recipient } from '../../domain/events.js';
import { startApiHarness, type ApiHarness, type ApiResponse, type Caller } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  await h?.close();
});

interface Note {
  id: string;
  kind: string;
  objectId: string;
  readAt: string | null;
  createdAt: string;
  to: { county: string; department: string | null; role: string | null };
}

let titles = 0;

/** POST /v1/tasks as the operator; waits until the task.assigned notification is written. */
async function assign(overrides: Record<string, unknown> = {}) {
  const res = await h.call('POST', '/v1/tasks', {
    as: 'operator',
    body: { department: 'housing', leadDepartment: 'commerce', title: `收件箱测试 #${++titles}`, instructions: '现场核查', ...overrides },
  });
  expect(res.status, res.text).toBe(201);
  const t = res.body as { taskId: string; workflowId: string };
  await eventually(
    async () => {
      const r = await h.db.pool.query('SELECT 1 FROM notifications WHERE object_id = $1', [t.workflowId]);
      return r.rowCount !== 0;
    },
    { message: `notification of ${t.workflowId}` },
  );
  return t;
}

async function notesAbout(objectId: string, as: Caller): Promise<Note[]> {
  const res = await h.call('GET', `/v1/notifications?objectId=${encodeURIComponent(objectId)}`, { as });
  expect(res.status, res.text).toBe(200);
  return res.body.items as Note[];
}

const read = (id: string, as: Caller | null) => h.call('POST', `/v1/notifications/${encodeURIComponent(id)}/read`, { as });

function expectError(res: ApiResponse, status: number, code: string, fieldPath?: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.body?.error?.code, res.text).toBe(code);
  if (fieldPath)
    expect(
      res.body.error.issues.map((i: { path: string }) => i.path),
      res.text,
    ).toContain(fieldPath);
}

/** Writes one event with notifications the way the activities do. */
let seq = 0;
async function writeEvent(workflowId: string, recipients: Recipient[], at = new Date()) {
  const e: EventRecord = {
    workflowId,
    seq: ++seq,
    county: '610124',
    at: at.toISOString(),
    type: 'test.notice',
    summary: '测试通知',
    notifications: [{ kind: 'test.notice', title: `测试通知 ${seq}`, body: '正文', recipients }],
  };
  await inTransaction(h.db.pool, (c) => recordEvent(c, e));
  return recipients.map((_, i) => `${workflowId}#${e.seq}#${i}`);
}

describe('POST /v1/notifications/{id}/read', () => {
  test('a recipient marks a notification read: 200 with readAt; marking again is 200 and keeps the first time', async () => {
    const t = await assign();
    const [note] = await notesAbout(t.workflowId, 'housing');
    expect(note).toMatchObject({ kind: 'task.assigned', readAt: null });
    expect(note!.id).toMatch(/#/);

    const first = await read(note!.id, 'housing');
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({ id: note!.id, kind: 'task.assigned', objectId: t.workflowId });
    expect(first.body.readAt).toMatch(/\+08:00$/);

    // Marking again must not move readAt: wait until the clock has passed it, so a second now()
    // would differ.
    await eventually(() => Date.now() > Date.parse(first.body.readAt), { intervalMs: 1, message: 'the clock to pass the first readAt' });
    const again = await read(note!.id, 'housing');
    expect(again.status, again.text).toBe(200);
    expect(again.body.readAt).toBe(first.body.readAt);
    expect((await notesAbout(t.workflowId, 'housing'))[0]!.readAt).toBe(first.body.readAt);
  });

  test('anyone but a recipient gets 404 and the notification stays unread: another department, the same department of another county, other roles', async () => {
    const t = await assign();
    const [note] = await notesAbout(t.workflowId, 'housing');
    for (const who of ['market', 'commerce', 'otherCountyHousing', 'operator', 'supervisor', 'citySupervisor'] as const) {
      expectError(await read(note!.id, who), 404, 'not_found');
    }
    expect((await notesAbout(t.workflowId, 'housing'))[0]!.readAt).toBeNull();
  });

  test('a role recipient: a county supervisor marks the task.returned notice addressed to the supervisor role', async () => {
    const t = await assign();
    const ret = await h.call('POST', `/v1/tasks/${t.taskId}/return`, { as: 'housing', body: { reason: '属于市场监管职责' } });
    expect(ret.status, ret.text).toBe(200);
    const [toRole] = await notesAbout(t.workflowId, 'supervisor');
    expect(toRole).toMatchObject({ kind: 'task.returned', to: { county: '610124', department: null, role: 'supervisor' } });
    // The city's supervisors hold the role, but in another division; the housing officer does not hold it.
    expectError(await read(toRole!.id, 'citySupervisor'), 404, 'not_found');
    expectError(await read(toRole!.id, 'housing'), 404, 'not_found');
    const res = await read(toRole!.id, 'supervisor');
    expect(res.status, res.text).toBe(200);
    expect(res.body.readAt).toEqual(expect.any(String));
    // The department copy of the same event (to the lead department) is a row of its own, still unread.
    const [toLead] = await notesAbout(t.workflowId, 'commerce');
    expect(toLead).toMatchObject({ kind: 'task.returned', readAt: null });
  });

  test('ids with `#`, `:` and `/` are accepted URL-encoded; `~` may stand for `/`', async () => {
    const matterTask = 'matter:610124:refined-oil:2026-0001/task:housing:1';
    const [a, b] = [
      ...(await writeEvent(matterTask, [{ county: '610124', department: 'housing' }])),
      ...(await writeEvent(matterTask, [{ county: '610124', department: 'housing' }])),
    ];
    expect(encodeURIComponent(a!)).toContain('%2F');
    const encoded = await read(a!, 'housing');
    expect(encoded.status, encoded.text).toBe(200);
    expect(encoded.body.id).toBe(a);
    const tilde = await h.call('POST', `/v1/notifications/${encodeURIComponent(b!.replaceAll('/', '~'))}/read`, { as: 'housing' });
    expect(tilde.status, tilde.text).toBe(200);
    expect(tilde.body.id).toBe(b);
  });

  test('an unknown id → 404; an over-long id → 400 naming params.id; no key → 401', async () => {
    expectError(await read('task:610124:housing:2026-9999#1#0', 'housing'), 404, 'not_found');
    expectError(await read('x'.repeat(250), 'housing'), 400, 'validation_failed', 'params.id');
    expectError(await read('task:610124:housing:2026-9999#1#0', null), 401, 'unauthenticated');
  });
});

describe('GET /v1/notifications?unread=true', () => {
  test('lists only what is not read yet; a read notification leaves the unread list and stays in the full one', async () => {
    const t = await assign();
    const [note] = await notesAbout(t.workflowId, 'housing');
    const unreadBefore = await h.call('GET', `/v1/notifications?unread=true&objectId=${encodeURIComponent(t.taskId)}`, { as: 'housing' });
    expect(unreadBefore.body.items.map((n: Note) => n.id)).toEqual([note!.id]);

    expect((await read(note!.id, 'housing')).status).toBe(200);
    const unreadAfter = await h.call('GET', `/v1/notifications?unread=true&objectId=${encodeURIComponent(t.taskId)}`, { as: 'housing' });
    expect(unreadAfter.body.items).toEqual([]);
    const all = await h.call('GET', `/v1/notifications?unread=false&objectId=${encodeURIComponent(t.taskId)}`, { as: 'housing' });
    expect(all.body.items.map((n: Note) => n.id)).toEqual([note!.id]);
    const everything = await h.call('GET', '/v1/notifications?unread=true&limit=200', { as: 'housing' });
    expect(everything.body.items.every((n: Note) => n.readAt === null)).toBe(true);
    expect(everything.body.items.map((n: Note) => n.id)).not.toContain(note!.id);
  });

  test('unread=yes → 400 naming querystring.unread', async () => {
    expectError(await h.call('GET', '/v1/notifications?unread=yes', { as: 'housing' }), 400, 'validation_failed', 'querystring.unread');
  });

  test('pages of limit=2 return every notification exactly once, newest first, with and without unread=true (ties on createdAt included)', async () => {
    // Eight notifications to the sports department, four sharing one timestamp (the keyset tie-break on id).
    const base = Date.now() + 60_000;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push(
        ...(await writeEvent(
          `task:610124:sports:2026-${String(i + 1).padStart(4, '0')}`,
          [{ county: '610124', department: 'sports' }],
          new Date(base + i * 1000),
        )),
      );
    for (let i = 0; i < 4; i++)
      ids.push(...(await writeEvent('task:610124:sports:2026-0099', [{ county: '610124', department: 'sports' }], new Date(base + 10_000))));
    const sports = await createKey(h.db.pool, { county: '610124', department: 'sports', roles: ['officer'] });
    const auth = { authorization: `Bearer ${sports.key}` };

    const pages = async (query: string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: ApiResponse = await h.call('GET', `/v1/notifications?limit=2${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { as: auth });
        expect(res.status, res.text).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...(res.body.items as Note[]).map((n) => n.id));
        cursor = res.body.nextCursor as string | null;
      } while (cursor && seen.length <= ids.length);
      return seen;
    };
    const full = (await h.call('GET', '/v1/notifications?limit=200', { as: auth })).body.items as Note[];
    expect(full.map((n) => n.id).sort()).toEqual([...ids].sort());
    expect(await pages('')).toEqual(full.map((n) => n.id));

    // Read every other one (by the sports key); the unread pages are exactly the rest, in order.
    const readIds = full.filter((_, i) => i % 2 === 0).map((n) => n.id);
    for (const id of readIds) {
      const res = await h.call('POST', `/v1/notifications/${encodeURIComponent(id)}/read`, { as: auth });
      expect(res.status, res.text).toBe(200);
    }
    const expectedUnread = full.map((n) => n.id).filter((id) => !readIds.includes(id));
    expect(await pages('&unread=true')).toEqual(expectedUnread);
    expect(await pages('')).toEqual(full.map((n) => n.id));
  });
});
