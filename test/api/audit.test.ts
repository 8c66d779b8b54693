/**
 * The audit trail an auditor can read and verify (issue: records and safety, §2): entries of the
 * caller's division only, as JSON or CSV, a page at a time; each county its own hash chain; the
 * verification finds a rewritten entry and a broken link.
 */
import { describe, expect, test } from 'vitest';
import { auditHash } from '../../db/events.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';
import { callerOf } from '../helpers/api.js';

const wf = useWorkflowEnv({
  queue: 'audit',
  app: true,
  keys: {
    operator: { county: '610124', roles: ['operator'] },
    otherOperator: { county: '610122', roles: ['operator'] },
    auditor: { county: '610124', roles: ['auditor'] },
    cityAuditor: { county: '610100', roles: ['auditor'] },
    housing: { county: '610124', department: 'housing', roles: ['officer'] },
  },
});

const call = callerOf(
  () => wf.app,
  () => wf.keys,
);

async function newTask(who: 'operator' | 'otherOperator') {
  const res = await call(who, 'POST', '/v1/tasks', { department: 'housing', title: '核查自建房', instructions: '现场核查' });
  expect(res.status).toBe(201);
  return res.body.taskId as string;
}

describe('GET /v1/audit', () => {
  test('an auditor reads the division’s entries only, filtered, paged, as JSON or CSV; an officer may not', async () => {
    const mine = await newTask('operator');
    await newTask('operator');
    await newTask('otherOperator');
    const all = await call('auditor', 'GET', '/v1/audit?limit=1000');
    expect(all.status).toBe(200);
    expect(all.body.items.length).toBeGreaterThanOrEqual(2);
    expect(new Set(all.body.items.map((e: { county: string }) => e.county))).toEqual(new Set(['610124']));
    expect(all.body.items.every((e: { chain: string }) => e.chain === '610124')).toBe(true);
    // The city sees its counties.
    const city = await call('cityAuditor', 'GET', '/v1/audit?limit=1000');
    expect(new Set(city.body.items.map((e: { county: string }) => e.county))).toEqual(new Set(['610124', '610122']));

    const one = await call('auditor', 'GET', `/v1/audit?objectId=${mine}`);
    expect(one.body.items.map((e: { action: string; objectId: string }) => [e.action, e.objectId])).toEqual([['assigned', mine.replaceAll('~', '/')]]);

    // Pages: every entry once, in order.
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await call('auditor', 'GET', `/v1/audit?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.items.map((e: { id: number }) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.body.items.map((e: { id: number }) => e.id));
    expect((await call('auditor', 'GET', '/v1/audit?cursor=eyJpZCI6IngifQ')).status).toBe(400);

    const csv = await call('auditor', 'GET', `/v1/audit?objectId=${mine}`, undefined, { accept: 'text/csv' });
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('id,eventId,at,county,actorKeyId,actorDepartment,action,objectId,details,chain,prevHash,hash');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(',assigned,');

    expect((await call('housing', 'GET', '/v1/audit')).status).toBe(403);
    expect((await call('operator', 'GET', '/v1/audit')).status).toBe(403);
  });

  test('verify: each county’s chain recomputes; a rewritten entry and a broken link are found', async () => {
    await newTask('operator');
    await newTask('otherOperator');
    const ok = await call('auditor', 'GET', '/v1/audit/verify');
    expect(ok.body).toMatchObject({ ok: true, chains: 1 });
    expect(ok.body.checked).toBeGreaterThan(0);
    expect((await call('cityAuditor', 'GET', '/v1/audit/verify')).body).toMatchObject({ ok: true, chains: 2 });

    // Somebody with the database owner's rights rewrites an entry behind the triggers' back.
    const pool = wf.db.pool;
    const victim = (await pool.query("SELECT id, event_id FROM audit_log WHERE county = '610124' ORDER BY id LIMIT 1")).rows[0];
    await pool.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update');
    try {
      await pool.query(`UPDATE audit_log SET details = details || '{"summary":"改写"}' WHERE id = $1`, [victim.id]);
      expect((await call('auditor', 'GET', '/v1/audit/verify')).body).toEqual({
        ok: false,
        checked: 0,
        chains: 0,
        firstBreak: { id: Number(victim.id), eventId: victim.event_id, chain: '610124', reason: 'hash' },
      });
      // The other county's chain is not affected: it verifies on its own.
      expect((await call('otherOperator', 'GET', '/v1/audit/verify')).status).toBe(403);
      // An entry re-hashed to match its new content no longer links to the next one.
      const row = (await pool.query('SELECT * FROM audit_log WHERE id = $1', [victim.id])).rows[0];
      const rehashed = auditHash(
        row.prev_hash,
        {
          eventId: row.event_id,
          at: row.at,
          county: row.county,
          actorKeyId: row.actor_key_id,
          actorDepartment: row.actor_department,
          action: row.action,
          objectId: row.object_id,
          details: row.details,
        },
        row.chain,
      );
      await pool.query('UPDATE audit_log SET hash = $2 WHERE id = $1', [victim.id, rehashed]);
      const next = (await pool.query("SELECT id FROM audit_log WHERE chain = '610124' AND id > $1 ORDER BY id LIMIT 1", [victim.id])).rows[0];
      expect((await call('auditor', 'GET', '/v1/audit/verify')).body).toMatchObject({
        ok: false,
        firstBreak: { id: Number(next.id), chain: '610124', reason: 'link' },
      });
    } finally {
      await pool.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update');
    }
  });
});
