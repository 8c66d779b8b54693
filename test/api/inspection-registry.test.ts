/**
 * One list, two registries (issue 14 §1; DOMAIN §7) through the real app and PostgreSQL: the
 * county's list of items (versioned, 409 on a stale edit, the published part open to anyone), the
 * object registry (PUT with its credit history, the E grade a county setting, the streamed import
 * of CSV and NDJSON refusing bad rows by line with nothing of them written, erasure), and the
 * inspector registry (certificate holders only), with who may do what.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../api/app.js';
import { publishedItem } from '../../db/inspection-items.js';
import { createPool } from '../../db/pool.js';
import { registeredSubjects } from '../../db/subject-registry.js';
import { createKey } from '../../db/keys.js';
import { ERASED, ensureMatterSubject } from '../../db/subjects.js';
import { inject, startApiHarness, type ApiHarness } from '../helpers/api.js';

let h: ApiHarness;
const keys: Record<'admin' | 'otherAdmin' | 'auditor' | 'marketHead', string> = { admin: '', otherAdmin: '', auditor: '', marketHead: '' };
beforeAll(async () => {
  h = await startApiHarness();
  keys.admin = (await createKey(h.db.pool, { county: '610124', roles: ['admin'] })).key;
  keys.otherAdmin = (await createKey(h.db.pool, { county: '610122', roles: ['admin'] })).key;
  keys.auditor = (await createKey(h.db.pool, { county: '610124', roles: ['auditor'] })).key;
  keys.marketHead = (await createKey(h.db.pool, { county: '610124', department: 'market', roles: ['head'] })).key;
});
afterAll(async () => h?.close());

const as = (k: keyof typeof keys) => ({ authorization: `Bearer ${keys[k]}` });
const count = async (sql: string, args: unknown[] = []) => Number((await h.db.pool.query<{ n: string }>(sql, args)).rows[0]!.n);
const hex = (n: number) => n.toString(16).padStart(32, '0');

const item = {
  field: '成品油流通',
  lead: 'commerce',
  cooperating: ['market', 'emergency'],
  what: '成品油零售经营资格及经营行为检查',
  basis: [{ statute: '《成品油市场管理办法》', article: '第二十条' }],
  objectKind: '加油站',
  category: 'key',
  method: 'on-site',
  level: 'county',
  published: true,
};

describe('the list of items (事项清单)', () => {
  const url = '/v1/counties/610124/inspection-items';

  test('each PUT is a new version; an edit of a stale version is 409 and writes nothing; only the county’s admin writes', async () => {
    const first = await h.call('PUT', `${url}/SC-001`, { as: as('admin'), body: { ...item, baseVersion: 0 } });
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({ county: '610124', itemId: 'SC-001', version: 1, lead: 'commerce', published: true });
    const second = await h.call('PUT', `${url}/SC-001`, { as: as('admin'), body: { ...item, what: '成品油经营行为检查', baseVersion: 1 } });
    expect(second.status, second.text).toBe(200);
    expect(second.body).toMatchObject({ version: 2, what: '成品油经营行为检查' });

    const stale = await h.call('PUT', `${url}/SC-001`, { as: as('admin'), body: { ...item, what: '过期的修改', baseVersion: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('stale_version');
    expect(await count("SELECT count(*) AS n FROM inspection_items WHERE county = '610124' AND item_id = 'SC-001'")).toBe(2);
    expect(await count("SELECT count(*) AS n FROM inspection_items WHERE what = '过期的修改'")).toBe(0);
    // A new item said to be new, that is not: stale too.
    expect((await h.call('PUT', `${url}/SC-001`, { as: as('admin'), body: { ...item, baseVersion: 0 } })).status).toBe(409);

    expect(await count("SELECT count(*) AS n FROM audit_log WHERE action = 'inspection-item.put' AND object_id = 'inspection-item:610124:SC-001'")).toBe(2);
    expect((await h.call('PUT', `${url}/SC-002`, { as: 'supervisor', body: item })).status).toBe(403);
    expect((await h.call('PUT', `${url}/SC-002`, { as: as('otherAdmin'), body: item })).status).toBe(403);
    const badLead = await h.call('PUT', `${url}/SC-002`, { as: as('admin'), body: { ...item, cooperating: ['commerce'] } });
    expect(badLead.status).toBe(400);
    expect(badLead.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['body.cooperating']);
    const noBasis = await h.call('PUT', `${url}/SC-002`, { as: as('admin'), body: { ...item, basis: [] } });
    expect(noBasis.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['body.basis']);
  });

  test('without a key, the published items only; with a key, what the caller may see; only published items may be planned', async () => {
    const draft = await h.call('PUT', `${url}/SC-DRAFT`, {
      as: as('admin'),
      body: { ...item, lead: 'housing', cooperating: [], what: '自建房安全检查（征求意见）', published: false },
    });
    expect(draft.status, draft.text).toBe(201);

    const open = await inject(h.app, undefined, 'GET', url);
    expect(open.status).toBe(200);
    expect(open.body.items.map((i: { itemId: string }) => i.itemId)).toEqual(['SC-001']);
    expect(open.body.countyName).toBe('周至县');
    const ids = async (who: Parameters<ApiHarness['call']>[2]) => ((await h.call('GET', url, who)).body.items as { itemId: string }[]).map((i) => i.itemId);
    expect(await ids({ as: as('admin') })).toEqual(['SC-001', 'SC-DRAFT']);
    expect(await ids({ as: 'supervisor' })).toEqual(['SC-001', 'SC-DRAFT']);
    expect(await ids({ as: 'citySupervisor' })).toEqual(['SC-001', 'SC-DRAFT']);
    expect(await ids({ as: 'housing' })).toEqual(['SC-001', 'SC-DRAFT']); // it leads the draft
    expect(await ids({ as: 'market' })).toEqual(['SC-001']);
    expect(await ids({ as: 'otherCountyHousing' })).toEqual(['SC-001']);
    expect((await h.call('GET', `${url}?published=false`, { as: as('admin') })).body.items.map((i: { itemId: string }) => i.itemId)).toEqual(['SC-DRAFT']);
    expect((await inject(h.app, undefined, 'GET', `${url}?published=false`)).body.items).toEqual([]);
    // A key that is sent must be good.
    const bad = await inject(h.app, 'Bearer isk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'GET', url);
    expect(bad.status).toBe(401);

    expect((await publishedItem(h.db.pool, '610124', 'SC-001'))?.version).toBe(2);
    expect(await publishedItem(h.db.pool, '610124', 'SC-DRAFT')).toBeUndefined();
    expect(await publishedItem(h.db.pool, '610124', 'SC-404')).toBeUndefined();
    expect(await publishedItem(h.db.pool, '610122', 'SC-001')).toBeUndefined();
    // Withdrawn from publication: no longer plannable, no longer public.
    const withdrawn = await h.call('PUT', `${url}/SC-001`, { as: as('admin'), body: { ...item, published: false, baseVersion: 2 } });
    expect(withdrawn.body.version).toBe(3);
    expect(await publishedItem(h.db.pool, '610124', 'SC-001')).toBeUndefined();
    expect((await inject(h.app, undefined, 'GET', url)).body.items).toEqual([]);
    await h.call('PUT', `${url}/SC-001`, { as: as('admin'), body: { ...item, baseVersion: 3 } });
    expect((await publishedItem(h.db.pool, '610124', 'SC-001'))?.version).toBe(4);
  });
});

const station = {
  name: '周至县某某加油站有限公司',
  kind: 'enterprise',
  creditCode: '91610124MA6TG0001X',
  county: '610124',
  township: '610124100',
  trade: 'refined-oil',
  tags: ['规上企业', '重点区域'],
  creditGrade: 'A',
  address: '周至县二曲街道1号',
};

describe('the object registry', () => {
  test('PUT registers and updates; each new grade joins the credit history with its reason; E only where the county grades E', async () => {
    const id = `s-${hex(1)}`;
    const created = await h.call('PUT', `/v1/subjects/${id}`, { as: as('admin'), body: station });
    expect(created.status, created.text).toBe(201);
    expect(created.body.registry).toMatchObject({ name: station.name, creditGrade: 'A', tags: station.tags, township: '610124100' });
    expect(created.body.creditHistory).toMatchObject([{ grade: 'A', from: null, reason: '管理员登记：登记评定' }]);

    const regraded = await h.call('PUT', `/v1/subjects/${id}`, {
      as: as('admin'),
      body: { ...station, creditGrade: 'C', creditReason: '2026年抽查发现违法行为' },
    });
    expect(regraded.status, regraded.text).toBe(200);
    const same = await h.call('PUT', `/v1/subjects/${id}`, { as: as('admin'), body: { ...station, creditGrade: 'C', tags: ['规上企业'] } });
    expect(same.status).toBe(200);
    expect(same.body.creditHistory.map((e: { grade: string; from: string | null; reason: string }) => [e.grade, e.from, e.reason])).toEqual([
      ['A', null, '管理员登记：登记评定'],
      ['C', 'A', '2026年抽查发现违法行为'],
    ]);
    const read = await h.call('GET', `/v1/subjects/${id}`, { as: as('auditor') });
    expect(read.body).toMatchObject({ subjectId: id, county: '610124', kind: 'enterprise', matters: [], erasure: null });
    expect(read.body.registry).toMatchObject({ creditGrade: 'C', tags: ['规上企业'], creditCode: station.creditCode });
    expect(read.body.creditHistory).toHaveLength(2);

    // Another id with the same credit code: the registry has one subject per code.
    const twin = await h.call('PUT', `/v1/subjects/s-${hex(2)}`, { as: as('admin'), body: station });
    expect(twin.status).toBe(409);
    expect(twin.body.error.code).toBe('subject_exists');
    expect(await count('SELECT count(*) AS n FROM subjects WHERE subject_id = $1', [`s-${hex(2)}`])).toBe(0);

    // E: refused until the county grades E; then E cannot be given up while a subject has it.
    const e = await h.call('PUT', `/v1/subjects/${id}`, { as: as('admin'), body: { ...station, creditGrade: 'E', creditReason: '列入严重失信主体名单' } });
    expect(e.status).toBe(400);
    expect(e.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['body.creditGrade']);
    expect((await h.call('PUT', '/v1/counties/610124/registry-settings', { as: 'supervisor', body: { creditGradeE: true } })).status).toBe(403);
    const on = await h.call('PUT', '/v1/counties/610124/registry-settings', { as: as('admin'), body: { creditGradeE: true } });
    expect(on.body).toMatchObject({ creditGradeE: true, creditGrades: ['A', 'B', 'C', 'D', 'E'] });
    expect(
      (await h.call('PUT', `/v1/subjects/${id}`, { as: as('admin'), body: { ...station, creditGrade: 'E', creditReason: '列入严重失信主体名单' } })).status,
    ).toBe(200);
    const off = await h.call('PUT', '/v1/counties/610124/registry-settings', { as: as('admin'), body: { creditGradeE: false } });
    expect(off.status).toBe(409);
    expect(off.body.error.code).toBe('grade_in_use');
    await h.call('PUT', `/v1/subjects/${id}`, { as: as('admin'), body: { ...station, creditGrade: 'D', creditReason: '信用修复' } });
    expect((await h.call('PUT', '/v1/counties/610124/registry-settings', { as: as('admin'), body: { creditGradeE: false } })).body.creditGradeE).toBe(false);
    expect(await count('SELECT count(*) AS n FROM subject_credit_history WHERE subject_id = $1', [id])).toBe(4);
  });

  test('tenancy: another county’s admin can neither read nor write a subject (404), nor register in a county not its own (403)', async () => {
    const id = `s-${hex(1)}`;
    expect((await h.call('GET', `/v1/subjects/${id}`, { as: as('otherAdmin') })).status).toBe(404);
    expect((await h.call('PUT', `/v1/subjects/${id}`, { as: as('otherAdmin'), body: { ...station, county: '610122', township: '610122100' } })).status).toBe(
      404,
    );
    expect((await h.call('PUT', `/v1/subjects/${id}`, { as: as('otherAdmin'), body: station })).status).toBe(403);
    expect((await h.call('PUT', `/v1/subjects/${id}`, { as: 'supervisor', body: station })).status).toBe(403);
    expect((await h.call('GET', `/v1/subjects/${id}`, { as: 'citySupervisor' })).status).toBe(200);
  });

  test('erasing a registered person erases the registry’s name, address, credit code and the reasons of its grades', async () => {
    const id = `s-${hex(3)}`;
    const person = {
      name: '擦除测试张某某',
      kind: 'individual-business',
      county: '610124',
      township: '610124101',
      trade: 'catering',
      tags: [],
      creditGrade: 'B',
      address: '周至县擦除路 8 号',
    };
    expect((await h.call('PUT', `/v1/subjects/${id}`, { as: as('admin'), body: person })).status).toBe(201);
    await h.call('PUT', `/v1/subjects/${id}`, { as: as('admin'), body: { ...person, creditGrade: 'C', creditReason: '擦除测试张某某拒不整改' } });
    const erased = await h.call('POST', `/v1/subjects/${id}/erase`, { as: as('admin'), body: { reason: '本人依个人信息保护法第四十七条申请删除' } });
    expect(erased.status, erased.text).toBe(200);
    const read = await h.call('GET', `/v1/subjects/${id}`, { as: as('auditor') });
    expect(read.body.registry).toMatchObject({ name: ERASED, address: ERASED, creditCode: null, creditGrade: 'C' });
    expect(read.body.creditHistory.map((e: { reason: string }) => e.reason)).toEqual([ERASED, ERASED]);
    expect(read.text).not.toContain('张某某');
    expect(await count("SELECT count(*) AS n FROM audit_texts WHERE text LIKE '%张某某%'")).toBe(0);
    expect(await count("SELECT count(*) AS n FROM subjects WHERE name LIKE '%张某某%' OR address LIKE '%擦除路%'")).toBe(0);
    expect((await h.call('GET', '/v1/audit/verify', { as: as('auditor') })).body).toMatchObject({ ok: true });
    const again = await h.call('PUT', `/v1/subjects/${id}`, { as: as('admin'), body: person });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('subject_erased');
  });
});

/** Sends an import as the admin (or `who`). */
const importAs = (type: string, payload: string, who: keyof typeof keys = 'admin') =>
  inject(h.app, `Bearer ${keys[who]}`, 'POST', '/v1/subjects/import', { payload, headers: { 'content-type': type } });

describe('POST /v1/subjects/import', () => {
  test('CSV: good rows written, bad rows refused by line and field with nothing of them written, counts exact', async () => {
    // A matter's subject (no registry record yet): a row with its credit code registers it, same id.
    await ensureMatterSubject(h.db.pool, 'matter:610124:refined-oil:2026-0001', '610124', {
      name: '周至县导入测试石化',
      kind: 'enterprise',
      creditCode: '91610124MA6TG0102X',
    });
    const matterSubject = (await h.db.pool.query<{ subject_id: string }>("SELECT subject_id FROM subjects WHERE match_key = '610124|code|91610124MA6TG0102X'"))
      .rows[0]!.subject_id;
    const csv = [
      'name,kind,creditCode,county,township,trade,tags,creditGrade,address', // line 1
      '导入甲加油站有限公司,enterprise,91610124MA6TG0101X,610124,610124100,refined-oil,规上企业;重点区域,A,', // 2 ok
      '周至县导入测试石化,enterprise,91610124MA6TG0102X,610124,610124100,refined-oil,,B,"二曲街道, 3号"', // 3 ok (the matter's subject)
      '导入乙餐馆,individual-business,,610124,610124102,catering,,Z,', // 4 grade
      '导入丙餐馆,individual-business,,610124,610122100,catering,,B,', // 5 township of another county
      ',person,,610124,610124100,catering,,B,', // 6 no name
      '导入丁公司,enterprise,,610124,610124100,catering,,B,', // 7 enterprise without code
      '导入戊餐馆,individual-business,,610124,610124100,catering,,C,"多行地址', // 8 ok: a quoted field over two lines
      '第二行""引号"""', // 9 (the same record)
      '导入己商店,other,,610124,610124100,retail,,E,', // 10 E not in use
      '导入庚商店,other,,610124,610124100,retail,too;many,B,x,extra', // 11 a field too many
      '导入甲加油站有限公司,enterprise,91610124MA6TG0101X,610124,610124100,refined-oil,规上企业,C,', // 12 ok: updates line 2's subject
      '导入辛商店,other,,610122,610122100,retail,,B,', // 13 another county
    ].join('\r\n');
    const before = await count('SELECT count(*) AS n FROM subjects');
    const res = await importAs('text/csv; charset=utf-8', csv);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ accepted: 4, created: 3, updated: 1, refusedCount: 7, truncated: false });
    expect(res.body.refused.map((r: { line: number; issues: { path: string }[] }) => [r.line, r.issues.map((i) => i.path)])).toEqual([
      [4, ['creditGrade']],
      [5, ['township']],
      [6, ['name']],
      [7, ['creditCode']],
      [10, ['creditGrade']],
      [11, ['(row)']],
      [13, ['county']],
    ]);
    expect(await count('SELECT count(*) AS n FROM subjects')).toBe(before + 2); // the matter's subject existed
    // Nothing of a refused row anywhere.
    expect(await count("SELECT count(*) AS n FROM subjects WHERE name ~ '导入(乙|丙|丁|己|庚|辛)'")).toBe(0);
    const station = await h.db.pool.query("SELECT name, tags, credit_grade, address FROM subjects WHERE credit_code = '91610124MA6TG0101X'");
    expect(station.rows).toEqual([{ name: '导入甲加油站有限公司', tags: ['规上企业'], credit_grade: 'C', address: null }]);
    const multi = await h.db.pool.query("SELECT address FROM subjects WHERE name = '导入戊餐馆'");
    expect(multi.rows[0].address).toBe('多行地址\n第二行"引号"');
    const matterRow = await h.db.pool.query('SELECT name, registered_at IS NOT NULL AS registered, address FROM subjects WHERE subject_id = $1', [
      matterSubject,
    ]);
    expect(matterRow.rows[0]).toEqual({ name: '周至县导入测试石化', registered: true, address: '二曲街道, 3号' });
    expect(
      (
        await h.db.pool.query(
          "SELECT h.grade, h.from_grade FROM subject_credit_history h JOIN subjects s USING (subject_id) WHERE s.credit_code = '91610124MA6TG0101X' ORDER BY seq",
        )
      ).rows,
    ).toEqual([
      { grade: 'A', from_grade: null },
      { grade: 'C', from_grade: 'A' },
    ]);
    expect(await count("SELECT count(*) AS n FROM audit_log WHERE action = 'subjects.imported'")).toBe(2); // a batch, then the repeat's
    // Sent again: nothing new (upserts by credit code, or kind, name and address), no new grade.
    const historyBefore = await count('SELECT count(*) AS n FROM subject_credit_history');
    const again = await importAs('text/csv', csv);
    expect(again.body).toMatchObject({ accepted: 4, created: 0, updated: 4, refusedCount: 7 });
    expect(await count('SELECT count(*) AS n FROM subjects')).toBe(before + 2);
    expect(await count('SELECT count(*) AS n FROM subject_credit_history')).toBe(historyBefore + 2); // line 2 sets A again, line 12 C again
  });

  test('NDJSON: unreadable lines, unknown fields, poison text and another county’s subject refused by line; the rest written', async () => {
    const row = (o: Record<string, unknown>) =>
      JSON.stringify({ kind: 'other', county: '610124', township: '610124100', trade: 'retail', creditGrade: 'B', ...o });
    const otherCountyId = `s-${hex(9)}`;
    await h.db.pool.query("INSERT INTO subjects (subject_id, county, kind, match_key) VALUES ($1, '610122', 'other', 'x|other-county')", [otherCountyId]);
    const ndjson = [
      row({ name: 'NDJSON 甲商店', tags: ['夜市'] }), // 1 ok
      '{"name": "坏的 JSON"', // 2
      '', // 3 blank: skipped
      '[1, 2]', // 4 not an object
      row({ name: 'NDJSON 乙商店', colour: 'red' }), // 5 unknown field
      row({ name: 'NDJSON 丙商店\u0000' }), // 6 NUL
      row({ name: 'NDJSON 丁商店', subjectId: otherCountyId }), // 7 another county's id
      row({ name: 'NDJSON 戊商店', subjectId: `s-${hex(10)}`, tags: ['夜市', '夜市'] }), // 8 ok with its id
      row({ name: 'NDJSON 己商店', tags: ['x'.repeat(41)] }), // 9 tag too long
      row({ name: 'NDJSON 甲商店', creditGrade: 'D', creditReason: '多次投诉' }), // 10 ok: updates line 1's
    ].join('\n');
    const res = await importAs('application/x-ndjson', ndjson);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ accepted: 3, created: 2, updated: 1, refusedCount: 6, truncated: false });
    expect(res.body.refused.map((r: { line: number; issues: { path: string }[] }) => [r.line, r.issues.map((i) => i.path)])).toEqual([
      [2, ['(row)']],
      [4, ['(row)']],
      [5, ['(row)']],
      [6, ['name']],
      [7, ['subjectId']],
      [9, ['tags.0']],
    ]);
    expect(res.text).not.toContain('colour');
    expect(await count("SELECT count(*) AS n FROM subjects WHERE name LIKE 'NDJSON%'")).toBe(2);
    expect((await h.db.pool.query('SELECT name, tags FROM subjects WHERE subject_id = $1', [`s-${hex(10)}`])).rows).toEqual([
      { name: 'NDJSON 戊商店', tags: ['夜市'] },
    ]);
    expect((await h.db.pool.query('SELECT kind, name FROM subjects WHERE subject_id = $1', [otherCountyId])).rows).toEqual([{ kind: 'other', name: null }]);
    const history = await h.db.pool.query(
      "SELECT h.grade, h.from_grade, h.reason FROM subject_credit_history h JOIN subjects s USING (subject_id) WHERE s.name = 'NDJSON 甲商店' ORDER BY seq",
    );
    expect(history.rows).toEqual([
      { grade: 'B', from_grade: null, reason: '批量导入：登记评定' },
      { grade: 'D', from_grade: 'B', reason: '多次投诉' },
    ]);
    // What a plan's target selects: by tags (line 10 replaced 甲's tags with none), trades and kinds.
    expect((await registeredSubjects(h.db.pool, '610124', { tags: ['夜市'] })).map((r) => r.name)).toEqual(['NDJSON 戊商店']);
    const retail = await registeredSubjects(h.db.pool, '610124', { trades: ['retail'], kinds: ['other'] });
    expect(retail.map((r) => r.name).sort()).toEqual(['NDJSON 戊商店', 'NDJSON 甲商店'].sort());
    expect(retail.find((r) => r.name === 'NDJSON 甲商店')).toMatchObject({ creditGrade: 'D', township: '610124100', tags: [] });
    // An erased subject (the sole trader erased above, catering too) is never selected again.
    const catering = await registeredSubjects(h.db.pool, '610124', { trades: ['catering'] });
    expect(catering.map((r) => r.name)).toEqual(['导入戊餐馆']);
    expect(await count("SELECT count(*) AS n FROM subjects WHERE trade = 'catering' AND erased_at IS NOT NULL")).toBe(1);
  });

  test('past IMPORT_MAX_ROWS the rest of the request is refused unread (truncated), what came before written', async () => {
    const app = await buildApp({ config: { ...h.config, IMPORT_MAX_ROWS: 3 }, pool: h.db.pool, temporal: h.env.client, logger: false });
    try {
      const csv = ['name,kind,county,township,trade,creditGrade', ...[1, 2, 3, 4, 5].map((i) => `限额商店${i},other,610124,610124100,retail,B`)].join('\n');
      const res = await inject(app, `Bearer ${keys.admin}`, 'POST', '/v1/subjects/import', { payload: csv, headers: { 'content-type': 'text/csv' } });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({
        accepted: 3,
        created: 3,
        updated: 0,
        refusedCount: 1,
        refused: [{ line: 5, issues: [{ path: '(request)', message: 'at most 3 rows per request: this row and the rest were not read' }] }],
        truncated: true,
      });
      expect(await count("SELECT count(*) AS n FROM subjects WHERE name LIKE '限额商店%'")).toBe(3);
    } finally {
      await app.close();
    }
  });

  test('a bad header, another media type or a caller who is not the county’s admin: refused, nothing read or written', async () => {
    const before = await count('SELECT count(*) AS n FROM subjects');
    const header = await importAs('text/csv', 'name,kind,county,township,trade,creditGrade,colour\n头错商店,other,610124,610124100,retail,B,red\n');
    expect(header.status).toBe(400);
    expect(header.body.error.issues).toEqual([{ path: 'body.header', message: 'unknown columns: 1' }]);
    const missing = await importAs('text/csv', 'name,kind,county\n头错商店,other,610124\n');
    expect(missing.body.error.issues[0].message).toBe('missing columns: township, trade, creditGrade');
    const json = await inject(h.app, `Bearer ${keys.admin}`, 'POST', '/v1/subjects/import', { body: [{ name: 'x' }] });
    expect(json.status).toBe(415);
    expect((await importAs('text/csv', 'name\n', 'marketHead')).status).toBe(403);
    expect(
      (await inject(h.app, `Bearer ${h.keys.supervisor}`, 'POST', '/v1/subjects/import', { payload: 'name\n', headers: { 'content-type': 'text/csv' } }))
        .status,
    ).toBe(403);
    expect(await count('SELECT count(*) AS n FROM subjects')).toBe(before);
  });
});

const inspector = {
  department: 'market',
  name: '检查员王某',
  certificateNo: 'ZF-61012400001',
  qualifications: ['食品安全'],
  specialties: ['成品油'],
  active: true,
  conflicts: [],
};

describe('the inspector registry', () => {
  test('a certificate is required; the admin and the department’s head register; a certificate is one inspector’s; conflicts name known subjects', async () => {
    const { certificateNo: _none, ...uncertified } = inspector;
    const refused = await h.call('PUT', '/v1/inspectors/MKT-001', { as: as('admin'), body: uncertified });
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['body.certificateNo']);
    expect(await count('SELECT count(*) AS n FROM inspectors')).toBe(0);

    const created = await h.call('PUT', '/v1/inspectors/MKT-001', { as: as('admin'), body: { ...inspector, conflicts: [`s-${hex(1)}`] } });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ inspectorId: 'MKT-001', county: '610124', department: 'market', version: 1, conflicts: [`s-${hex(1)}`] });
    const byHead = await h.call('PUT', '/v1/inspectors/MKT-002', {
      as: as('marketHead'),
      body: { ...inspector, certificateNo: 'ZF-61012400002', active: false },
    });
    expect(byHead.status, byHead.text).toBe(201);
    const changed = await h.call('PUT', '/v1/inspectors/MKT-002', {
      as: as('marketHead'),
      body: { ...inspector, certificateNo: 'ZF-61012400002', active: true },
    });
    expect(changed.body.version).toBe(2);
    expect(
      (await h.call('PUT', '/v1/inspectors/HSG-001', { as: as('marketHead'), body: { ...inspector, department: 'housing', certificateNo: 'ZF-61012400003' } }))
        .status,
    ).toBe(403);
    expect(
      (await h.call('PUT', '/v1/inspectors/MKT-002', { as: as('marketHead'), body: { ...inspector, department: 'housing', certificateNo: 'ZF-61012400002' } }))
        .status,
    ).toBe(403);
    expect((await h.call('PUT', '/v1/inspectors/MKT-003', { as: 'market', body: { ...inspector, certificateNo: 'ZF-61012400004' } })).status).toBe(403);

    const twin = await h.call('PUT', '/v1/inspectors/MKT-009', { as: as('admin'), body: inspector });
    expect(twin.status).toBe(409);
    expect(twin.body.error.code).toBe('certificate_in_use');
    const unknown = await h.call('PUT', '/v1/inspectors/MKT-009', {
      as: as('admin'),
      body: { ...inspector, certificateNo: 'ZF-61012400009', conflicts: [`s-${hex(404)}`] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['body.conflicts.0']);
    await h.call('PUT', '/v1/inspectors/HSG-001', {
      as: as('admin'),
      body: { ...inspector, department: 'housing', certificateNo: 'ZF-61012400003', active: false },
    });
    expect(await count('SELECT count(*) AS n FROM inspectors')).toBe(3);
    expect(await count("SELECT count(*) AS n FROM audit_log WHERE action LIKE 'inspector.%'")).toBe(4);
    expect(await count("SELECT count(*) AS n FROM audit_log WHERE action LIKE 'inspector.%' AND details::text LIKE '%王某%'")).toBe(0);
  });

  test('the list: by department and active; a department sees its own; another county sees none and cannot write them (404)', async () => {
    const ids = async (url: string, who: Parameters<ApiHarness['call']>[2]) => {
      const r = await h.call('GET', url, who);
      expect(r.status, r.text).toBe(200);
      return (r.body.items as { inspectorId: string }[]).map((i) => i.inspectorId);
    };
    expect(await ids('/v1/inspectors', { as: as('admin') })).toEqual(['HSG-001', 'MKT-001', 'MKT-002']);
    expect(await ids('/v1/inspectors?department=market&active=true', { as: 'supervisor' })).toEqual(['MKT-001', 'MKT-002']);
    expect(await ids('/v1/inspectors?active=false', { as: as('auditor') })).toEqual(['HSG-001']);
    expect(await ids('/v1/inspectors', { as: 'housing' })).toEqual(['HSG-001']);
    expect((await h.call('GET', '/v1/inspectors?department=market', { as: 'housing' })).status).toBe(403);
    expect(await ids('/v1/inspectors', { as: 'citySupervisor' })).toEqual(['HSG-001', 'MKT-001', 'MKT-002']);
    expect(await ids('/v1/inspectors', { as: as('otherAdmin') })).toEqual([]);
    const page = await h.call('GET', '/v1/inspectors?limit=2', { as: as('admin') });
    expect(page.body.items).toHaveLength(2);
    expect(await ids(`/v1/inspectors?limit=2&cursor=${page.body.nextCursor}`, { as: as('admin') })).toEqual(['MKT-002']);
    const taken = await h.call('PUT', '/v1/inspectors/MKT-001', {
      as: as('otherAdmin'),
      body: { ...inspector, certificateNo: 'ZF-61012200001' },
    });
    expect(taken.status).toBe(404);
    expect((await h.db.pool.query("SELECT county, certificate_no FROM inspectors WHERE inspector_id = 'MKT-001'")).rows).toEqual([
      { county: '610124', certificate_no: 'ZF-61012400001' },
    ]);
  });
});

describe('as the service’s runtime role (db/roles.ts), which has only the grants it needs', () => {
  test('the list, the registry, the import, the inspectors and the erasure all work', async () => {
    const pool = createPool({ DATABASE_URL: h.db.runtimeUrl, PG_POOL_MAX: 3, PG_CONNECTION_TIMEOUT_MS: 5000, PG_STATEMENT_TIMEOUT_MS: 30000 });
    const app = await buildApp({ config: h.config, pool, temporal: h.env.client, logger: false });
    try {
      const call = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
        inject(
          app,
          `Bearer ${keys.admin}`,
          method,
          url,
          body === undefined ? { headers } : typeof body === 'string' ? { payload: body, headers } : { body, headers },
        );
      expect((await call('PUT', '/v1/counties/610124/inspection-items/RT-001', item)).status).toBe(201);
      expect((await call('PUT', '/v1/counties/610124/registry-settings', { creditGradeE: true })).status).toBe(200);
      const id = `s-${hex(77)}`;
      const person = { name: '运行角色测试李某', kind: 'person', county: '610124', township: '610124100', trade: 'catering', tags: [], creditGrade: 'B' };
      expect((await call('PUT', `/v1/subjects/${id}`, person)).status).toBe(201);
      expect((await call('PUT', `/v1/subjects/${id}`, { ...person, creditGrade: 'E', creditReason: '严重失信' })).status).toBe(200);
      const imported = await call('POST', '/v1/subjects/import', `${JSON.stringify({ ...person, name: '运行角色测试王某' })}\n`, {
        'content-type': 'application/x-ndjson',
      });
      expect(imported.body).toMatchObject({ accepted: 1, refusedCount: 0 });
      expect((await call('PUT', '/v1/inspectors/RT-001', { ...inspector, certificateNo: 'ZF-61012400077', conflicts: [id] })).status).toBe(201);
      const erased = await call('POST', `/v1/subjects/${id}/erase`, { reason: '本人申请删除' });
      expect(erased.status, erased.text).toBe(200);
      expect((await call('GET', `/v1/subjects/${id}`)).body.creditHistory.map((e: { reason: string }) => e.reason)).toEqual([ERASED, ERASED]);
    } finally {
      await app.close();
      await pool.end();
    }
  });
});

describe('personal data stays out of the logs (DOMAIN §9)', () => {
  test('registering, importing and refusing a sole trader log ids and codes, never the name or the address', async () => {
    const lines: string[] = [];
    const app = await buildApp({
      config: { ...h.config, LOG_LEVEL: 'trace' },
      pool: h.db.pool,
      temporal: h.env.client,
      logStream: { write: (l: string) => void lines.push(l) },
    });
    try {
      const call = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
        inject(
          app,
          `Bearer ${keys.admin}`,
          method,
          url,
          body === undefined ? { headers } : typeof body === 'string' ? { payload: body, headers } : { body, headers },
        );
      const trader = {
        name: '日志测试赵某某',
        kind: 'individual-business',
        county: '610124',
        township: '610124100',
        trade: 'catering',
        tags: [],
        creditGrade: 'B',
        address: '周至县日志路 5 号',
      };
      expect((await call('PUT', `/v1/subjects/s-${hex(88)}`, trader)).status).toBe(201);
      expect((await call('PUT', `/v1/subjects/s-${hex(89)}`, trader)).status).toBe(409); // the same person under another id
      const imported = await call('POST', '/v1/subjects/import', `${JSON.stringify(trader)}\n${JSON.stringify({ ...trader, creditGrade: 'Z' })}\n`, {
        'content-type': 'application/x-ndjson',
      });
      expect(imported.body).toMatchObject({ accepted: 1, refusedCount: 1 });
      expect(lines.length).toBeGreaterThan(5);
      expect(lines.join('\n')).toContain('/v1/subjects/import');
      expect(lines.filter((l) => l.includes('赵某某') || l.includes('日志路'))).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
