/**
 * Deadlines must not depend on the process's time zone: workers and the API may run anywhere, and
 * a workflow replayed on another machine must compute the same instants. The same computation runs
 * in child processes under three TZ settings and must print identical output. A static check keeps
 * local-time APIs out of domain/calendar/ (the sandbox would accept them; the replay would not).
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const calendarDir = new URL('../../domain/calendar/', import.meta.url);
const entry = new URL('index.ts', calendarDir).href;

// Plain JavaScript run with `node --import tsx --input-type=module -e`.
const script = `
const c = await import(${JSON.stringify(entry)});
const rules = [
  { amount: 1, unit: 'working_day' },
  { amount: 5, unit: 'working_day' },
  { amount: 20, unit: 'working_day' },
  { amount: 3, unit: 'calendar_day' },
  { amount: 7, unit: 'calendar_day', extendToWorkingDay: false },
  { amount: 24, unit: 'hour' },
  { amount: 90, unit: 'minute' },
];
const results = [];
// Every 17h13m from mid-December 2024 to February 2027: all times of day, both published years,
// the provisional years either side.
for (let ms = Date.UTC(2024, 11, 15, 3, 7); ms < Date.UTC(2027, 1, 10); ms += 17 * 3600000 + 13 * 60000) {
  const row = [ms, c.shanghaiDate(ms), c.toShanghaiIso(ms)];
  for (const rule of rules) {
    const r = c.resolveDeadline(ms, rule);
    row.push(r.dueAtMs, r.dueAt, r.provisional);
  }
  for (const n of [-1, 0, 3, 5]) row.push(c.shiftByWorkingDays(ms, n).dueAt);
  results.push(row);
}
// Strings: without an offset they are Shanghai wall-clock time, never the process's local time.
for (const s of ['2026-09-30', '2026-09-30T23:30', '2026-09-29T16:30:00Z', '2025-01-27T08:00:00-05:00']) {
  results.push([s, c.resolveDeadline(s, { amount: 1, unit: 'working_day' }), c.resolveDeadline(s, { amount: 10, unit: 'hour' })]);
}
results.push(['date', c.resolveDeadline(new Date(Date.UTC(2026, 1, 13, 16)), { amount: 1, unit: 'working_day' })]);
for (const d of ['2025-01-26', '2025-10-08', '2026-02-14', '2026-02-28', '2026-10-10', '2027-01-01']) {
  results.push([d, c.isWorkingDay(d), c.addWorkingDays(d, 3), c.addWorkingDays(d, -3), c.workingDaysBetween('2025-01-01', d)]);
}
console.log(JSON.stringify({ offsetMinutes: new Date(Date.UTC(2026, 0, 1)).getTimezoneOffset(), results }));
`;

async function computeUnder(tz: string): Promise<{ offsetMinutes: number; results: unknown[] }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    env: { ...process.env, TZ: tz },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  return JSON.parse(stdout) as { offsetMinutes: number; results: unknown[] };
}

describe('process time zone', () => {
  test('UTC, America/Los_Angeles and Asia/Shanghai compute identical deadlines', async () => {
    const [utc, la, sh] = await Promise.all(['UTC', 'America/Los_Angeles', 'Asia/Shanghai'].map(computeUnder));
    // The children really ran in different zones...
    expect([utc!.offsetMinutes, la!.offsetMinutes, sh!.offsetMinutes]).toEqual([0, 480, -480]);
    // ...and agree on every result.
    expect(la!.results).toEqual(utc!.results);
    expect(sh!.results).toEqual(utc!.results);
    expect(utc!.results.length).toBeGreaterThan(1000);
    // Spot checks against the hand-checked table: 2026-09-30 + 1 working day is 10-08 (国庆), and a
    // string without an offset is read as Shanghai time in every zone.
    const byKey = new Map(utc!.results.map((row) => [(row as unknown[])[0], row as unknown[]]));
    expect(byKey.get('2026-09-30T23:30')?.[1]).toEqual({
      dueAtMs: Date.parse('2026-10-08T23:59:59.999+08:00'),
      dueAt: '2026-10-08T23:59:59.999+08:00',
      provisional: false,
    });
    expect(byKey.get('2026-09-30T23:30')?.[2]).toMatchObject({ dueAt: '2026-10-01T09:30:00.000+08:00' });
    expect(byKey.get('date')?.[1]).toMatchObject({ dueAt: '2026-02-24T23:59:59.999+08:00' });
    // (2025-01-01, 2026-02-14]: 2025 has 261 weekdays − 18 weekday holidays + 5 调休 = 248 working
    // days (01-01 itself is a holiday); January 2026 has 22 weekdays − 2 (元旦 Thu, Fri) + 1 (Sun 04)
    // = 21; February 1–14 has 10 weekdays + Sat 14 = 11. 248 + 21 + 11 = 280.
    expect(byKey.get('2026-02-14')).toEqual(['2026-02-14', true, '2026-02-26', '2026-02-11', 280]);
  }, 120_000);
});

describe('domain/calendar source', () => {
  // Comments may mention these names; code may not.
  const stripComments = (src: string) => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const files = readdirSync(calendarDir).filter((f) => f.endsWith('.ts'));

  test.each(files)('%s uses no Node built-ins, process, Intl or local-time Date methods', (file) => {
    const code = stripComments(readFileSync(new URL(file, calendarDir), 'utf8'));
    const imports = [...code.matchAll(/from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);
    for (const spec of imports) expect(spec === 'zod' || spec!.startsWith('./'), `import ${spec}`).toBe(true);
    expect(code).not.toMatch(/\bprocess\b|\bIntl\b|toLocale|getTimezoneOffset|\brequire\(/);
    // Local-time getters and setters (getHours, setDate, ...); the UTC variants are not used either.
    expect(code).not.toMatch(/\.(get|set)(FullYear|Month|Date|Day|Hours|Minutes|Seconds|Milliseconds)\(/);
    expect(code).not.toMatch(/Date\.parse|new Date\(/);
  });
});
