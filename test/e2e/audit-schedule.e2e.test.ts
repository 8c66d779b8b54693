/**
 * The daily verification of the audit trail (issue: records and safety, §2) on the real dev
 * server: the worker's Schedule exists once (however often it is ensured), each run records its
 * result, sends each county's head hash to its city's supervisors, and tells the county's
 * supervisors of a break.
 */
import { describe, expect, test } from 'vitest';
import { auditScheduleId, ensureSchedules } from '../../worker/schedules.js';
import { eventually } from '../helpers/eventually.js';
import { useStack } from '../helpers/stack.js';

const stack = useStack({
  queue: 'e2e-audit',
  keys: {
    operator: { county: '610124', roles: ['operator'] },
    otherOperator: { county: '610122', roles: ['operator'] },
  },
});

interface Run {
  workflow_id: string;
  ok: boolean;
  checked: number;
  chains: { legacyOk: boolean; chains: { county: string; ok: boolean; head: { id: number; hash: string } | null }[] };
}

async function triggerAndWait(after: number): Promise<Run> {
  const schedule = stack.client.schedule.getHandle(auditScheduleId);
  // The schedule skips a run while the last one is still open (overlap SKIP): the previous run
  // writes its row a moment before its workflow closes, so wait for it to close.
  const info = await eventually(
    async () => {
      const i = (await schedule.describe()).info;
      return i.runningActions.length === 0 ? i : undefined;
    },
    { message: 'the previous run to close' },
  );
  // A run's workflow id is the schedule's id and the second it was taken: a trigger within the
  // same second as the last run would name the same workflow, and start nothing.
  const last = info.recentActions.at(-1)?.takenAt.getTime() ?? 0;
  await eventually(async () => (Math.floor(Date.now() / 1000) > Math.floor(last / 1000) ? true : undefined), { message: 'the next second' });
  await schedule.trigger();
  return eventually(
    async () => {
      const r = await stack.db.pool.query<Run>('SELECT workflow_id, ok, checked, chains FROM audit_verifications ORDER BY at DESC, workflow_id DESC');
      return r.rows.length > after ? r.rows[0] : undefined;
    },
    { timeoutMs: 30_000, message: `verification run ${after + 1}` },
  );
}

describe('the daily audit verification (a Temporal Schedule)', () => {
  test('one schedule at 02:30 Asia/Shanghai; a run records the result and the heads; a rewritten entry is reported to the county', async () => {
    const settings = { taskQueue: stack.taskQueue, auditVerifyAt: '02:30' };
    await ensureSchedules(stack.client, settings);
    await ensureSchedules(stack.client, settings); // a second worker, or a restart: still one
    const described = await stack.client.schedule.getHandle(auditScheduleId).describe();
    expect(described.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 2, end: 2, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] });
    expect(described.spec.timezone).toBe('Asia/Shanghai');
    const schedules: string[] = [];
    for await (const s of stack.client.schedule.list()) schedules.push(s.scheduleId);
    expect(schedules.filter((id) => id === auditScheduleId)).toHaveLength(1);

    // Two counties with entries.
    for (const who of ['operator', 'otherOperator'] as const) {
      expect((await stack.call(who, 'POST', '/v1/tasks', { department: 'housing', title: '核查自建房' })).status).toBe(201);
    }
    const first = await triggerAndWait(0);
    expect(first.ok).toBe(true);
    expect(first.chains.chains.map((c) => [c.county, c.ok])).toEqual([
      ['610122', true],
      ['610124', true],
    ]);
    const head124 = first.chains.chains.find((c) => c.county === '610124')!.head!;
    const tail = await stack.db.pool.query(`SELECT id, hash FROM audit_log WHERE chain = '610124' AND action NOT LIKE 'audit.%' ORDER BY id DESC LIMIT 1`);
    expect(head124).toEqual({ id: Number(tail.rows[0].id), hash: tail.rows[0].hash });
    // The heads went to the city's supervisors, one notice per county; the result is in each county's trail.
    const heads = await stack.db.pool.query(`SELECT county, role, title, body FROM notifications WHERE kind = 'audit.head' AND object_id = $1 ORDER BY title`, [
      first.workflow_id,
    ]);
    expect(heads.rows.map((n) => [n.county, n.role])).toEqual([
      ['610100', 'supervisor'],
      ['610100', 'supervisor'],
    ]);
    expect(heads.rows.find((n) => n.title.includes('610124')).body).toContain(head124.hash);
    const recorded = await stack.db.pool.query(`SELECT county, action FROM audit_log WHERE object_id = $1 ORDER BY county`, [first.workflow_id]);
    expect(recorded.rows).toEqual([
      { county: '610122', action: 'audit.verified' },
      { county: '610124', action: 'audit.verified' },
    ]);

    // Somebody with the owner's rights rewrites an entry of 610124 behind the triggers.
    const victim = (await stack.db.pool.query(`SELECT id, event_id FROM audit_log WHERE chain = '610124' ORDER BY id LIMIT 1`)).rows[0];
    await stack.db.pool.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update');
    try {
      await stack.db.pool.query(`UPDATE audit_log SET details = details || '{"summary":"改写"}' WHERE id = $1`, [victim.id]);
    } finally {
      await stack.db.pool.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update');
    }
    const second = await triggerAndWait(1);
    expect(second.ok).toBe(false);
    expect(second.chains.chains.map((c) => [c.county, c.ok])).toEqual([
      ['610122', true],
      ['610124', false],
    ]);
    const alarms = await stack.db.pool.query(`SELECT county, role, body FROM notifications WHERE kind = 'audit.broken' AND object_id = $1`, [
      second.workflow_id,
    ]);
    expect(alarms.rows).toEqual([
      { county: '610124', role: 'supervisor', body: expect.stringContaining(`第 ${victim.id} 条（${victim.event_id}）内容与哈希不符`) },
    ]);
  });
});
