/**
 * The draw of a random inspection round (双随机: random subjects, random inspectors; DOMAIN §7,
 * issue 14 §3). A pure function of (registry snapshot, plan, seed): no I/O, no clock, no Node
 * built-ins, so it runs in an activity, in a workflow and in anyone's verifier alike. Everything it
 * does is written down below precisely enough to be reproduced in another language.
 *
 * ## Inputs
 * - `seed` (`drawSeed`): SHA-256 hex of the UTF-8 bytes of `${roundId}|${publishedValue}`, fixed and
 *   recorded before the snapshot is taken, the published value announced in advance (e.g. a lottery
 *   draw or a value the county publishes), so nobody can pick a seed that suits a snapshot.
 * - the registry snapshot and its hash (`snapshotHash`): RFC 8785 (JCS) canonical JSON — object keys
 *   sorted by UTF-16 code units, strings and numbers as ECMAScript's JSON.stringify writes them,
 *   absent fields left out — of the snapshot with `subjects` and `inspectors` sorted by `id` and every
 *   set-like list (`tags`, `qualifications`, `specialties`, `conflicts`) sorted; SHA-256 of its UTF-8
 *   bytes, lower-case hex.
 * - the plan (`DrawPlan`): departments, credit-graded ratios, target, recent inspections, yearly cap,
 *   subjects a clue or risk warning requires.
 *
 * ## Random numbers
 * A stream is xoshiro128** (Blackman & Vigna) whose state s0..s3 is the first 16 bytes of
 * SHA-256(UTF-8 `${seed}|${label}`) read as four big-endian uint32 (an all-zero state, which has
 * probability 2^-128, becomes s0 = 1). `below(m)` = floor(next() × m / 2^32) with next() the
 * generator's uint32 (exact in doubles for m < 2^21; bias below m / 2^32). A shuffle of a list sorted
 * by id is the forward Fisher–Yates: for j = 0, 1, …: r = j + below(n − j), swap items j and r, item j
 * is the j-th pick; it is taken lazily, only as far as picks are needed (the last position, too,
 * consumes a number). Labels: `subjects|<grade>` for a grade's order; `inspectors|<subjectId>` for
 * its teams, the plan's departments in the plan's order, each consuming `inspectorsPerDepartment`
 * numbers; `recusal|<subjectId>|<department>|<counter>` for a re-draw. A subject's team depends only
 * on the seed, the subject and the inspector registry, never on which other subjects were drawn.
 *
 * ## Rules (decisions, with the words they follow)
 * 1. Targets: a subject is in the plan's target when its kind is one of `target.kinds`, its trade one
 *    of `target.trades` and it has any of `target.tags` (a list absent or empty: no condition).
 * 2. Left out, with the reason (issue 14 §4, "prevented when planning"): a subject inspected for one
 *    of the plan's items on a date within `window` (inclusive) is skipped `recently-inspected:<itemId>`
 *    (the smallest such item id); one whose count this year has reached `yearlyCap` is skipped
 *    `yearly-cap`. The first reason that applies is given, in that order.
 * 3. Required (a clue or risk warning requires a check): `mustInclude` subjects are drawn first, in
 *    id order, whatever their grade or target and despite rule 2 (the reasons overridden are recorded
 *    in `required.despite`); they are not part of the random pools. One not in the snapshot is
 *    skipped `not-in-registry`.
 * 4. Per credit grade g (A, B, C, D, E), eligible(g) = the targeted subjects of grade g not left out and
 *    not required. planned(g) = ceil(ratio(g) × eligible(g)), ratios given in steps of 0.0001 and
 *    computed in integers (ratio × 10000 = bp; planned = ceil(bp × n / 10000)), so 0.07 × 100 is 7, not 8.
 *    Every ratio is > 0 and ≤ 1: A is not disturbed without cause (a small ratio) but never exempt
 *    (不免抽, DOMAIN §7): a grade with any eligible subject draws at least one. E (严重失信), where the
 *    county grades it, takes the plan's `E` ratio, else D's (never looser than D).
 * 5. The grade's eligible subjects sorted by id are shuffled (stream `subjects|<g>`) and taken in that
 *    order; each gets its teams (rule 6). A subject whose team cannot be formed is skipped
 *    `insufficient-inspectors:<department>` (the first such department in plan order) and the next one
 *    takes its place, so planned(g) are drawn while enough subjects exist: drawn(g) =
 *    min(planned(g), eligible(g) − insufficient(g)).
 * 6. Teams: for each department of the plan, the candidates are its inspectors who are active, hold
 *    an enforcement certificate (non-blank `certificateNo`, 国办发〔2024〕54号) and every qualification
 *    the plan asks of that department, minus recusals (行政处罚法 art. 43): those who declared a
 *    conflict with the subject, and those who inspected it last time (every inspector of its recorded
 *    inspections on the latest date, any item). `inspectorsPerDepartment` (default 2, never fewer) are
 *    picked from the candidates sorted by id; fewer candidates than that: rule 5's skip.
 * 7. No subject is drawn twice; results list subjects and skips by subject id, team members by id.
 *
 * A subject's application for recusal leads to `redraw`: the named inspectors are replaced from the
 * same department's candidates (rule 6, also excluding the current team and everyone recused from
 * that subject's department before), stream `recusal|…|<counter>`, the counter being the log's
 * length + 1; the application and its outcome are appended to `recusals`. `verifyDraw` recomputes the
 * draw and replays the log.
 */
import type { CreditGrade } from './registry.js';
import { Sha256, sha256Hex } from './sha256.js';

// ---------------------------------------------------------------- inputs

/** A registered subject as the draw sees it (db/subject-registry.ts `RegistryRecord`, without personal data). */
export interface SnapshotSubject {
  id: string;
  kind: string;
  county: string;
  township: string;
  trade: string;
  tags: string[];
  creditGrade: CreditGrade;
}

/** An inspector as the draw sees it (db/inspectors.ts `Inspector`, without the name). */
export interface SnapshotInspector {
  id: string;
  department: string;
  certificateNo: string;
  qualifications: string[];
  specialties: string[];
  active: boolean;
  /** Subject ids the inspector declared a conflict of interest with. */
  conflicts: string[];
}

/** The registry as it stood when the round took it (after the seed was fixed). */
export interface RegistrySnapshot {
  county: string;
  subjects: SnapshotSubject[];
  inspectors: SnapshotInspector[];
}

/** An earlier inspection of a subject for an item (any department's). */
export interface RecentInspection {
  subjectId: string;
  itemId: string;
  /** The date it took place, `YYYY-MM-DD` (China time). */
  on: string;
  inspectorIds: string[];
}

export interface DrawPlan {
  /** The plan's items (事项): an inspection of one of them within `window` leaves a subject out. */
  items: string[];
  /** Participating departments, the lead first, then the cooperating ones. */
  departments: string[];
  /** Fractions per credit grade, in (0, 1], steps of 0.0001; E absent: D's. */
  ratios: { A: number; B: number; C: number; D: number; E?: number | undefined };
  target?: { tags?: string[] | undefined; trades?: string[] | undefined; kinds?: string[] | undefined } | undefined;
  /** Qualifications (资格) a department's inspectors must all hold for this plan. */
  qualifications?: Record<string, string[]> | undefined;
  /** Inspectors per department per subject: at least 2 (default 2). */
  inspectorsPerDepartment?: number | undefined;
  /** Earlier inspections: those within `window` leave subjects out; each subject's latest names the inspectors recused. */
  recentInspections?: RecentInspection[] | undefined;
  /** Dates (`YYYY-MM-DD`, inclusive) within which an inspection for the same item leaves a subject out. */
  window?: { from: string; to: string } | undefined;
  /** The county's published yearly cap of inspections per enterprise (国办发〔2024〕54号); absent: none. */
  yearlyCap?: number | undefined;
  /** Inspections of each subject so far this year. */
  inspectedThisYear?: Record<string, number> | undefined;
  /** Subjects a clue or a risk warning requires a check of, with the cause (e.g. `clue:CL-…`). */
  mustInclude?: { subjectId: string; cause: string }[] | undefined;
}

// ---------------------------------------------------------------- result

export interface DrawnSubject {
  subjectId: string;
  creditGrade: CreditGrade;
  /** Per department of the plan, its inspectors' ids. */
  inspectors: Record<string, string[]>;
  /** Present when a clue or risk warning required the subject: the causes, and the rule-2 reasons overridden. */
  required?: { causes: string[]; despite: string[] };
}

export interface SkippedSubject {
  subjectId: string;
  /** `recently-inspected:<itemId>`, `yearly-cap`, `insufficient-inspectors:<department>` or `not-in-registry`. */
  reason: string;
}

/** A logged re-draw after a subject's application for recusal (行政处罚法 art. 43). */
export interface RecusalEntry {
  counter: number;
  subjectId: string;
  department: string;
  removed: string[];
  added: string[];
}

export interface GradeCount {
  eligible: number;
  planned: number;
  drawn: number;
}

export interface DrawResult {
  seed: string;
  snapshotHash: string;
  subjects: DrawnSubject[];
  skipped: SkippedSubject[];
  /** Random draws per grade (required subjects not counted). */
  grades: Partial<Record<CreditGrade, GradeCount>>;
  recusals: RecusalEntry[];
}

/** Input the draw cannot work with (a workflow validates the plan before it gets here). */
export class DrawInputError extends Error {
  override readonly name = 'DrawInputError';
}

// ---------------------------------------------------------------- hashes and seeds

export function drawSeed(roundId: string, publishedValue: string): string {
  return sha256Hex(`${roundId}|${publishedValue}`);
}

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const sorted = (xs: readonly string[]) => [...xs].sort();

/** The snapshot in canonical order (the form hashed). */
export function canonicalSnapshot(snapshot: RegistrySnapshot): RegistrySnapshot {
  return {
    ...snapshot,
    subjects: sortedById(snapshot.subjects.map((s) => (isSorted(s.tags) ? s : { ...s, tags: sorted(s.tags) }))),
    inspectors: sortedById(
      snapshot.inspectors.map((i) =>
        isSorted(i.qualifications) && isSorted(i.specialties) && isSorted(i.conflicts)
          ? i
          : { ...i, qualifications: sorted(i.qualifications), specialties: sorted(i.specialties), conflicts: sorted(i.conflicts) },
      ),
    ),
  };
}

function isSorted(xs: readonly string[]): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i - 1]! > xs[i]!) return false;
  return true;
}

/** Sorted by id (the registry usually lists them so already: then the list is kept as it is). */
function sortedById<T extends { id: string }>(xs: T[]): T[] {
  for (let i = 1; i < xs.length; i++) if (xs[i - 1]!.id > xs[i]!.id) return xs.sort(byId);
  return xs;
}

/** Writes RFC 8785 canonical JSON of a JSON value to `out`, piece by piece. */
export function writeCanonicalJson(value: unknown, out: (s: string) => void): void {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new DrawInputError('canonical JSON: a number that is not finite');
    out(JSON.stringify(value));
    return;
  }
  if (Array.isArray(value)) {
    out('[');
    value.forEach((v, i) => {
      if (i) out(',');
      writeCanonicalJson(v === undefined ? null : v, out);
    });
    out(']');
    return;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  out('{');
  keys.forEach((k, i) => {
    out(i ? `,${JSON.stringify(k)}:` : `${JSON.stringify(k)}:`);
    writeCanonicalJson(obj[k], out);
  });
  out('}');
}

export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  writeCanonicalJson(value, (s) => parts.push(s));
  return parts.join('');
}

/**
 * A deep copy with every object's keys inserted in sorted order, so JSON.stringify writes the
 * canonical form (ECMAScript orders integer-like keys first whatever the insertion, so such keys,
 * which no snapshot has, are refused rather than written out of order).
 */
function keysSorted(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new DrawInputError('canonical JSON: a number that is not finite');
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => keysSorted(v === undefined ? null : v));
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) {
    if (/^(0|[1-9]\d*)$/.test(k)) throw new DrawInputError(`canonical JSON: an integer-like key (${k})`);
    if (obj[k] !== undefined) out[k] = keysSorted(obj[k]);
  }
  return out;
}

/**
 * SHA-256 of the snapshot's canonical JSON (the module comment says what that is), written a
 * subject and an inspector at a time and hashed in slices of about 16 kB, never held whole.
 */
export function snapshotHash(snapshot: RegistrySnapshot): string {
  return hashCanonical(canonicalSnapshot(snapshot));
}

function allStrings(xs: unknown): boolean {
  if (!Array.isArray(xs)) return false;
  for (const x of xs) if (typeof x !== 'string') return false;
  return true;
}

/**
 * A subject's canonical JSON written directly when it has exactly the registry's fields (the usual
 * case, about twice as fast as sorting a copy's keys); anything else by the general route.
 */
function subjectJson(x: SnapshotSubject): string {
  const q = JSON.stringify;
  // Seven own keys, each of them one of the seven fields with its type: exactly the registry's fields.
  if (
    typeof x.county === 'string' &&
    typeof x.creditGrade === 'string' &&
    typeof x.id === 'string' &&
    typeof x.kind === 'string' &&
    allStrings(x.tags) &&
    typeof x.township === 'string' &&
    typeof x.trade === 'string' &&
    Object.keys(x).length === 7
  )
    return `{"county":${q(x.county)},"creditGrade":${q(x.creditGrade)},"id":${q(x.id)},"kind":${q(x.kind)},"tags":${q(x.tags)},"township":${q(x.township)},"trade":${q(x.trade)}}`;
  return q(keysSorted(x));
}

function hashCanonical(c: RegistrySnapshot): string {
  const h = new Sha256();
  let pending: string[] = [];
  let size = 0;
  const out = (s: string) => {
    pending.push(s);
    size += s.length;
    if (size >= 16384) {
      h.updateString(pending.join(''));
      pending = [];
      size = 0;
    }
  };
  const lists: Record<string, unknown[]> = { inspectors: c.inspectors, subjects: c.subjects };
  const top = c as unknown as Record<string, unknown>;
  out('{');
  Object.keys(top)
    .filter((k) => top[k] !== undefined)
    .sort()
    .forEach((k, i) => {
      out(i ? `,${JSON.stringify(k)}:` : `${JSON.stringify(k)}:`);
      const list = lists[k];
      if (!list) return out(JSON.stringify(keysSorted(top[k])));
      out('[');
      const json = k === 'subjects' ? (x: unknown) => subjectJson(x as SnapshotSubject) : (x: unknown) => JSON.stringify(keysSorted(x));
      list.forEach((x, j) => out(j ? `,${json(x)}` : json(x)));
      out(']');
    });
  out('}');
  return h.updateString(pending.join('')).digestHex();
}

// ---------------------------------------------------------------- random numbers

/** xoshiro128** seeded from SHA-256(`${seed}|${label}`). */
export class Stream {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: string, label: string) {
    const d = new Sha256().updateString(`${seed}|${label}`).digest();
    const word = (i: number) => ((d[i]! << 24) | (d[i + 1]! << 16) | (d[i + 2]! << 8) | d[i + 3]!) >>> 0;
    this.s0 = word(0);
    this.s1 = word(4);
    this.s2 = word(8);
    this.s3 = word(12);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A stream with the given state (the reference generator's test vectors start from 1, 2, 3, 4). */
  static fromState(s0: number, s1: number, s2: number, s3: number): Stream {
    const s = Object.create(Stream.prototype) as Stream;
    Object.assign(s, { s0: s0 >>> 0, s1: s1 >>> 0, s2: s2 >>> 0, s3: s3 >>> 0 });
    return s;
  }

  /** The next uint32. */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** An integer in [0, m), m < 2^21. */
  below(m: number): number {
    return Math.floor((this.next() * m) / 4294967296);
  }
}

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));

/** Forward Fisher–Yates over positions 0..n−1, taken lazily (swaps kept sparse: O(picks), not O(n)). */
export class LazyShuffle {
  private j = 0;
  private readonly moved = new Map<number, number>();

  constructor(
    private readonly n: number,
    private readonly rng: Stream,
  ) {
    // below(m) is exact only for m < 2^21 (the module comment); a grade of two million subjects is no county's.
    if (n >= 2 ** 21) throw new DrawInputError('more than 2,097,151 candidates to shuffle');
  }

  /** The next position picked, or undefined when all n are. */
  next(): number | undefined {
    if (this.j >= this.n) return undefined;
    const j = this.j++;
    const r = j + this.rng.below(this.n - j);
    const picked = this.moved.get(r) ?? r;
    this.moved.set(r, this.moved.get(j) ?? j);
    this.moved.delete(j);
    return picked;
  }
}

// ---------------------------------------------------------------- the draw

const gradeOrder: readonly CreditGrade[] = ['A', 'B', 'C', 'D', 'E'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

interface Prepared {
  seed: string;
  departments: string[];
  perDepartment: number;
  /** Per department: its candidates before recusal, sorted by id. */
  base: Map<string, string[]>;
  /** Subject id → inspectors recused from it (conflicts and last time). */
  recused: Map<string, Set<string>>;
}

function checkPlan(plan: DrawPlan): void {
  if (plan.departments.length === 0) throw new DrawInputError('plan.departments: at least the lead department');
  if (new Set(plan.departments).size !== plan.departments.length) throw new DrawInputError('plan.departments: each department once');
  const k = plan.inspectorsPerDepartment ?? 2;
  if (!Number.isInteger(k) || k < 2) throw new DrawInputError('plan.inspectorsPerDepartment: an integer ≥ 2');
  for (const g of gradeOrder) {
    const r = plan.ratios[g];
    if (r === undefined && g === 'E') continue;
    if (typeof r !== 'number' || !(r > 0 && r <= 1)) throw new DrawInputError(`plan.ratios.${g}: a fraction in (0, 1] (不免抽: no grade is exempt)`);
    if (Math.abs(r * 10000 - Math.round(r * 10000)) > 1e-6) throw new DrawInputError(`plan.ratios.${g}: in steps of 0.0001`);
  }
  if (plan.window && !(DATE.test(plan.window.from) && DATE.test(plan.window.to))) throw new DrawInputError('plan.window: dates YYYY-MM-DD');
  for (const r of plan.recentInspections ?? []) if (!DATE.test(r.on)) throw new DrawInputError('plan.recentInspections[].on: a date YYYY-MM-DD');
  if (plan.yearlyCap !== undefined && !(Number.isInteger(plan.yearlyCap) && plan.yearlyCap >= 1)) throw new DrawInputError('plan.yearlyCap: an integer ≥ 1');
}

/** planned(g) = ceil(ratio × n), in integers (rule 4). */
export function plannedCount(ratio: number, n: number): number {
  const bp = Math.round(ratio * 10000);
  return Math.floor((bp * n + 9999) / 10000);
}

const ratioOf = (plan: DrawPlan, g: CreditGrade): number => (g === 'E' ? (plan.ratios.E ?? plan.ratios.D) : plan.ratios[g]);

function prepare(snapshot: RegistrySnapshot, plan: DrawPlan, seed: string): Prepared {
  const departments = plan.departments;
  const base = new Map<string, string[]>(departments.map((d) => [d, []]));
  const recused = new Map<string, Set<string>>();
  const recuse = (subjectId: string, inspectorId: string) => {
    let set = recused.get(subjectId);
    if (!set) recused.set(subjectId, (set = new Set()));
    set.add(inspectorId);
  };
  for (const i of [...snapshot.inspectors].sort(byId)) {
    const list = base.get(i.department);
    const required = plan.qualifications?.[i.department] ?? [];
    if (list && i.active && i.certificateNo.trim() !== '' && required.every((q) => i.qualifications.includes(q))) list.push(i.id);
    for (const s of i.conflicts) recuse(s, i.id);
  }
  // Last time: every inspector of the subject's inspections on its latest date.
  const latest = new Map<string, string>();
  for (const r of plan.recentInspections ?? []) if ((latest.get(r.subjectId) ?? '') < r.on) latest.set(r.subjectId, r.on);
  for (const r of plan.recentInspections ?? []) if (latest.get(r.subjectId) === r.on) for (const id of r.inspectorIds) recuse(r.subjectId, id);
  return { seed, departments, perDepartment: plan.inspectorsPerDepartment ?? 2, base, recused };
}

/** Picks `k` of `candidates` (sorted by id) with the stream; the picks sorted by id. */
function pick(candidates: string[], k: number, rng: Stream): string[] {
  // LazyShuffle's forward Fisher–Yates with its few swaps kept in two small arrays (k is 2 or 3:
  // a Map per department per subject was most of the draw's time): position i holds to[x] when
  // from[x] = i, else candidate i.
  const n = candidates.length;
  const from: number[] = [];
  const to: number[] = [];
  const out: string[] = [];
  for (let j = 0; j < k; j++) {
    const r = j + rng.below(n - j);
    const xr = from.indexOf(r);
    const xj = from.indexOf(j);
    const picked = xr < 0 ? r : to[xr]!;
    const moved = xj < 0 ? j : to[xj]!;
    if (xr < 0) {
      from.push(r);
      to.push(moved);
    } else to[xr] = moved;
    out.push(candidates[picked]!);
  }
  return out.sort();
}

/** The subject's teams (rule 6), or the skip reason. */
function teams(p: Prepared, subjectId: string): Record<string, string[]> | string {
  const rng = new Stream(p.seed, `inspectors|${subjectId}`);
  const out: Record<string, string[]> = {};
  const recused = p.recused.get(subjectId);
  for (const d of p.departments) {
    const all = p.base.get(d)!;
    const candidates = recused ? all.filter((id) => !recused.has(id)) : all;
    if (candidates.length < p.perDepartment) return `insufficient-inspectors:${d}`;
    out[d] = pick(candidates, p.perDepartment, rng);
  }
  return out;
}

const bySubject = (a: { subjectId: string }, b: { subjectId: string }) => (a.subjectId < b.subjectId ? -1 : a.subjectId > b.subjectId ? 1 : 0);

export function draw(snapshot: RegistrySnapshot, plan: DrawPlan, seed: string): DrawResult {
  checkPlan(plan);
  const p = prepare(snapshot, plan, seed);
  // One canonical copy serves both the hash and the draw (sorting 10^5 ids twice is a tenth of a second).
  const canonical = canonicalSnapshot(snapshot);
  const subjects = canonical.subjects;
  for (let i = 1; i < subjects.length; i++) if (subjects[i]!.id === subjects[i - 1]!.id) throw new DrawInputError(`snapshot: subject ${subjects[i]!.id} twice`);
  const inspectors = canonical.inspectors;
  for (let i = 1; i < inspectors.length; i++)
    if (inspectors[i]!.id === inspectors[i - 1]!.id) throw new DrawInputError(`snapshot: inspector ${inspectors[i]!.id} twice`);

  // Rule 2: the reasons a subject is left out, in order.
  const items = new Set(plan.items);
  const recentItem = new Map<string, string>();
  if (plan.window) {
    const { from, to } = plan.window;
    for (const r of plan.recentInspections ?? []) {
      if (!items.has(r.itemId) || r.on < from || r.on > to) continue;
      const had = recentItem.get(r.subjectId);
      if (had === undefined || r.itemId < had) recentItem.set(r.subjectId, r.itemId);
    }
  }
  const counts = plan.inspectedThisYear ?? {};
  const cap = plan.yearlyCap;
  const leftOut = (id: string): string[] => {
    const reasons: string[] = [];
    const item = recentItem.get(id);
    if (item !== undefined) reasons.push(`recently-inspected:${item}`);
    if (cap !== undefined && Object.hasOwn(counts, id) && counts[id]! >= cap) reasons.push('yearly-cap');
    return reasons;
  };

  const drawn: DrawnSubject[] = [];
  const skipped: SkippedSubject[] = [];

  // Rule 3: required subjects first.
  const causes = new Map<string, Set<string>>();
  for (const m of plan.mustInclude ?? []) {
    let set = causes.get(m.subjectId);
    if (!set) causes.set(m.subjectId, (set = new Set()));
    set.add(m.cause);
  }
  const index = new Map<string, SnapshotSubject>();
  if (causes.size) for (const s of subjects) if (causes.has(s.id)) index.set(s.id, s);
  for (const id of [...causes.keys()].sort()) {
    const s = index.get(id);
    if (!s) {
      skipped.push({ subjectId: id, reason: 'not-in-registry' });
      continue;
    }
    const team = teams(p, id);
    if (typeof team === 'string') skipped.push({ subjectId: id, reason: team });
    else drawn.push({ subjectId: id, creditGrade: s.creditGrade, inspectors: team, required: { causes: sorted([...causes.get(id)!]), despite: leftOut(id) } });
  }

  // Rules 1, 2, 4, 5: per grade.
  const t = plan.target ?? {};
  const has = (xs: string[] | undefined) => (xs && xs.length ? new Set(xs) : undefined);
  const kinds = has(t.kinds);
  const trades = has(t.trades);
  const tags = has(t.tags);
  const pools = new Map<CreditGrade, SnapshotSubject[]>(gradeOrder.map((g) => [g, []]));
  for (const s of subjects) {
    if (causes.has(s.id)) continue;
    if ((kinds && !kinds.has(s.kind)) || (trades && !trades.has(s.trade)) || (tags && !s.tags.some((x) => tags.has(x)))) continue;
    // The first reason only (the common case has none: no list made for it).
    const item = recentItem.size ? recentItem.get(s.id) : undefined;
    const why =
      item !== undefined ? `recently-inspected:${item}` : cap !== undefined && Object.hasOwn(counts, s.id) && counts[s.id]! >= cap ? 'yearly-cap' : undefined;
    if (why !== undefined) skipped.push({ subjectId: s.id, reason: why });
    else pools.get(s.creditGrade)?.push(s);
  }
  const grades: Partial<Record<CreditGrade, GradeCount>> = {};
  for (const g of gradeOrder) {
    const pool = pools.get(g)!;
    if (g === 'E' && pool.length === 0) continue;
    const count: GradeCount = { eligible: pool.length, planned: plannedCount(ratioOf(plan, g), pool.length), drawn: 0 };
    const order = new LazyShuffle(pool.length, new Stream(seed, `subjects|${g}`));
    while (count.drawn < count.planned) {
      const i = order.next();
      if (i === undefined) break;
      const s = pool[i]!;
      const team = teams(p, s.id);
      if (typeof team === 'string') skipped.push({ subjectId: s.id, reason: team });
      else {
        drawn.push({ subjectId: s.id, creditGrade: g, inspectors: team });
        count.drawn++;
      }
    }
    grades[g] = count;
  }

  return { seed, snapshotHash: hashCanonical(canonical), subjects: drawn.sort(bySubject), skipped: skipped.sort(bySubject), grades, recusals: [] };
}

// ---------------------------------------------------------------- recusal (行政处罚法 art. 43)

export interface RecusalApplication {
  subjectId: string;
  department: string;
  /** The team members the subject asks to be replaced. */
  inspectorIds: string[];
}

export type RedrawOutcome = { ok: true; result: DrawResult; entry: RecusalEntry } | { ok: false; reason: string };

/**
 * Replaces the named inspectors of one subject's department team (rule 6 candidates, minus the team
 * and everyone recused from that subject's department before), logged with the next counter.
 * Refusals: `not-drawn`, `not-in-team` (a named inspector is not on the team), or
 * `insufficient-inspectors:<department>` (the team cannot be completed: the caller escalates).
 */
export function redraw(snapshot: RegistrySnapshot, plan: DrawPlan, result: DrawResult, application: RecusalApplication): RedrawOutcome {
  checkPlan(plan);
  const { subjectId, department } = application;
  const at = result.subjects.findIndex((s) => s.subjectId === subjectId);
  const team = at < 0 ? undefined : result.subjects[at]!.inspectors[department];
  if (!team) return { ok: false, reason: 'not-drawn' };
  const removed = sorted([...new Set(application.inspectorIds)]);
  if (removed.length === 0 || removed.some((id) => !team.includes(id))) return { ok: false, reason: 'not-in-team' };

  const p = prepare(snapshot, plan, result.seed);
  const counter = result.recusals.length + 1;
  const out = new Set([...team, ...(p.recused.get(subjectId) ?? [])]);
  for (const r of result.recusals) if (r.subjectId === subjectId && r.department === department) r.removed.forEach((id) => out.add(id));
  const candidates = (p.base.get(department) ?? []).filter((id) => !out.has(id));
  if (candidates.length < removed.length) return { ok: false, reason: `insufficient-inspectors:${department}` };
  const added = pick(candidates, removed.length, new Stream(result.seed, `recusal|${subjectId}|${department}|${counter}`));

  const entry: RecusalEntry = { counter, subjectId, department, removed, added };
  const subjects = result.subjects.slice();
  const s = subjects[at]!;
  subjects[at] = { ...s, inspectors: { ...s.inspectors, [department]: sorted([...team.filter((id) => !removed.includes(id)), ...added]) } };
  return { ok: true, entry, result: { ...result, subjects, recusals: [...result.recusals, entry] } };
}

// ---------------------------------------------------------------- verification

export interface DrawDifference {
  /** Where: `seed`, `snapshotHash`, `grades`, `subjects[<id>]`, `skipped[<id>]`, `recusals[<n>]`, or `input`. */
  path: string;
  recorded: unknown;
  recomputed: unknown;
}

export type Verification = { reproduced: true } | { reproduced: false; differences: DrawDifference[] };

const MAX_DIFFERENCES = 100;

/**
 * Recomputes the draw from the recorded snapshot, plan and seed, replays the recusal log, and
 * compares. With `seedFrom`, also checks the seed is the one fixed from the round id and the
 * published value.
 */
export function verifyDraw(
  snapshot: RegistrySnapshot,
  plan: DrawPlan,
  recorded: DrawResult,
  seedFrom?: { roundId: string; publishedValue: string },
): Verification {
  const differences: DrawDifference[] = [];
  const differ = (path: string, a: unknown, b: unknown) => {
    if (differences.length < MAX_DIFFERENCES && canonicalJson(a ?? null) !== canonicalJson(b ?? null)) differences.push({ path, recorded: a, recomputed: b });
  };
  if (seedFrom) differ('seed', recorded.seed, drawSeed(seedFrom.roundId, seedFrom.publishedValue));
  let again: DrawResult;
  try {
    again = draw(snapshot, plan, recorded.seed);
    for (const r of recorded.recusals) {
      const o = redraw(snapshot, plan, again, { subjectId: r.subjectId, department: r.department, inspectorIds: r.removed });
      if (!o.ok) {
        differ(`recusals[${r.counter}]`, r, o.reason);
        break;
      }
      again = o.result;
    }
  } catch (e) {
    return { reproduced: false, differences: [{ path: 'input', recorded: null, recomputed: e instanceof DrawInputError ? e.message : 'the draw failed' }] };
  }
  differ('snapshotHash', recorded.snapshotHash, again.snapshotHash);
  differ('grades', recorded.grades, again.grades);
  keyed('subjects', recorded.subjects, again.subjects, differ);
  keyed('skipped', recorded.skipped, again.skipped, differ);
  const n = Math.max(recorded.recusals.length, again.recusals.length);
  for (let i = 0; i < n; i++) differ(`recusals[${i + 1}]`, recorded.recusals[i], again.recusals[i]);
  return differences.length ? { reproduced: false, differences } : { reproduced: true };
}

/** Compares two lists by subject id (a subject skipped twice is compared as a list). */
function keyed<T extends { subjectId: string }>(name: string, a: T[], b: T[], differ: (path: string, x: unknown, y: unknown) => void): void {
  const group = (xs: T[]) => {
    const m = new Map<string, T[]>();
    for (const x of xs) m.set(x.subjectId, [...(m.get(x.subjectId) ?? []), x]);
    return m;
  };
  const ga = group(a);
  const gb = group(b);
  for (const id of sorted([...new Set([...ga.keys(), ...gb.keys()])])) {
    const x = ga.get(id);
    const y = gb.get(id);
    differ(`${name}[${id}]`, x && (x.length === 1 ? x[0] : x), y && (y.length === 1 ? y[0] : y));
  }
}
