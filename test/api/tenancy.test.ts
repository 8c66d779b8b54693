/**
 * Tenancy holes (issue: records and safety, §6): the national calendar is the platform's to
 * publish; a department-bound key without a department lists nothing; visibility follows need;
 * a county's scenario override is checked like the catalogue; work goes only to the county's own
 * townships.
 */
import { describe, expect, test } from 'vitest';
import { createKey } from '../../db/keys.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';
import { inject } from '../helpers/api.js';

const wf = useWorkflowEnv({
  queue: 'tenancy',
  app: true,
  keys: {
    operator: { county: '610124', roles: ['operator'] },
    supervisor: { county: '610124', roles: ['supervisor'] },
    admin: { county: '610124', roles: ['admin'] },
    cityAdmin: { county: '610100', roles: ['admin'] },
    platform: { county: '610000', roles: ['platform'] },
    arbiter: { county: '610124', roles: ['arbiter'] },
    justiceArbiter: { county: '610124', department: 'justice', roles: ['arbiter'] },
    auditor: { county: '610124', roles: ['auditor'] },
    housing: { county: '610124', department: 'housing', roles: ['officer'] },
  },
});

type Who = keyof typeof wf.keys | { key: string };
const call = (who: Who, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
  inject(wf.app, `Bearer ${typeof who === 'string' ? wf.keys[who] : who.key}`, method, url, payload !== undefined ? { body: payload } : {});

const year2029 = { source: '国办发明电〔2028〕1号', holidays: [{ name: '元旦', from: '2029-01-01', to: '2029-01-01' }], adjustedWorkdays: [] };

describe('the holiday schedule moves every county’s deadlines', () => {
  test('a county or city admin gets 403; the platform administrator publishes, and who did is shown', async () => {
    for (const who of ['admin', 'cityAdmin', 'supervisor'] as const) {
      const refused = await call(who, 'PUT', '/v1/calendar/2029', year2029);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('forbidden');
    }
    expect((await call('housing', 'GET', '/v1/calendar/2029')).body).toMatchObject({ provisional: true, version: 0, publishedBy: null });

    const put = await call('platform', 'PUT', '/v1/calendar/2029', year2029);
    expect(put.status).toBe(200);
    const keyId = wf.keys.platform.split('_')[1];
    expect(put.body).toMatchObject({ version: 1, provisional: false, publishedBy: keyId });
    expect((await call('housing', 'GET', '/v1/calendar/2029')).body).toMatchObject({ version: 1, publishedBy: keyId, holidays: year2029.holidays });
    const audit = await wf.db.pool.query(`SELECT actor_key_id, action FROM audit_log WHERE object_id = 'calendar:2029'`);
    expect(audit.rows).toEqual([{ actor_key_id: keyId, action: 'calendar.published' }]);
  });
});

describe('visibility follows need', () => {
  test('a department-bound key without a department lists neither matters nor tasks; nor do arbiters, admins, auditors without one', async () => {
    // Keys can be made behind the script's checks (an old key, a hand-made row): the routes refuse.
    const officerless = (await createKey(wf.db.pool, { county: '610124', roles: ['officer'] })).key;
    const headless = (await createKey(wf.db.pool, { county: '610124', roles: ['head'] })).key;
    const launched = await call('operator', 'POST', '/v1/matters', {
      scenario: 'prepaid-card',
      county: '610124',
      subject: { name: '某健身房', kind: 'enterprise' },
      facts: { trade: 'sports', signal: 'complaint' },
    });
    expect(launched.status).toBe(201);
    const task = await call('operator', 'POST', '/v1/tasks', { department: 'housing', title: '核查自建房' });
    expect(task.status).toBe(201);

    for (const who of [{ key: officerless }, { key: headless }, 'arbiter', 'admin', 'auditor'] as const) {
      const matters = await call(who, 'GET', '/v1/matters');
      expect(matters.status).toBe(403);
      expect(matters.body.error.code).toBe('forbidden');
      expect((await call(who, 'GET', '/v1/tasks')).status).toBe(403);
      // And by id: not found, as for another county's task.
      expect((await call(who, 'GET', `/v1/tasks/${task.body.taskId}`)).status).toBe(404);
      expect((await call(who, 'GET', `/v1/matters/${launched.body.matterId}`)).status).toBe(404);
    }
    // An arbiter with a department sees that department's work, like its officers.
    expect((await call('justiceArbiter', 'GET', '/v1/tasks')).body.items).toEqual([]);
    expect((await call('justiceArbiter', 'GET', `/v1/tasks/${task.body.taskId}`)).status).toBe(404);
    // Operators and supervisors oversee the county; the department its own task.
    for (const who of ['operator', 'supervisor', 'housing'] as const) {
      expect((await call(who, 'GET', '/v1/tasks')).body.items.map((t: { taskId: string }) => t.taskId)).toContain(task.body.taskId);
    }
    expect((await call('operator', 'GET', '/v1/matters')).body.items.map((m: { matterId: string }) => m.matterId)).toContain(launched.body.matterId);
  });
});

describe('a county’s scenario override is checked like the catalogue', () => {
  test('an empty ladder, text for a number, a round count of 0: 400 with the field paths, and nothing stored', async () => {
    const url = '/v1/counties/610124/scenarios/refined-oil';
    const cases: [unknown, string[]][] = [
      [{ ladder: [] }, ['body.ladder']],
      [{ settings: { defaultRectifyWithinDays: 'abc' } }, ['body.settings.defaultRectifyWithinDays']],
      [{ settings: { maxRectificationRounds: 0 } }, ['body.settings.maxRectificationRounds']],
      [{ settings: { maxRectificationRounds: 'two' } }, ['body.settings.maxRectificationRounds']],
      [{ limits: { 'check.joint': { handle: { amount: 0, unit: 'working_day', startsFrom: 'sign-for' } } } }, ['body.limits.check.joint.handle.amount']],
    ];
    for (const [body, paths] of cases) {
      const res = await call('admin', 'PUT', url, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(
        res.body.error.issues.map((i: { path: string }) => i.path),
        JSON.stringify(body),
      ).toEqual(paths);
    }
    expect((await wf.db.pool.query('SELECT count(*)::int AS n FROM scenario_overrides')).rows[0].n).toBe(0);
    // A good one is stored.
    const ok = await call('admin', 'PUT', url, { settings: { maxRectificationRounds: 3 } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ countyOverrideVersion: 1, settings: { maxRectificationRounds: 3 } });
  });
});

describe('work goes to the county’s own townships', () => {
  test('a supervision order or a task for another county’s township: 400 on body.department, nothing started', async () => {
    const m = await call('operator', 'POST', '/v1/matters', {
      scenario: 'prepaid-card',
      county: '610124',
      subject: { name: '某美容店', kind: 'enterprise' },
      facts: { trade: 'commerce', signal: 'complaint' },
    });
    expect(m.status).toBe(201);
    const order = await call('supervisor', 'POST', `/v1/matters/${m.body.matterId}/supervision-orders`, {
      department: 'township:610122100',
      instruction: '核查',
      dueInWorkingDays: 3,
    });
    expect(order.status).toBe(400);
    expect(order.body.error.issues).toEqual([{ path: 'body.department', message: '该乡镇不属于 610124：只能派给本县的乡镇' }]);
    const task = await call('operator', 'POST', '/v1/tasks', { department: 'township:610122100', title: '核查' });
    expect(task.status).toBe(400);
    expect(task.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['body.department']);
    const started = await wf.db.pool.query(`SELECT count(*)::int AS n FROM tasks WHERE department = 'township:610122100'`);
    expect(started.rows[0].n).toBe(0);
    // The county's own township is fine.
    expect(
      (
        await call('supervisor', 'POST', `/v1/matters/${m.body.matterId}/supervision-orders`, {
          department: 'township:610124100',
          instruction: '核查',
          dueInWorkingDays: 3,
        })
      ).status,
    ).toBe(201);
  });
});
