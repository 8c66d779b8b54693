/**
 * People, not only departments (issue: records and safety, §3): a key belongs to a person or a
 * system, and every recorded action names who took it, in the timeline and in the hashed audit
 * trail, where an auditor finds everything one person did across their keys.
 */
import { describe, expect, test } from 'vitest';
import { createKey, rotateKey } from '../../db/keys.js';
import { inTransaction } from '../../db/pool.js';
import { eventually } from '../helpers/eventually.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';
import { inject } from '../helpers/api.js';

const wf = useWorkflowEnv({
  queue: 'people',
  app: true,
  keys: {
    hotline: { county: '610124', roles: ['operator'], kind: 'system', name: '12345 热线平台' },
    housing: { county: '610124', department: 'housing', roles: ['officer'], name: '王执法', certificateNo: 'ZF-61012401' },
    auditor: { county: '610124', roles: ['auditor'], name: '审计员甲' },
  },
});

const call = (key: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  inject(wf.app, `Bearer ${key}`, method, url, payload !== undefined ? { body: payload } : {});

describe('every recorded action names the person', () => {
  test('the system that assigned and the officer who signed are in the timeline and the audit trail; a rotated key is the same person', async () => {
    const created = await call(wf.keys.hotline, 'POST', '/v1/tasks', { department: 'housing', title: '核查自建房（12345 工单）' });
    expect(created.status).toBe(201);
    const taskId = created.body.taskId as string;
    expect((await call(wf.keys.housing, 'POST', `/v1/tasks/${taskId}/sign`)).status).toBe(200);

    const principals = await wf.db.pool.query<{ name: string; principal_id: string; kind: string; certificate_no: string | null }>(
      `SELECT p.name, p.principal_id, p.kind, p.certificate_no FROM principals p JOIN api_keys k USING (principal_id) ORDER BY p.name`,
    );
    const idOf = (name: string) => principals.rows.find((r) => r.name === name)!.principal_id;
    expect(principals.rows.find((r) => r.name === '王执法')).toMatchObject({ kind: 'person', certificate_no: 'ZF-61012401' });
    expect(principals.rows.find((r) => r.name === '12345 热线平台')).toMatchObject({ kind: 'system' });

    const task = await call(wf.keys.housing, 'GET', `/v1/tasks/${taskId}`);
    const byType = Object.fromEntries((task.body.timeline as { type: string; actor: unknown }[]).map((e) => [e.type, e.actor]));
    expect(byType.assigned).toEqual({ principalId: idOf('12345 热线平台'), name: '12345 热线平台' });
    expect(byType.signed).toEqual({ principalId: idOf('王执法'), name: '王执法' });

    // The officer's key is rotated: the new key acts as the same person.
    const rotated = await inTransaction(wf.db.pool, (c) => rotateKey(c, wf.keys.housing.split('_')[1]!));
    expect((await call(wf.keys.housing, 'GET', `/v1/tasks/${taskId}`)).status).toBe(401);
    expect((await call(rotated!.key, 'POST', `/v1/tasks/${taskId}/submit`, { summary: '已现场核查' })).status).toBe(200);

    // An auditor asks for everything 王执法 did: the sign with the old key and the submission with the new one.
    const trail = await call(wf.keys.auditor, 'GET', `/v1/audit?actor=${idOf('王执法')}`);
    expect(trail.status).toBe(200);
    expect(trail.body.items.map((e: { action: string; actor: unknown; actorKeyId: string }) => [e.action, e.actor, e.actorKeyId])).toEqual([
      ['signed', { principalId: idOf('王执法'), name: '王执法' }, wf.keys.housing.split('_')[1]],
      ['submitted', { principalId: idOf('王执法'), name: '王执法' }, rotated!.keyId],
    ]);
    // The name is inside the hashed details: the chain still verifies.
    expect((await call(wf.keys.auditor, 'GET', '/v1/audit/verify')).body).toMatchObject({ ok: true });
  });

  test('a matter launched by the 12345 platform names it on `opened`', async () => {
    const m = await call(wf.keys.hotline, 'POST', '/v1/matters', {
      scenario: 'prepaid-card',
      county: '610124',
      subject: { name: '某健身房', kind: 'enterprise' },
      facts: { trade: 'sports', signal: 'complaint' },
    });
    expect(m.status).toBe(201);
    // The launch answers with the starting state; the event is recorded a moment later.
    const rows = await eventually(
      async () => {
        const r = await wf.db.pool.query(`SELECT actor_name FROM timeline_events WHERE workflow_id = $1 AND type = 'opened'`, [
          m.body.matterId.replaceAll('~', '/'),
        ]);
        return r.rows.length ? r.rows : undefined;
      },
      { message: 'the matter recorded its opening' },
    );
    expect(rows).toEqual([{ actor_name: '12345 热线平台' }]);
  });

  test('a key made without a name still belongs to a principal, named after its label', async () => {
    const made = await createKey(wf.db.pool, { county: '610124', roles: ['supervisor'], label: '督查科值班' });
    const row = await wf.db.pool.query('SELECT p.name, p.kind FROM principals p WHERE principal_id = $1', [made.principalId]);
    expect(row.rows).toEqual([{ name: '督查科值班', kind: 'person' }]);
  });
});
