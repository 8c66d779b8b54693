/**
 * Issue 11 §4 (PIPL art. 47): a subject's personal data is erased from the record and the audit
 * trail still verifies; its free text was kept outside the hash chain, under a salted digest.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createKey } from '../../db/keys.js';
import { ERASED } from '../../db/subjects.js';
import { startApiHarness, type ApiHarness } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';

let h: ApiHarness;
let admin: string;
let auditor: string;
beforeAll(async () => {
  h = await startApiHarness();
  admin = (await createKey(h.db.pool, { county: '610124', roles: ['admin'] })).key;
  auditor = (await createKey(h.db.pool, { county: '610124', roles: ['auditor'] })).key;
});
afterAll(async () => h?.close());

const as = (key: string) => ({ authorization: `Bearer ${key}` });

/** Every row of the read model and the audit texts that still holds `text`. */
async function occurrences(text: string): Promise<Record<string, number>> {
  const q = async (sql: string) => Number((await h.db.pool.query<{ n: string }>(sql, [`%${text}%`])).rows[0]!.n);
  return {
    auditTexts: await q('SELECT count(*) AS n FROM audit_texts WHERE text LIKE $1'),
    auditChain: await q('SELECT count(*) AS n FROM audit_log WHERE details::text LIKE $1'),
    timeline: await q('SELECT count(*) AS n FROM timeline_events WHERE summary LIKE $1 OR data::text LIKE $1'),
    notifications: await q('SELECT count(*) AS n FROM notifications WHERE title LIKE $1 OR body LIKE $1'),
    matters: await q('SELECT count(*) AS n FROM matters WHERE view::text LIKE $1'),
    tasks: await q('SELECT count(*) AS n FROM tasks WHERE view::text LIKE $1'),
  };
}

describe('erasing a subject (PIPL art. 47)', () => {
  test('free text sits outside the chain; erasure removes the name and the reasons everywhere in the record, and the chain still verifies', async () => {
    const name = '删除测试户主甲乙';
    const launched = await h.call('POST', '/v1/matters', {
      as: 'operator',
      body: {
        scenario: 'self-built-housing',
        county: '610124',
        subject: { name, kind: 'house', address: '周至县删除村 9 号' },
        facts: { township: '610124100', reportedHazard: true },
      },
    });
    expect(launched.status, launched.text).toBe(201);
    const matterId = launched.body.matterId as string;
    const subjectId = await eventually(async () => (await h.call('GET', `/v1/matters/${matterId}`, { as: 'supervisor' })).body.subjectId as string | null, {
      message: 'the subject recorded',
    });
    expect(subjectId).toMatch(/^s-[0-9a-f]{32}$/);

    // Open: refused, nothing changed.
    const early = await h.call('POST', `/v1/subjects/${subjectId}/erase`, { as: as(admin), body: { reason: '本人依个人信息保护法第四十七条申请删除' } });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('subject_in_use');

    const cancelled = await h.call('POST', `/v1/matters/${matterId}/cancel`, { as: 'operator', body: { reason: `${name}已自行拆除，撤销本事项` } });
    expect(cancelled.status, cancelled.text).toBe(200);
    await eventually(async () => (await h.call('GET', `/v1/matters/${matterId}`, { as: 'supervisor' })).body.status === 'cancelled' || undefined, {
      message: 'cancelled',
    });
    // Before: the trail reads the reason back, while the chained details hold only its digest.
    const before = await eventually(
      async () => {
        const r = await h.call('GET', `/v1/audit?objectId=${matterId}`, { as: as(auditor) });
        return r.body.items.some((e: { action: string }) => e.action === 'cancelled') ? r : undefined;
      },
      { message: 'the cancellation audited' },
    );
    expect(JSON.stringify(before.body)).toContain(name);
    const counts = await occurrences(name);
    expect(counts.auditChain).toBe(0);
    expect(counts.auditTexts).toBeGreaterThan(0);

    expect((await h.call('POST', `/v1/subjects/${subjectId}/erase`, { as: 'supervisor', body: { reason: '申请删除' } })).status).toBe(403);
    const erased = await h.call('POST', `/v1/subjects/${subjectId}/erase`, { as: as(admin), body: { reason: '本人依个人信息保护法第四十七条申请删除' } });
    expect(erased.status, erased.text).toBe(200);
    expect(erased.body).toMatchObject({ subjectId, eventId: `subject:${subjectId}#erased`, matters: [matterId], retainedInChain: 0 });
    expect(erased.body.auditTexts).toBeGreaterThan(0);
    expect(await occurrences(name)).toEqual({ auditTexts: 0, auditChain: 0, timeline: 0, notifications: 0, matters: 0, tasks: 0 });

    const matter = await h.call('GET', `/v1/matters/${matterId}`, { as: 'supervisor' });
    expect(matter.body.subject.name).toBe(ERASED);
    expect(matter.text).not.toContain(name);
    const after = await h.call('GET', `/v1/audit?objectId=${matterId}`, { as: as(auditor) });
    expect(after.text).not.toContain(name);
    const cancelEntry = after.body.items.find((e: { action: string }) => e.action === 'cancelled');
    expect(cancelEntry.erased).toEqual(expect.arrayContaining(['summary']));
    expect(cancelEntry.details.summary).toBeNull();
    expect((await h.call('GET', '/v1/audit/verify', { as: as(auditor) })).body).toMatchObject({ ok: true });
    // The erasure is itself on the trail, and a retry answers it again.
    const trail = await h.call('GET', `/v1/audit?objectId=${subjectId}`, { as: as(auditor) });
    expect(trail.body.items.map((e: { action: string }) => e.action)).toEqual(['subject.erased']);
    const again = await h.call('POST', `/v1/subjects/${subjectId}/erase`, { as: as(admin), body: { reason: '重复提交' } });
    expect(again.body).toEqual(erased.body);
    expect((await h.call('GET', `/v1/subjects/${subjectId}`, { as: as(auditor) })).body).toMatchObject({
      subjectId,
      county: '610124',
      kind: 'house',
      matters: [matterId],
      erasure: erased.body,
    });
  });

  test('a text rewritten, or dropped without a recorded erasure, breaks the verification; the runtime trigger allows only erasure', async () => {
    const launched = await h.call('POST', '/v1/matters', {
      as: 'operator',
      body: {
        scenario: 'self-built-housing',
        county: '610124',
        subject: { name: '篡改测试户主', kind: 'house' },
        facts: { township: '610124100', reportedHazard: true },
      },
    });
    const matterId = launched.body.workflowId as string;
    const row = await eventually(
      async () =>
        (
          await h.db.pool.query<{ event_id: string; field: string }>(
            'SELECT t.event_id, t.field FROM audit_texts t JOIN audit_log a USING (event_id) WHERE a.object_id = $1 ORDER BY a.id LIMIT 1',
            [matterId],
          )
        ).rows[0],
      { message: 'a text' },
    );
    await expect(h.db.pool.query("UPDATE audit_texts SET text = 'x' WHERE event_id = $1 AND field = $2", [row.event_id, row.field])).rejects.toThrow(
      /can only be erased/,
    );
    const verify = async () => (await h.call('GET', '/v1/audit/verify', { as: as(auditor) })).body;
    expect((await verify()).ok).toBe(true);
    // Dropped outside the erasure route: the erasure it names was never recorded.
    await h.db.pool.query("UPDATE audit_texts SET text = NULL, salt = NULL, erased_at = now(), erased_by = 'nobody' WHERE event_id = $1 AND field = $2", [
      row.event_id,
      row.field,
    ]);
    expect(await verify()).toMatchObject({ ok: false, firstBreak: { eventId: row.event_id, reason: 'text' } });
  });
});
