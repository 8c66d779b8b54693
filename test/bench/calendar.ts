/**
 * Throughput of deadline resolution (run: `npx tsx test/bench/calendar.ts`). Prints figures, asserts
 * nothing. Start instants are spread over 2025–2026 at arbitrary times of day; each case warms up
 * first so the JIT has compiled the hot path, then runs for a fixed wall-clock time on this one
 * thread. The checksum keeps the results alive so the work cannot be optimised away.
 */
import { resolveDeadline, shiftByWorkingDays, type TimeLimitRuleInput } from '../../domain/calendar/index.js';

const WARMUP_MS = 500;
const RUN_MS = Number(process.env.BENCH_MS ?? 3000);
const STARTS = 4096; // power of two: index with a mask

// Deterministic pseudo-random instants in [2025-01-01T00:00+08:00, 2027-01-01T00:00+08:00).
const from = Date.parse('2025-01-01T00:00:00+08:00');
const to = Date.parse('2027-01-01T00:00:00+08:00');
let seed = 0x2545f491;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
const starts = Array.from({ length: STARTS }, () => from + Math.floor(rand() * (to - from)));
const isoStarts = starts.map((ms) => new Date(ms).toISOString());

function measure(label: string, call: (i: number) => number): void {
  let checksum = 0;
  const run = (ms: number): { calls: number; ns: number } => {
    const t0 = process.hrtime.bigint();
    const limit = t0 + BigInt(ms) * 1_000_000n;
    let calls = 0;
    let now = t0;
    while (now < limit) {
      // Check the clock once per batch so hrtime does not dominate.
      for (let k = 0; k < 4096; k++) checksum += call((calls + k) & (STARTS - 1));
      calls += 4096;
      now = process.hrtime.bigint();
    }
    return { calls, ns: Number(now - t0) };
  };
  run(WARMUP_MS);
  const { calls, ns } = run(RUN_MS);
  const perSec = (calls / ns) * 1e9;
  console.log(
    `${label.padEnd(34)} ${Math.round(perSec).toLocaleString('en-US').padStart(13)} calls/s ` +
      `${(ns / calls).toFixed(1).padStart(7)} ns/call   (${calls.toLocaleString('en-US')} calls, checksum ${checksum.toExponential(4)})`,
  );
}

const rules: [string, TimeLimitRuleInput][] = [
  ['resolveDeadline 20 working_day', { amount: 20, unit: 'working_day' }],
  ['resolveDeadline 5 working_day', { amount: 5, unit: 'working_day' }],
  ['resolveDeadline 30 calendar_day', { amount: 30, unit: 'calendar_day' }],
  ['resolveDeadline 24 hour', { amount: 24, unit: 'hour' }],
];

console.log(`node ${process.version}, ${STARTS} start instants over 2025–2026, ${RUN_MS} ms per case after ${WARMUP_MS} ms warm-up`);
for (const [label, rule] of rules) {
  measure(label, (i) => {
    const r = resolveDeadline(starts[i]!, rule);
    return r.dueAtMs + r.dueAt.length + (r.provisional ? 1 : 0);
  });
}
measure('shiftByWorkingDays +3', (i) => {
  const r = shiftByWorkingDays(starts[i]!, 3);
  return r.dueAtMs + r.dueAt.length;
});
measure('resolveDeadline 20 wd, ISO string', (i) => {
  const r = resolveDeadline(isoStarts[i]!, { amount: 20, unit: 'working_day' });
  return r.dueAtMs + r.dueAt.length;
});
