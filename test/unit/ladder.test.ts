/**
 * The ladder's arithmetic (domain/ladder.ts), checked against hand-counted dates of the 2026
 * schedule: 国庆节 1–7 October off, Saturday 10 October worked (调休).
 */
import { describe, expect, test } from 'vitest';
import { defaultCalendar } from '../../domain/calendar/index.js';
import { dueRungs, escalationLevel, resolveClock, workingMornings, type ClockRequest } from '../../domain/ladder.js';
import { defaultLadder, type LadderRung } from '../../domain/task.js';

const at = (iso: string) => Date.parse(iso);
const clock = (req: Partial<ClockRequest> & Pick<ClockRequest, 'startMs' | 'rule'>) =>
  resolveClock({ kind: 'handle', ladder: defaultLadder, nowMs: req.startMs, ...req }, defaultCalendar, 3);
const times = (c: ReturnType<typeof resolveClock>) => Object.fromEntries(c.rungs.map((r) => [r.rung, r.at]));

describe('day-scale ladders are delivered in office hours', () => {
  // Monday 28 September 10:00 + 2 working days → Wednesday 30 September, end of day.
  const c = clock({ startMs: at('2026-09-28T10:00:00+08:00'), rule: { amount: 2, unit: 'working_day' }, origin: 'sign-for' });

  test('the deadline stays the legal end of day; the rungs fall at 09:00 of working days', () => {
    expect(c.dueAt).toBe('2026-09-30T23:59:59.999+08:00');
    expect(times(c)).toEqual({
      reminder: '2026-09-29T09:00:00.000+08:00', // the working day before the deadline's day
      chase: '2026-10-08T09:00:00.000+08:00', // the first working morning after it (after the holiday)
      'yellow-card': '2026-10-10T09:00:00.000+08:00', // 8, 9, and the adjusted Saturday 10 October
      'red-card': '2026-10-13T09:00:00.000+08:00', // 12, 13
      escalation: '2026-10-20T09:00:00.000+08:00', // 14, 15, 16, 19, 20
    });
  });

  test('after the last rung: every working morning', () => {
    expect(c.dailyChases!.slice(0, 4).map((ms) => new Date(ms).toISOString())).toEqual([
      '2026-10-21T01:00:00.000Z',
      '2026-10-22T01:00:00.000Z',
      '2026-10-23T01:00:00.000Z',
      '2026-10-26T01:00:00.000Z',
    ]);
    expect(c.dailyChases).toHaveLength(20);
  });

  test('the deadline says what it counted from and with which calendar', () => {
    expect(c).toMatchObject({ origin: 'sign-for', startMs: at('2026-09-28T10:00:00+08:00'), calendarRevision: 3 });
  });

  test('a reminder that would fall before the clock started is dropped; one after it is kept', () => {
    const rule = { amount: 1, unit: 'working_day' } as const;
    expect(clock({ startMs: at('2026-12-01T10:00:00+08:00'), rule }).rungs.map((r) => r.rung)).not.toContain('reminder');
    expect(times(clock({ startMs: at('2026-12-01T08:00:00+08:00'), rule })).reminder).toBe('2026-12-01T09:00:00.000+08:00');
  });
});

describe('hour-scale ladders escalate in hours, through nights and holidays', () => {
  // An evacuation ordered at 20:00 on the National Day holiday, due within 12 hours.
  const c = clock({ startMs: at('2026-10-01T20:00:00+08:00'), rule: { amount: 12, unit: 'hour' } });

  test('reminder at half time, chase at the deadline, yellow +2 h, red +4 h, escalation +8 h', () => {
    expect(c.dueAt).toBe('2026-10-02T08:00:00.000+08:00');
    expect(times(c)).toEqual({
      reminder: '2026-10-02T02:00:00.000+08:00',
      chase: '2026-10-02T08:00:00.000+08:00',
      'yellow-card': '2026-10-02T10:00:00.000+08:00',
      'red-card': '2026-10-02T12:00:00.000+08:00',
      escalation: '2026-10-02T16:00:00.000+08:00',
    });
    // The daily chasing afterwards waits for the first working morning.
    expect(new Date(c.dailyChases![0]!).toISOString()).toBe('2026-10-08T01:00:00.000Z');
  });

  test('a county sets its own hour offsets', () => {
    const ladder: LadderRung[] = defaultLadder.map((r) => (r.rung === 'red-card' ? { ...r, hoursAfterDeadline: 1 } : r));
    expect(times(clock({ startMs: at('2026-10-01T20:00:00+08:00'), rule: { amount: 12, unit: 'hour' }, ladder }))['red-card']).toBe(
      '2026-10-02T09:00:00.000+08:00',
    );
  });
});

describe('clocks that count from an earlier event', () => {
  test('消费者权益保护法 art. 46: a complaint received Monday 28 September 09:00 is decided by 13 October', () => {
    // 29, 30 September; 1–7 October off; 8, 9, the adjusted Saturday 10, 12, 13 October.
    const c = clock({
      startMs: at('2026-09-28T09:00:00+08:00'),
      rule: { amount: 7, unit: 'working_day', startsFrom: 'matter-opened' },
      origin: 'matter-opened',
    });
    expect(c.dueAt).toBe('2026-10-13T23:59:59.999+08:00');
  });

  test('the return window is resolved with the sign-for clock, from the same start', () => {
    const c = resolveClock(
      {
        kind: 'sign-for',
        startMs: at('2026-09-29T15:00:00+08:00'),
        rule: { amount: 1, unit: 'working_day' },
        ladder: defaultLadder,
        nowMs: at('2026-09-29T15:00:00+08:00'),
        returnWindow: { amount: 2, unit: 'working_day' },
      },
      defaultCalendar,
    );
    expect(c.returnWindow?.dueAt).toBe('2026-10-08T23:59:59.999+08:00'); // 30 September, then 8 October after the holiday
  });
});

describe('what fired', () => {
  const c = clock({ startMs: at('2026-09-28T10:00:00+08:00'), rule: { amount: 2, unit: 'working_day' } });

  test('rungs due at an instant, not fired before, in order; the level they make', () => {
    expect(dueRungs(c, new Set(), at('2026-10-10T12:00:00+08:00')).map((r) => r.rung)).toEqual(['reminder', 'chase', 'yellow-card']);
    expect(dueRungs(c, new Set(['reminder', 'chase']), at('2026-10-10T12:00:00+08:00')).map((r) => r.rung)).toEqual(['yellow-card']);
    expect(escalationLevel(['reminder', 'chase', 'yellow-card'])).toBe(3);
    expect(escalationLevel([])).toBe(0);
  });

  test('working mornings skip weekends and holidays, and include today when it is still ahead', () => {
    expect(workingMornings(at('2026-09-30T08:00:00+08:00'), 3, defaultCalendar).map((ms) => new Date(ms).toISOString())).toEqual([
      '2026-09-30T01:00:00.000Z',
      '2026-10-08T01:00:00.000Z',
      '2026-10-09T01:00:00.000Z',
    ]);
  });
});
