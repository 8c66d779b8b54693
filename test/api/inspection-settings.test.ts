/**
 * The county's published yearly cap per enterprise (issue 14 §4; 国办发〔2024〕54号) through the real
 * app, PostgreSQL and a worker on the time-skipping server: the county's admin sets it (a version
 * per change, audited, a retry writing nothing, a stale edit refused), anyone reads it without a
 * key, nobody else sets it, a bad body changes nothing, and a cap set through the route refuses the
 * next ad-hoc inspection with 409 `recently_inspected` until null removes it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createKey } from '../../db/keys.js';
import { shanghaiDate } from '../../domain/calendar/index.js';
import { startApiHarness, unknownKey, type ApiHarness } from '../helpers/api.js';

let h: ApiHarness;
const county = '610124';
const url = `/v1/counties/${county}/inspection-settings`;
const SUBJECT = `s-${'c'.repeat(31)}1`;
const keys: Record<'admin' | 'otherAdmin', string> = { admin: '', otherAdmin: '' };
const admin = () => ({ authorization: `Bearer ${keys.admin}` });

beforeAll(async () => {
  h = await startApiHarness();
  keys.admin = (await createKey(h.db.pool, { county, roles: ['admin'] })).key;
  keys.otherAdmin = (await createKey(h.db.pool, { county: '610122', roles: ['admin'] })).key;
});
afterAll(async () => h?.close());

const count = async (sql: string, args: unknown[] = []) => Number((await h.db.pool.query<{ n: string }>(sql, args)).rows[0]!.n);
/** What a refused request must leave as it was: the versions and the audit entries. */
const state = async () => ({
  versions: (await h.db.pool.query('SELECT county, version, yearly_cap, settings FROM inspection_settings ORDER BY county, version')).rows,
  audited: await count("SELECT count(*) AS n FROM audit_log WHERE action = 'inspection-settings.put'"),
  published: (await h.call('GET', url, { as: null })).body,
});
const shanghaiIso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?\+08:00$/;

describe('the county’s yearly cap', () => {
  test('none until the county sets one: anyone reads null without a key', async () => {
    const none = await h.call('GET', url, { as: null });
    expect(none.status, none.text).toBe(200);
    expect(none.body).toEqual({ county, countyName: '周至县', yearlyCap: null, version: 0, updatedAt: null });
  });

  test('the county’s admin publishes it: public at once, a version and an audit entry per change, a retry writes nothing, a stale edit 409', async () => {
    const put = await h.call('PUT', url, { as: admin(), body: { yearlyCap: 2, basis: '周政办发〔2026〕7号', baseVersion: 0 } });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toEqual({
      county,
      countyName: '周至县',
      yearlyCap: 2,
      basis: '周政办发〔2026〕7号',
      version: 1,
      updatedAt: expect.stringMatching(shanghaiIso),
    });
    const read = await h.call('GET', url, { as: null });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(put.body);
    // A key changes nothing in what it reads; a bad one is refused.
    expect((await h.call('GET', url, { as: 'market' })).body).toEqual(put.body);
    expect((await h.call('GET', url, { as: { authorization: `Bearer ${unknownKey}` } })).status).toBe(401);
    // Another county's cap is its own.
    expect((await h.call('GET', '/v1/counties/610122/inspection-settings', { as: null })).body).toMatchObject({
      county: '610122',
      yearlyCap: null,
      version: 0,
    });

    // The same values again (a retried request): nothing written, the same answer.
    const retry = await h.call('PUT', url, { as: admin(), body: { yearlyCap: 2, basis: '周政办发〔2026〕7号', baseVersion: 0 } });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(put.body);
    // An edit of the version before: refused, nothing written.
    const before = await state();
    const stale = await h.call('PUT', url, { as: admin(), body: { yearlyCap: 3, baseVersion: 0 } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('stale_version');
    expect(await state()).toEqual(before);

    const audit = await h.db.pool.query(
      "SELECT a.county, a.object_id, a.details, t.text AS basis FROM audit_log a LEFT JOIN audit_texts t ON t.event_id = a.event_id AND t.field = 'basis' WHERE a.action = 'inspection-settings.put' ORDER BY a.id",
    );
    // The basis, free text, leaves the chain for audit_texts like every other (db/events.ts).
    expect(audit.rows).toEqual([
      {
        county,
        object_id: `inspection-settings:${county}`,
        details: expect.objectContaining({ version: 1, yearlyCap: 2, basis: { $text: expect.any(String) } }),
        basis: '周政办发〔2026〕7号',
      },
    ]);
  });

  test('another county’s admin, an officer, a supervisor or no key: refused, nothing changed', async () => {
    const before = await state();
    const body = { yearlyCap: 1 };
    expect((await h.call('PUT', url, { as: { authorization: `Bearer ${keys.otherAdmin}` }, body })).status).toBe(403);
    expect((await h.call('PUT', url, { as: 'market', body })).status).toBe(403);
    expect((await h.call('PUT', url, { as: 'supervisor', body })).status).toBe(403);
    expect((await h.call('PUT', url, { as: null, body })).status).toBe(401);
    // An admin sets only its own county's.
    expect((await h.call('PUT', '/v1/counties/610122/inspection-settings', { as: admin(), body })).status).toBe(403);
    expect(await state()).toEqual(before);
  });

  test('a bad body: 400 naming the field, nothing changed', async () => {
    const before = await state();
    for (const [body, path] of [
      [{ yearlyCap: 0 }, 'body.yearlyCap'],
      [{ yearlyCap: -1 }, 'body.yearlyCap'],
      [{ yearlyCap: 1.5 }, 'body.yearlyCap'],
      [{ yearlyCap: '2' }, 'body.yearlyCap'],
      [{ yearlyCap: 367 }, 'body.yearlyCap'],
      [{}, 'body.yearlyCap'],
      [{ yearlyCap: 2, basis: ' ' }, 'body.basis'],
      [{ yearlyCap: 2, baseVersion: -1 }, 'body.baseVersion'],
    ] as const) {
      const r = await h.call('PUT', url, { as: admin(), body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
      expect(
        r.body.error.issues.map((i: { path: string }) => i.path),
        JSON.stringify(body),
      ).toEqual([path]);
    }
    const zero = await h.call('PUT', url, { as: admin(), body: { yearlyCap: 0 } });
    expect(zero.body).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "validation_failed",
          "issues": [
            {
              "message": "Too small: expected number to be >=1",
              "path": "body.yearlyCap",
            },
          ],
          "message": "请求参数不符合要求",
        },
      }
    `);
    expect(await state()).toEqual(before);
  });
});

describe('the cap set through the route, on the next ad-hoc inspection', () => {
  const adHoc = (item: string) => ({
    county,
    subjectId: SUBJECT,
    department: 'market',
    items: [item],
    inspectors: ['MKT-201', 'MKT-202'],
    visitOn: shanghaiDate(Date.now() + 5 * 86_400_000),
  });

  beforeAll(async () => {
    for (const id of ['CAP-01', 'CAP-02']) {
      const r = await h.call('PUT', `/v1/counties/${county}/inspection-items/${id}`, {
        as: admin(),
        body: {
          field: '成品油流通',
          lead: 'market',
          cooperating: [],
          what: `成品油质量检查 ${id}`,
          basis: [{ statute: '《产品质量法》', article: '第十五条' }],
          objectKind: '加油站',
          category: 'general',
          method: 'on-site',
          level: 'county',
          published: true,
        },
      });
      expect(r.status, r.text).toBe(201);
    }
    const subject = await h.call('PUT', `/v1/subjects/${SUBJECT}`, {
      as: admin(),
      body: {
        name: '周至县上限测试加油站有限公司',
        kind: 'enterprise',
        creditCode: '91610124MA6TK0001X',
        county,
        township: '610124100',
        trade: 'refined-oil',
        tags: [],
        creditGrade: 'B',
      },
    });
    expect(subject.status, subject.text).toBe(201);
    for (const n of [1, 2]) {
      const r = await h.call('PUT', `/v1/inspectors/MKT-20${n}`, {
        as: admin(),
        body: { department: 'market', name: `检查员${n}`, certificateNo: `ZF-61012488${n}`, active: true, qualifications: [], specialties: [], conflicts: [] },
      });
      expect(r.status, r.text).toBe(201);
    }
  });

  test('a cap of 1 refuses a second inspection this year with 409 recently_inspected naming the first, nothing written; null removes it', async () => {
    const current = (await h.call('GET', url, { as: null })).body;
    const set = await h.call('PUT', url, { as: admin(), body: { yearlyCap: 1, basis: '周政办发〔2026〕8号', baseVersion: current.version } });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toMatchObject({ yearlyCap: 1, version: current.version + 1 });

    const first = await h.call('POST', '/v1/inspections', { as: 'market', body: adHoc('CAP-01') });
    expect(first.status, first.text).toBe(201);
    const firstId = first.body.inspectionId as string;
    const inspections = await count('SELECT count(*) AS n FROM inspections WHERE subject_id = $1', [SUBJECT]);
    // Another item, so not a recent duplicate: the cap alone refuses it.
    const capped = await h.call('POST', '/v1/inspections', { as: 'market', body: adHoc('CAP-02') });
    expect(capped.status, capped.text).toBe(409);
    expect(capped.body.error).toEqual({
      code: 'recently_inspected',
      message: `该对象本年度检查次数已达本县公布的上限（最近一次 ${firstId}）`,
      issues: [{ path: 'body.subjectId', message: firstId }],
    });
    expect(await count('SELECT count(*) AS n FROM inspections WHERE subject_id = $1', [SUBJECT])).toBe(inspections);
    expect(await count("SELECT count(*) AS n FROM inspection_refusals WHERE reason = 'yearly-cap' AND subject_id = $1", [SUBJECT])).toBe(1);

    // null: no cap from the next request on.
    const removed = await h.call('PUT', url, { as: admin(), body: { yearlyCap: null } });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body).toEqual({
      county,
      countyName: '周至县',
      yearlyCap: null,
      version: current.version + 2,
      updatedAt: expect.stringMatching(shanghaiIso),
    });
    expect((await h.call('GET', url, { as: null })).body).toEqual(removed.body);
    const through = await h.call('POST', '/v1/inspections', { as: 'market', body: adHoc('CAP-02') });
    expect(through.status, through.text).toBe(201);

    // Each change one audit entry, in order.
    const audit = await h.db.pool.query<{ details: { version: number; yearlyCap: number | null } }>(
      "SELECT details FROM audit_log WHERE action = 'inspection-settings.put' ORDER BY id",
    );
    expect(audit.rows.map((r) => [r.details.version, r.details.yearlyCap])).toEqual([
      [1, 2],
      [2, 1],
      [3, null],
    ]);
  });
});
