/**
 * The evaluation report's printable page (GET /v1/reports/evaluation.html, issue 15 §3) in a real
 * browser: headless Chromium (Debian's, found or installed by scripts/provision.ts, driven by
 * playwright-core) opens it from the API on a port, with a supervisor's key, for the county of
 * test/helpers/evaluation-county.ts. What the page shows (the table, the bars of each department's
 * 按期办结率, the weekly overdue bars) is read from the rendered page and checked against the JSON
 * of GET /v1/reports/evaluation; the page loads nothing but itself and prints to PDF. No workflow
 * is needed: the read model is written through the recording activities.
 */
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { EvaluationReport } from '../../api/routes/evaluation.js';
import { findChromium } from '../../scripts/provision.js';
import { startApiHarness, type ApiHarness } from '../helpers/api.js';
import { county, seedEvaluationCounty } from '../helpers/evaluation-county.js';

let h: ApiHarness;
let browser: Browser;
let base: string;

beforeAll(async () => {
  h = await startApiHarness();
  await seedEvaluationCounty(h.db.pool);
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: await findChromium(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

/** What the page shows, read from the rendered document. */
interface Shown {
  title: string;
  period: string;
  rows: { code: string; name: string; cells: Record<string, string> }[];
  bars: { department: string; name: string; value: string; width: number }[];
  weeks: { from: string; to: string; value: string; height: number }[];
  scripts: number;
}

const query = `county=${county}&from=2026-03-01&to=2026-03-31`;

/** Run in the page (a string: the project compiles without the DOM's types): what it shows, as `Shown`. */
const readPage = `(() => {
  const text = (e) => (e?.textContent ?? '').trim();
  const rows = [...document.querySelectorAll('#figures tbody tr[data-department], #figures tfoot tr[data-department]')].map((tr) => ({
    code: tr.getAttribute('data-department') ?? '',
    name: text(tr.querySelector('th')),
    cells: Object.fromEntries([...tr.querySelectorAll('td[data-figure]')].map((td) => [td.getAttribute('data-figure') ?? '', text(td)])),
  }));
  const bars = [...document.querySelectorAll('#on-time-chart g.bar')].map((g) => ({
    department: g.getAttribute('data-department') ?? '',
    name: text(g.querySelector('text.name')),
    value: text(g.querySelector('text.value')),
    width: g.querySelector('rect').getBBox().width,
  }));
  const weeks = [...document.querySelectorAll('#overdue-chart g.week')].map((g) => ({
    from: g.getAttribute('data-from') ?? '',
    to: g.getAttribute('data-to') ?? '',
    value: text(g.querySelector('text.value')),
    height: g.querySelector('rect').getBBox().height,
  }));
  return { title: text(document.querySelector('h1')), period: text(document.querySelector('#period')), rows, bars, weeks, scripts: document.scripts.length };
})()`;

/** The JSON value a table column shows (`returns.total` → report.returns.total). */
const valueAt = (f: object, key: string): unknown => key.split('.').reduce<unknown>((v, k) => (v === null ? null : (v as Record<string, unknown>)[k]), f);

type Rate = { numerator: number; denominator: number; rate: number | null };
const isRate = (v: unknown): v is Rate => typeof v === 'object' && v !== null && 'numerator' in v;

/** A shown rate `6/9（66.7%）` read back: its numerator, denominator and percentage (null for —). */
function readRate(text: string): { numerator: number; denominator: number; percent: number | null } {
  const m = /^(\d+)\/(\d+)（(—|\d+\.\d%)）$/.exec(text);
  expect(m, `a rate: ${text}`).not.toBeNull();
  return { numerator: Number(m![1]), denominator: Number(m![2]), percent: m![3] === '—' ? null : Number(m![3]!.slice(0, -1)) };
}

/** The shown rate equals the JSON's: the same numerator and denominator, the fraction to 0.05 percentage points. */
function expectSameRate(text: string, r: Rate, what: string) {
  const shown = readRate(text);
  expect({ what, numerator: shown.numerator, denominator: shown.denominator }).toEqual({ what, numerator: r.numerator, denominator: r.denominator });
  if (r.rate === null) expect(shown.percent, what).toBeNull();
  else expect(Math.abs(shown.percent! - r.rate * 100), what).toBeLessThanOrEqual(0.05);
}

describe('the printable evaluation page in headless Chromium', () => {
  test('shows March’s figures exactly as the JSON has them: the table, the on-time bars, the weekly overdue bars', async () => {
    const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${h.keys.supervisor}` } });
    const page = await context.newPage();
    const requested: string[] = [];
    page.on('request', (req) => requested.push(req.url()));
    const res = await page.goto(`${base}/v1/reports/evaluation.html?${query}`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-type']).toBe('text/html; charset=utf-8');
    expect(res?.headers()['content-security-policy']).toContain("default-src 'none'");

    const shown = (await page.evaluate(readPage)) as Shown;

    const json = (await h.call<EvaluationReport>('GET', `/v1/reports/evaluation?${query}`, { as: 'supervisor' })).body;
    expect(json.departments.length).toBe(6);

    expect(shown.title).toBe('周至县综合监管考核情况通报');
    expect(shown.period).toContain('考核期间：2026-03-01 至 2026-03-31');
    expect(shown.scripts).toBe(0);

    // The table: one row per department in the JSON's order, then the county's; every cell its figure.
    expect(shown.rows.map((r) => [r.code, r.name])).toEqual([...json.departments.map((d) => [d.department, d.departmentName]), [county, '周至县合计']]);
    const columns = Object.keys(shown.rows[0]!.cells);
    expect(columns).toEqual([
      'assigned',
      'signedOnTime',
      'closedOnTime',
      'overdue',
      'yellowCards',
      'redCards',
      'escalations',
      'returns.total',
      'returns.upheld',
      'returns.designatedBack',
      'extensions.requested',
      'extensions.approved',
      'disputes',
      'supervisionOrders.issued',
      'supervisionOrders.answeredOnTime',
      'clues.onTimeRate',
      'clues.satisfactionRate',
    ]);
    const figures = [...json.departments, json.total];
    shown.rows.forEach((row, i) => {
      for (const key of columns) {
        const value = valueAt(figures[i]!, key);
        const cell = row.cells[key]!;
        const what = `${row.code} ${key}`;
        if (value === null || value === undefined)
          expect(cell, what).toBe('—'); // no clue figure
        else if (isRate(value)) expectSameRate(cell, value, what);
        else expect(cell, what).toBe(String(value));
      }
    });

    // 按期办结率: a bar for every department with something due, as long as its share of the full width.
    const due = json.departments.filter((d) => d.closedOnTime.denominator > 0);
    expect(shown.bars.map((b) => [b.department, b.name])).toEqual(due.map((d) => [d.department, d.departmentName]));
    const full = 460;
    shown.bars.forEach((bar, i) => {
      const r = due[i]!.closedOnTime;
      const m = /^(\d+\.\d)%（(\d+)\/(\d+)）$/.exec(bar.value);
      expect(m, bar.value).not.toBeNull();
      expect([Number(m![2]), Number(m![3])]).toEqual([r.numerator, r.denominator]);
      expect(Math.abs(Number(m![1]) - r.rate! * 100)).toBeLessThanOrEqual(0.05);
      expect(Math.abs(bar.width / full - r.rate!)).toBeLessThan(0.001);
    });
    expect(shown.bars.map((b) => b.value)).toEqual(['100.0%（1/1）', '50.0%（2/4）', '66.7%（2/3）', '100.0%（1/1）']);

    // Overdue per week: every week of the period, its count shown, the bars in proportion to the largest.
    expect(shown.weeks.map((w) => ({ from: w.from, to: w.to, overdue: Number(w.value) }))).toEqual(json.overdueByWeek);
    const max = Math.max(...json.overdueByWeek.map((w) => w.overdue));
    shown.weeks.forEach((w, i) => expect(Math.abs(w.height / 150 - json.overdueByWeek[i]!.overdue / max)).toBeLessThan(0.001));
    expect(shown.weeks.map((w) => Number(w.value)).reduce((a, b) => a + b, 0)).toBe(json.total.overdue);

    // Nothing but the page itself was loaded (no font, style, image or script from anywhere), and it prints.
    expect(requested).toEqual([`${base}/v1/reports/evaluation.html?${query}`]);
    const pdf = await page.pdf({ format: 'A4', landscape: true, printBackground: true });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await context.close();
  }, 120_000);

  test('without a key the browser gets 401 and the one error body, not a page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(`${base}/v1/reports/evaluation.html?${query}`);
    expect(res?.status()).toBe(401);
    expect(res?.headers()['content-type']).toContain('application/json');
    expect(JSON.parse(await page.locator('body').innerText())).toMatchObject({ error: { code: 'unauthenticated' } });
    await context.close();
  });
});
