/**
 * Time of the draw over a county-sized registry (issue 14 §6: 100,000 subjects and 500 inspectors,
 * target under 1 s). Run: `npm run bench:draw` (or `-- <subjects> <inspectors> <runs>`). Prints
 * figures, asserts nothing. The registry is generated deterministically: grades A 30% / B 40% /
 * C 20% / D 10%, five departments of equal size, each inspector with 20 declared conflicts, 5,000
 * recent inspections, 2,000 subjects counted this year, 50 subjects a clue requires. One warm-up
 * run, then `runs` timed ones (median and fastest), first with the subjects in id order (as
 * `registeredSubjects` lists them), then shuffled.
 */
import { draw, drawSeed, snapshotHash, verifyDraw, type DrawPlan, type RegistrySnapshot, type SnapshotSubject } from '../../domain/draw.js';
import type { CreditGrade } from '../../domain/registry.js';

const SUBJECTS = Number(process.argv[2] ?? 100_000);
const INSPECTORS = Number(process.argv[3] ?? 500);
const RUNS = Number(process.argv[4] ?? 5);
const DEPARTMENTS = ['commerce', 'market', 'emergency', 'transport', 'ecology'];

let state = 0x2545f491;
const rand = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 2 ** 32;
};
const hex32 = () =>
  Array.from({ length: 4 }, () =>
    Math.floor(rand() * 2 ** 32)
      .toString(16)
      .padStart(8, '0'),
  ).join('');
const gradeOf = (u: number): CreditGrade => (u < 0.3 ? 'A' : u < 0.7 ? 'B' : u < 0.9 ? 'C' : 'D');

const subjects: SnapshotSubject[] = Array.from({ length: SUBJECTS }, (_, n) => ({
  id: `s-${hex32()}`,
  kind: n % 10 === 0 ? 'individual' : 'enterprise',
  county: '610124',
  township: `610124${String(100 + (n % 20)).padStart(3, '0')}`,
  trade: ['refined-oil', 'catering', 'retail', 'gas', 'training'][n % 5]!,
  tags: n % 3 === 0 ? ['规上企业'] : n % 7 === 0 ? ['重点区域', '学校周边'] : [],
  creditGrade: gradeOf(rand()),
}));
const pickSubject = () => subjects[Math.floor(rand() * subjects.length)]!.id;
const snapshot: RegistrySnapshot = {
  county: '610124',
  subjects,
  inspectors: Array.from({ length: INSPECTORS }, (_, n) => ({
    id: `i-${String(n).padStart(4, '0')}`,
    department: DEPARTMENTS[n % DEPARTMENTS.length]!,
    certificateNo: `ZF-6101-${String(n).padStart(5, '0')}`,
    qualifications: n % 4 === 0 ? ['危化品'] : [],
    specialties: ['成品油'],
    active: n % 25 !== 0,
    conflicts: Array.from({ length: 20 }, pickSubject),
  })),
};
const inspectorIds = snapshot.inspectors.map((i) => i.id);
const plan: DrawPlan = {
  items: ['SC-001', 'SC-002'],
  departments: DEPARTMENTS,
  ratios: { A: 0.05, B: 0.2, C: 0.6, D: 1 },
  recentInspections: Array.from({ length: 5_000 }, (_, n) => ({
    subjectId: pickSubject(),
    itemId: ['SC-001', 'SC-002', 'SC-003'][n % 3]!,
    on: `2026-0${1 + (n % 9)}-15`,
    inspectorIds: [inspectorIds[n % INSPECTORS]!, inspectorIds[(n * 7) % INSPECTORS]!],
  })),
  window: { from: '2026-04-01', to: '2026-06-30' },
  yearlyCap: 2,
  inspectedThisYear: Object.fromEntries(Array.from({ length: 2_000 }, (_, n) => [pickSubject(), n % 3])),
  mustInclude: Array.from({ length: 50 }, (_, n) => ({ subjectId: pickSubject(), cause: `clue:CL-20260601-${String(n).padStart(4, '0')}` })),
};
const seed = drawSeed('round-2026-q2', 'bench');

function time<T>(label: string, f: () => T): T {
  let out!: T;
  f(); // warm-up
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    out = f();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e3);
  }
  const median = (xs: number[]) =>
    [...xs]
      .sort((a, b) => a - b)
      [Math.floor(xs.length / 2)]!.toFixed(1)
      .padStart(7);
  const fastest = (xs: number[]) =>
    Math.min(...xs)
      .toFixed(1)
      .padStart(7);
  // CPU time beside wall time: the machine is shared, and another process's load shows in the wall time only.
  console.log(
    `${label.padEnd(14)} wall median ${median(ms)} ms, fastest ${fastest(ms)} ms   CPU median ${median(cpu)} ms, fastest ${fastest(cpu)} ms   (${RUNS} runs)`,
  );
  return out;
}

console.log(`${SUBJECTS.toLocaleString('en-US')} subjects, ${INSPECTORS} inspectors in ${DEPARTMENTS.length} departments, Node ${process.version}`);
// As `registeredSubjects` returns them (id order), then shuffled: the draw sorts what is not in order.
const inOrder: RegistrySnapshot = { ...snapshot, subjects: [...subjects].sort((a, b) => (a.id < b.id ? -1 : 1)) };
console.log('registry in id order:');
const hash = time('snapshotHash', () => snapshotHash(inOrder));
const result = time('draw', () => draw(inOrder, plan, seed));
time('verifyDraw', () => verifyDraw(inOrder, plan, result));
console.log('registry shuffled:');
time('snapshotHash', () => snapshotHash(snapshot));
time('draw', () => draw(snapshot, plan, seed));
console.log(
  `snapshot ${hash.slice(0, 16)}…; drawn ${result.subjects.length.toLocaleString('en-US')}, skipped ${result.skipped.length.toLocaleString('en-US')}`,
);
console.log('per grade', JSON.stringify(result.grades));
