/**
 * The evaluation page's renderer (api/evaluation-page.ts) and the report's weeks: every text is
 * escaped (a name that looks like markup stays text), nothing is loaded from elsewhere, and the
 * weeks of a period run Monday to Sunday, cut at its ends.
 */
import { describe, expect, test } from 'vitest';
import { renderEvaluationPage } from '../../api/evaluation-page.js';
import { weeksOf, type EvaluationFigures, type EvaluationReport } from '../../api/routes/evaluation.js';

const rate = (numerator: number, denominator: number) => ({ numerator, denominator, rate: denominator ? numerator / denominator : null });
const figures: EvaluationFigures = {
  assigned: 3,
  signedOnTime: rate(2, 3),
  closedOnTime: rate(1, 2),
  overdue: 1,
  yellowCards: 0,
  redCards: 0,
  escalations: 0,
  returns: { total: 0, upheld: 0, designatedBack: 0 },
  extensions: { requested: 0, approved: 0 },
  disputes: 0,
  supervisionOrders: { issued: 0, answeredOnTime: rate(0, 0) },
  clues: null,
};
const hostile = '<img src=x onerror="alert(1)">&amp;\'';
const report: EvaluationReport = {
  county: '610124',
  countyName: `周至县${hostile}`,
  from: '2026-03-01',
  to: '2026-03-31',
  asOf: '2026-12-07T08:00:00.000+08:00',
  total: figures,
  departments: [{ department: `x"><script>alert(1)</script>`, departmentName: hostile, ...figures }],
  overdueByWeek: [{ from: '2026-03-01', to: '2026-03-31', overdue: 1 }],
};

describe('the evaluation page', () => {
  test('every text is escaped: names and codes that look like markup stay text', () => {
    const html = renderEvaluationPage(report);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('onerror="');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;amp;&#39;');
    expect(html).toContain('data-department="x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });

  test('self-contained: no script, no link, no URL to load (only the SVG namespace)', () => {
    const html = renderEvaluationPage(report);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect([...html.matchAll(/https?:\/\/[^"]+/g)].map((m) => m[0])).toEqual(['http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg']);
  });

  test('a rate with nothing due shows —, a department without one gets no bar', () => {
    const html = renderEvaluationPage({ ...report, departments: [{ ...report.departments[0]!, closedOnTime: rate(0, 0) }] });
    expect(html).toContain('>0/0（—）<');
    expect(html).toContain('本期无应办结任务');
    expect(html).not.toContain('class="bar"');
  });
});

describe('weeksOf', () => {
  test('Monday to Sunday, cut at the period’s ends', () => {
    expect(weeksOf('2026-03-01', '2026-03-10')).toEqual([
      { from: '2026-03-01', to: '2026-03-01' },
      { from: '2026-03-02', to: '2026-03-08' },
      { from: '2026-03-09', to: '2026-03-10' },
    ]);
    expect(weeksOf('2026-03-04', '2026-03-04')).toEqual([{ from: '2026-03-04', to: '2026-03-04' }]);
    // Across a year's end and a leap day.
    expect(weeksOf('2027-12-30', '2028-01-03')).toEqual([
      { from: '2027-12-30', to: '2028-01-02' },
      { from: '2028-01-03', to: '2028-01-03' },
    ]);
    expect(weeksOf('2028-02-28', '2028-03-01')).toEqual([{ from: '2028-02-28', to: '2028-03-01' }]);
    expect(weeksOf('2026-01-01', '2026-12-31').length).toBe(53);
  });
});
