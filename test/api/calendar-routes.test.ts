import { describe, expect, test } from 'vitest';
import { useWorkflowEnv } from '../helpers/workflow-env.js';

// A worker runs the recomputation workflow that publishing a year starts.
const wf = useWorkflowEnv({
  queue: 'cal-api',
  app: true,
  keys: {
    admin: { county: '610124', roles: ['admin'] },
    platform: { county: '610000', roles: ['platform'] },
    officer: { county: '610124', department: 'housing', roles: ['officer'] },
  },
});

const as = (who: keyof typeof wf.keys) => ({ authorization: `Bearer ${wf.keys[who]}` });

// 2027 as it might be published: 2027-01-01 is a Friday, 2027-02-06 a Saturday, 2027-02-20 a Saturday.
const year2027 = {
  holidays: [
    { name: '元旦', from: '2027-01-01', to: '2027-01-03' },
    { name: '春节', from: '2027-02-06', to: '2027-02-14' },
  ],
  adjustedWorkdays: ['2027-02-20'],
  source: '测试通知',
};

describe('calendar routes', () => {
  test('GET a published year (shipped with the service) and an unpublished one', async () => {
    const y2026 = await wf.app.inject({ url: '/v1/calendar/2026', headers: as('officer') });
    expect(y2026.statusCode).toBe(200);
    expect(y2026.json()).toMatchObject({ year: 2026, provisional: false, version: 0 });
    expect(y2026.json().adjustedWorkdays).toContain('2026-02-14');
    const y2030 = await wf.app.inject({ url: '/v1/calendar/2030', headers: as('officer') });
    expect(y2030.json()).toEqual({
      year: 2030,
      provisional: true,
      version: 0,
      source: '',
      publishedAt: null,
      publishedBy: null,
      holidays: [],
      adjustedWorkdays: [],
    });
  });

  test('PUT publishes a year (the platform administrator only); deadlines in it are no longer provisional; a correction is a new version', async () => {
    const before = await wf.app.inject({ url: '/v1/calendar/deadline?start=2027-02-05T10:00:00%2B08:00&amount=1&unit=working_day', headers: as('officer') });
    // Provisional: weekends only, so Friday 2027-02-05 → Monday 02-08.
    expect(before.json()).toEqual({ dueAt: '2027-02-08T23:59:59.999+08:00', provisional: true });

    const refused = await wf.app.inject({ method: 'PUT', url: '/v1/calendar/2027', headers: as('officer'), payload: year2027 });
    expect(refused.statusCode).toBe(403);
    expect((await wf.app.inject({ url: '/v1/calendar/2027', headers: as('officer') })).json().provisional).toBe(true);

    const put = await wf.app.inject({ method: 'PUT', url: '/v1/calendar/2027', headers: as('platform'), payload: year2027 });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ year: 2027, provisional: false, version: 1, source: '测试通知', recomputation: { finished: true, tasksSignalled: 0 } });

    // Spring Festival 02-06..02-14 off: the first working day after Friday 02-05 is Monday 02-15.
    const after = await wf.app.inject({ url: '/v1/calendar/deadline?start=2027-02-05T10:00:00%2B08:00&amount=1&unit=working_day', headers: as('officer') });
    expect(after.json()).toEqual({ dueAt: '2027-02-15T23:59:59.999+08:00', provisional: false });

    const corrected = await wf.app.inject({ method: 'PUT', url: '/v1/calendar/2027', headers: as('platform'), payload: { ...year2027, adjustedWorkdays: [] } });
    expect(corrected.json()).toMatchObject({ version: 2, adjustedWorkdays: [] });
    expect((await wf.app.inject({ url: '/v1/calendar/2027', headers: as('officer') })).json()).toMatchObject({ version: 2, adjustedWorkdays: [] });
    const audit = await wf.db.pool.query("SELECT action, object_id FROM audit_log WHERE action = 'calendar.published' ORDER BY id");
    expect(audit.rows).toEqual([
      { action: 'calendar.published', object_id: 'calendar:2027' },
      { action: 'calendar.published', object_id: 'calendar:2027' },
    ]);
  });

  test.each([
    ['a range outside the year', { holidays: [{ name: '元旦', from: '2028-12-31', to: '2029-01-01' }], adjustedWorkdays: [] }, 'body.holidays.0'],
    ['a range that runs backwards', { holidays: [{ name: '春节', from: '2028-01-30', to: '2028-01-26' }], adjustedWorkdays: [] }, 'body.holidays.0'],
    [
      'overlapping ranges',
      {
        holidays: [
          { name: 'a', from: '2028-05-01', to: '2028-05-05' },
          { name: 'b', from: '2028-05-05', to: '2028-05-06' },
        ],
        adjustedWorkdays: [],
      },
      'body.holidays.1',
    ],
    ['an adjusted working day on a weekday', { holidays: [], adjustedWorkdays: ['2028-05-09'] }, 'body.adjustedWorkdays.0'],
    [
      'an adjusted working day inside a holiday',
      { holidays: [{ name: '劳动节', from: '2028-05-01', to: '2028-05-07' }], adjustedWorkdays: ['2028-05-06'] },
      'body.adjustedWorkdays.0',
    ],
    ['a date that does not exist', { holidays: [{ name: 'x', from: '2028-02-30', to: '2028-03-01' }], adjustedWorkdays: [] }, 'body.holidays.0.from'],
    ['a duplicate adjusted working day', { holidays: [], adjustedWorkdays: ['2028-04-29', '2028-04-29'] }, 'body.adjustedWorkdays.1'],
  ])('PUT with %s is a 400 naming the field, and stores nothing', async (_name, body, path) => {
    const res = await wf.app.inject({ method: 'PUT', url: '/v1/calendar/2028', headers: as('platform'), payload: body });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
    expect(
      res
        .json()
        .error.issues.map((i: { path: string }) => i.path)
        .some((p: string) => p.startsWith(path)),
    ).toBe(true);
    expect((await wf.app.inject({ url: '/v1/calendar/2028', headers: as('officer') })).json().provisional).toBe(true);
  });

  test('PUT with a wrong shape, a bad year, or no key', async () => {
    const shape = await wf.app.inject({ method: 'PUT', url: '/v1/calendar/2028', headers: as('platform'), payload: { holidays: 'none' } });
    expect(shape.statusCode).toBe(400);
    expect(shape.json().error.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(['body.holidays', 'body.adjustedWorkdays']));
    const badYear = await wf.app.inject({ method: 'PUT', url: '/v1/calendar/20x8', headers: as('platform'), payload: year2027 });
    expect(badYear.statusCode).toBe(400);
    expect(badYear.json().error.issues[0].path).toBe('params.year');
    expect((await wf.app.inject({ method: 'PUT', url: '/v1/calendar/2028', payload: year2027 })).statusCode).toBe(401);
    expect((await wf.app.inject({ url: '/v1/calendar/2026' })).statusCode).toBe(401);
  });

  test('GET /v1/calendar/deadline validates its query', async () => {
    const res = await wf.app.inject({ url: '/v1/calendar/deadline?start=yesterday&amount=0&unit=fortnight', headers: as('officer') });
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json()
        .error.issues.map((i: { path: string }) => i.path)
        .sort(),
    ).toEqual(['querystring.amount', 'querystring.start', 'querystring.unit']);
  });
});
