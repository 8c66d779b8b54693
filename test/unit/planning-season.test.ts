/**
 * The planning season's pure parts (domain/planning-season.ts, workflows/planning-season/notices.ts):
 * which leads have published items without a plan, their state around the deadline, and who each
 * step's notices reach.
 */
import { describe, expect, test } from 'vitest';
import { resolveDeadline } from '../../domain/calendar/index.js';
import { coverage, leadState, seasonRule, seasonStartMs } from '../../domain/planning-season.js';
import { seasonNotices } from '../../workflows/planning-season/notices.js';

const items = [
  { itemId: 'OIL-1', lead: 'commerce', published: true },
  { itemId: 'OIL-2', lead: 'commerce', published: true },
  { itemId: 'QUAL-1', lead: 'market', published: true },
  { itemId: 'DRAFT', lead: 'ecology', published: false },
];

describe('coverage of a county’s published items by the year’s plans', () => {
  test('per lead: published, planned (by any plan, also one led by another department) and missing; unpublished items ask nothing', () => {
    expect(coverage(items, ['OIL-2', 'QUAL-1', 'DRAFT'])).toEqual([
      { department: 'commerce', published: ['OIL-1', 'OIL-2'], planned: ['OIL-2'], missing: ['OIL-1'] },
      { department: 'market', published: ['QUAL-1'], planned: ['QUAL-1'], missing: [] },
    ]);
    expect(coverage(items, [])).toHaveLength(2);
  });

  test('the deadline is 31 March, end of day, China time, whatever the weekday; late only after it', () => {
    const due = resolveDeadline(seasonStartMs(2026), seasonRule);
    // 31 March 2026 is a Tuesday, 2029 a Saturday: not moved to a working day.
    expect(due.dueAt).toBe('2026-03-31T23:59:59.999+08:00');
    expect(resolveDeadline(seasonStartMs(2029), seasonRule).dueAt).toBe('2029-03-31T23:59:59.999+08:00');
    const [commerce, market] = coverage(items, ['OIL-2', 'QUAL-1']);
    expect(leadState(commerce!, due.dueAtMs, due.dueAtMs)).toBe('due');
    expect(leadState(commerce!, due.dueAtMs + 1, due.dueAtMs)).toBe('late');
    expect(leadState(market!, due.dueAtMs + 1, due.dueAtMs)).toBe('planned');
  });
});

describe('who a step tells', () => {
  const late = coverage(items, ['OIL-2']).filter((c) => c.missing.length > 0);
  const base = { county: '610124', year: 2027, dueOn: '2027-03-31' };

  test('a late lead hears of its own items; the audiences above it get one notice naming every late lead', () => {
    const yellow = seasonNotices({ ...base, step: 'yellow-card', notify: ['task-department', 'lead-department'], late });
    expect(yellow.map((n) => n.recipients)).toEqual([
      [{ county: '610124', department: 'commerce' }],
      [{ county: '610124', department: 'market' }],
      [{ county: '610124', role: 'supervisor' }],
    ]);
    expect(yellow[0]!.body).toBe('商务局牵头的已公开监管事项 OIL-1 尚无 2027 年度检查计划，报送期限 2027-03-31 已过，请立即制定并报送。');
    expect(yellow[2]!.body).toContain('商务局（OIL-1）；市场监督管理局（QUAL-1）');
    const red = seasonNotices({ ...base, step: 'red-card', notify: ['county-supervisors', 'county-government'], late });
    expect(red).toHaveLength(1);
    expect(red[0]!.recipients).toEqual([
      { county: '610124', role: 'supervisor' },
      { county: '610124', department: 'county-government' },
    ]);
    const escalation = seasonNotices({ ...base, step: 'escalation', notify: ['higher-authority'], late });
    expect(escalation[0]!.recipients).toEqual([{ county: '610100', role: 'supervisor' }]);
    const opening = seasonNotices({ ...base, step: 'opening', notify: ['task-department'], late });
    expect(opening.map((n) => [n.kind, n.title])).toEqual([
      ['planning.opening', '计划提醒：2027 年度检查计划'],
      ['planning.opening', '计划提醒：2027 年度检查计划'],
    ]);
    expect(opening[0]!.body).toContain('请于 2027-03-31 前制定并报送');
  });
});
