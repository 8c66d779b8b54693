/**
 * 一公开 after publication (DOMAIN §9): the public list shows the current version of each result
 * and leaves withdrawn ones out; a supervisor corrects or withdraws with a reason (withdrawal
 * within 3 working days of the change, 行政处罚法 art. 48); the record keeps every version.
 */
import { describe, expect, test } from 'vitest';
import { addWorkingDays, shanghaiDate } from '../../domain/calendar/index.js';
import { refinedOilMatter } from '../../workflows/scenarios/refined-oil.js';
import { matterLauncher } from '../helpers/matters.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';

const wf = useWorkflowEnv({
  queue: 'results',
  app: true,
  keys: {
    supervisor: { county: '610124', roles: ['supervisor'] },
    city: { county: '610100', roles: ['supervisor'] },
    otherSupervisor: { county: '610122', roles: ['supervisor'] },
    commerce: { county: '610124', department: 'commerce', roles: ['officer'] },
  },
});
const start = matterLauncher(wf, 'refined-oil', refinedOilMatter);

const call = async (who: keyof typeof wf.keys | null, method: 'GET' | 'POST', url: string, payload?: unknown) => {
  const res = await wf.app.inject({
    method,
    url,
    headers: who ? { authorization: `Bearer ${wf.keys[who]}` } : {},
    ...(payload ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.json() };
};

describe('published results: versions, correction, withdrawal', () => {
  test('a supervisor corrects, then withdraws late; the public sees the current version, then nothing; the record keeps all', async () => {
    const d = await start({
      subject: { name: '周至县某某石化有限公司', kind: 'enterprise', creditCode: '91610124MA6TG1234X' },
      facts: { township: '610124100', stationKind: 'licensed-station', participants: ['safety'] },
    });
    await d.complete('inspection.lead', 'compliant');
    await d.complete('inspection.safety', 'compliant');
    await d.complete('publication', 'published');
    const v = await d.handle.result();
    const id = `${v.matterId}~result`;

    const listed = async () =>
      (await call(null, 'GET', '/v1/public/results?county=610124&scenario=refined-oil')).body.items.filter(
        (r: { resultId: string }) => r.resultId === `${v.matterId}/result`,
      );
    expect(await listed()).toEqual([expect.objectContaining({ resultCode: 'compliant', summary: '联合检查未发现问题', kind: 'inspection', version: 1 })]);

    // Only a supervisor of a covering division; another county's does not even see it.
    expect((await call('commerce', 'POST', `/v1/public/results/${id}/correct`, { reason: 'x', summary: 'y' })).status).toBe(403);
    expect((await call('otherSupervisor', 'POST', `/v1/public/results/${id}/correct`, { reason: 'x', summary: 'y' })).status).toBe(404);
    expect((await call(null, 'POST', `/v1/public/results/${id}/correct`, { reason: 'x', summary: 'y' })).status).toBe(401);
    const bad = await call('supervisor', 'POST', `/v1/public/results/${id}/correct`, { reason: '', summary: 'a\u0000b' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['body.reason', 'body.summary']);

    const corrected = await call('city', 'POST', `/v1/public/results/${id}/correct`, {
      reason: '检查项目表述不完整',
      summary: '联合检查（经营资格、危化品安全）未发现问题',
    });
    expect(corrected.status).toBe(200);
    expect(corrected.body.current).toEqual({ version: 2, resultCode: 'compliant', summary: '联合检查（经营资格、危化品安全）未发现问题', withdrawn: false });
    expect(await listed()).toEqual([
      expect.objectContaining({ summary: '联合检查（经营资格、危化品安全）未发现问题', version: 2, updatedAt: expect.any(String) }),
    ]);

    // The decision behind it was revoked five working days ago: withdrawn, and late (3 working days).
    const changedAt = `${addWorkingDays(shanghaiDate(Date.now()), -5)}T10:00:00+08:00`;
    const withdrawn = await call('supervisor', 'POST', `/v1/public/results/${id}/withdraw`, { reason: '原决定已撤销', changedAt });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({
      late: true,
      withdrawBy: `${addWorkingDays(shanghaiDate(Date.parse(changedAt)), 3)}T23:59:59.999+08:00`,
      current: { version: 3, withdrawn: true },
    });
    expect(await listed()).toEqual([]);
    expect((await call('supervisor', 'POST', `/v1/public/results/${id}/withdraw`, { reason: '再撤' })).status).toBe(409);
    expect((await call('supervisor', 'POST', `/v1/public/results/${id}/correct`, { reason: 'x', summary: 'y' })).status).toBe(409);

    const record = await call('supervisor', 'GET', `/v1/public/results/${id}/versions`);
    expect(
      record.body.versions.map((x: { version: number; change: string; by: string; reason?: string }) => [x.version, x.change, x.by, x.reason ?? null]),
    ).toEqual([
      [1, 'published', 'lead', null],
      [2, 'corrected', 'supervisor', '检查项目表述不完整'],
      [3, 'withdrawn', 'supervisor', '原决定已撤销'],
    ]);
    // On the audit trail, with who acted.
    const audit = await wf.db.pool.query("SELECT action, details FROM audit_log WHERE object_id = $1 AND action LIKE 'public-result.%' ORDER BY id", [
      v.matterId,
    ]);
    expect(audit.rows.map((r) => [r.action, r.details.version, r.details.late ?? null])).toEqual([
      ['public-result.corrected', 2, null],
      ['public-result.withdrawn', 3, true],
    ]);
  });

  test('a withdrawal within 3 working days of the change is on time', async () => {
    const d = await start({
      subject: { name: '周至县某某石化有限公司', kind: 'enterprise', creditCode: '91610124MA6TG1234X' },
      facts: { township: '610124100', stationKind: 'licensed-station', participants: ['safety'] },
    });
    await d.complete('inspection.lead', 'compliant');
    await d.complete('inspection.safety', 'compliant');
    await d.complete('publication', 'published');
    const v = await d.handle.result();
    const res = await call('supervisor', 'POST', `/v1/public/results/${v.matterId}~result/withdraw`, { reason: '原决定已变更' });
    expect(res.body).toMatchObject({ late: false, current: { withdrawn: true } });
    const future = await call('supervisor', 'POST', `/v1/public/results/${v.matterId}~result/withdraw`, {
      reason: 'x',
      changedAt: '2099-01-01T00:00:00+08:00',
    });
    expect(future.status).toBe(409); // already withdrawn: the state is checked first
  });
});
