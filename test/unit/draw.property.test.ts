/**
 * Properties of the draw (domain/draw.ts, issue 14 §3), checked with fast-check over small
 * registries: ratios per grade (exactly the ceiling), no subject twice, the teams (≥ 2 per department,
 * of that department, certified, never recused), skip reasons against a reference written here from
 * the rules' words, determinism, seed sensitivity, verification and re-draws after recusal.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  draw,
  redraw,
  snapshotHash,
  verifyDraw,
  type DrawPlan,
  type DrawResult,
  type RegistrySnapshot,
  type SnapshotInspector,
  type SnapshotSubject,
} from '../../domain/draw.js';
import type { CreditGrade } from '../../domain/registry.js';

const GRADES: CreditGrade[] = ['A', 'B', 'C', 'D', 'E'];
const DEPARTMENTS = ['market', 'commerce', 'emergency'];
const ITEMS = ['SC-001', 'SC-002', 'SC-003'];
const TAGS = ['规上企业', '重点区域', '学校周边'];
const TRADES = ['catering', 'refined-oil', 'retail'];
const KINDS = ['enterprise', 'individual'];
const QUALIFICATIONS = ['危化品', '特种设备'];

const subjectId = (n: number) => `s-${n.toString(16).padStart(32, '0')}`;
const subsetOf = <T>(xs: T[]) => fc.subarray(xs);

const subjectArb = (n: number): fc.Arbitrary<SnapshotSubject> =>
  fc.record({
    id: fc.constant(subjectId(n)),
    kind: fc.constantFrom(...KINDS),
    county: fc.constant('610124'),
    township: fc.constant('610124100'),
    trade: fc.constantFrom(...TRADES),
    tags: subsetOf(TAGS),
    creditGrade: fc.constantFrom(...GRADES),
  });

const inspectorArb = (n: number, subjectIds: string[]): fc.Arbitrary<SnapshotInspector> =>
  fc.record({
    id: fc.constant(`i-${String(n).padStart(3, '0')}`),
    department: fc.constantFrom(...DEPARTMENTS),
    certificateNo: fc.oneof({ weight: 9, arbitrary: fc.constant(`ZF-${n}`) }, { weight: 1, arbitrary: fc.constantFrom('', '   ') }),
    qualifications: subsetOf(QUALIFICATIONS),
    specialties: fc.constant([]),
    active: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    conflicts: subjectIds.length ? fc.subarray(subjectIds, { maxLength: Math.min(4, subjectIds.length) }) : fc.constant([]),
  });

const dateArb = fc.integer({ min: 0, max: 364 }).map((d) => new Date(Date.UTC(2026, 0, 1) + d * 86_400_000).toISOString().slice(0, 10));
const ratioArb = fc.integer({ min: 1, max: 10_000 }).map((bp) => bp / 10_000);

interface Case {
  snapshot: RegistrySnapshot;
  plan: DrawPlan;
  seed: string;
}

/** A registry of up to 80 subjects and `inspectors` inspectors, and a plan over it. */
const caseArb = (o: { inspectors?: [number, number]; subjects?: [number, number]; plainPlan?: boolean } = {}): fc.Arbitrary<Case> =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: o.subjects?.[0] ?? 0, maxLength: o.subjects?.[1] ?? 80 })
    .chain((ns) =>
      fc.tuple(
        ns.length ? fc.tuple(...ns.map(subjectArb)) : fc.constant([] as SnapshotSubject[]),
        fc.integer({ min: o.inspectors?.[0] ?? 0, max: o.inspectors?.[1] ?? 30 }),
      ),
    )
    .chain(([subjects, m]) => {
      const ids = subjects.map((s) => s.id);
      const inspectors = m ? fc.tuple(...Array.from({ length: m }, (_, n) => inspectorArb(n, ids))) : fc.constant([] as SnapshotInspector[]);
      return fc.tuple(fc.constant(subjects), inspectors);
    })
    .chain(([subjects, inspectors]) => {
      const ids = subjects.map((s) => s.id);
      const inspectorIds = inspectors.map((i) => i.id);
      const idArb = ids.length ? fc.constantFrom(...ids) : fc.constant(subjectId(99_999));
      const plain = o.plainPlan ?? false;
      const plan: fc.Arbitrary<DrawPlan> = fc.record({
        items: fc.subarray(ITEMS, { minLength: 1 }),
        departments: fc.shuffledSubarray(DEPARTMENTS, { minLength: 1 }),
        ratios: fc.record({ A: ratioArb, B: ratioArb, C: ratioArb, D: ratioArb, E: fc.option(ratioArb, { nil: undefined }) }),
        target: plain
          ? fc.constant(undefined)
          : fc.option(
              fc.record({
                tags: fc.option(subsetOf(TAGS), { nil: undefined }),
                trades: fc.option(subsetOf(TRADES), { nil: undefined }),
                kinds: fc.option(subsetOf(KINDS), { nil: undefined }),
              }),
              { nil: undefined },
            ),
        qualifications: plain
          ? fc.constant(undefined)
          : fc.option(fc.dictionary(fc.constantFrom(...DEPARTMENTS), fc.subarray(QUALIFICATIONS, { maxLength: 1 })), { nil: undefined }),
        inspectorsPerDepartment: fc.option(fc.integer({ min: 2, max: 3 }), { nil: undefined }),
        recentInspections: plain
          ? fc.constant([])
          : fc.array(
              fc.record({
                subjectId: idArb,
                itemId: fc.constantFrom(...ITEMS),
                on: dateArb,
                inspectorIds: inspectorIds.length ? fc.subarray(inspectorIds, { maxLength: Math.min(3, inspectorIds.length) }) : fc.constant([]),
              }),
              { maxLength: 20 },
            ),
        window: fc.option(
          fc.tuple(dateArb, dateArb).map(([a, b]) => (a <= b ? { from: a, to: b } : { from: b, to: a })),
          { nil: undefined },
        ),
        yearlyCap: plain ? fc.constant(undefined) : fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        inspectedThisYear: plain ? fc.constant(undefined) : fc.dictionary(idArb, fc.integer({ min: 0, max: 4 }), { maxKeys: 20 }),
        mustInclude: plain
          ? fc.constant(undefined)
          : fc.array(fc.record({ subjectId: fc.oneof(idArb, fc.constant(subjectId(77_777))), cause: fc.constantFrom('clue:CL-1', 'risk-warning:RW-2') }), {
              maxLength: 4,
            }),
      });
      return fc.record({ snapshot: fc.constant({ county: '610124', subjects, inspectors }), plan, seed: fc.stringMatching(/^[0-9a-f]{64}$/) });
    });

// ---------------------------------------------------------------- a reference, from the rules' words

function reference({ snapshot, plan }: Case) {
  const k = plan.inspectorsPerDepartment ?? 2;
  const required = new Set((plan.mustInclude ?? []).map((m) => m.subjectId));
  const last = (id: string) => {
    const mine = (plan.recentInspections ?? []).filter((r) => r.subjectId === id);
    const latest = mine
      .map((r) => r.on)
      .sort()
      .at(-1);
    return new Set(mine.filter((r) => r.on === latest).flatMap((r) => r.inspectorIds));
  };
  const candidates = (id: string, d: string) => {
    const recused = last(id);
    return snapshot.inspectors.filter(
      (i) =>
        i.department === d &&
        i.active &&
        i.certificateNo.trim() !== '' &&
        (plan.qualifications?.[d] ?? []).every((q) => i.qualifications.includes(q)) &&
        !i.conflicts.includes(id) &&
        !recused.has(i.id),
    );
  };
  const insufficient = (id: string) => plan.departments.find((d) => candidates(id, d).length < k);
  const leftOut = (id: string): string[] => {
    const out: string[] = [];
    const w = plan.window;
    const items = (plan.recentInspections ?? [])
      .filter((r) => w && r.subjectId === id && plan.items.includes(r.itemId) && w.from <= r.on && r.on <= w.to)
      .map((r) => r.itemId)
      .sort();
    if (items.length) out.push(`recently-inspected:${items[0]}`);
    if (plan.yearlyCap !== undefined && (plan.inspectedThisYear?.[id] ?? 0) >= plan.yearlyCap) out.push('yearly-cap');
    return out;
  };
  const t = plan.target ?? {};
  const inTarget = (s: SnapshotSubject) =>
    (!t.kinds?.length || t.kinds.includes(s.kind)) &&
    (!t.trades?.length || t.trades.includes(s.trade)) &&
    (!t.tags?.length || s.tags.some((x) => t.tags!.includes(x)));
  const eligible = (g: CreditGrade) => snapshot.subjects.filter((s) => s.creditGrade === g && inTarget(s) && !required.has(s.id) && leftOut(s.id).length === 0);
  const ratio = (g: CreditGrade) => (g === 'E' ? (plan.ratios.E ?? plan.ratios.D) : plan.ratios[g]);
  const planned = (g: CreditGrade) => Math.ceil((Math.round(ratio(g) * 10_000) * eligible(g).length) / 10_000);
  return { k, required, last, candidates, insufficient, leftOut, inTarget, eligible, planned };
}

const teamsOf = (r: DrawResult) => r.subjects.map((s) => ({ subjectId: s.subjectId, inspectors: s.inspectors }));

describe('the draw', () => {
  test('per grade it draws exactly ceil(ratio × eligible), less only the subjects no team can be formed for', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const ref = reference(c);
        const r = draw(c.snapshot, c.plan, c.seed);
        for (const g of GRADES) {
          const eligible = ref.eligible(g);
          const ids = new Set(eligible.map((s) => s.id));
          const drawn = r.subjects.filter((s) => ids.has(s.subjectId)).length;
          const short = r.skipped.filter((s) => ids.has(s.subjectId) && s.reason.startsWith('insufficient-inspectors:')).length;
          expect(drawn).toBe(Math.min(ref.planned(g), eligible.length - short));
          if (eligible.length || g !== 'E') expect(r.grades[g]).toEqual({ eligible: eligible.length, planned: ref.planned(g), drawn });
          // 不免抽: a grade with an eligible subject and a team for it is never left undrawn.
          if (eligible.some((s) => ref.insufficient(s.id) === undefined)) expect(drawn).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 150 },
    );
  });

  test('with inspectors to spare, every grade draws exactly the ceiling', () => {
    fc.assert(
      fc.property(caseArb({ inspectors: [40, 40], plainPlan: true }), (c) => {
        c.snapshot.inspectors.forEach((i, n) => Object.assign(i, { department: DEPARTMENTS[n % 3], active: true, certificateNo: `ZF-${n}`, conflicts: [] }));
        const ref = reference(c);
        const r = draw(c.snapshot, c.plan, c.seed);
        expect(r.skipped.filter((s) => s.reason.startsWith('insufficient')).length).toBe(0);
        for (const g of GRADES) expect(r.subjects.filter((s) => s.creditGrade === g).length).toBe(ref.planned(g));
      }),
      { numRuns: 200 },
    );
  });

  test('no subject is drawn twice, or both drawn and skipped', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const r = draw(c.snapshot, c.plan, c.seed);
        const drawn = r.subjects.map((s) => s.subjectId);
        const skipped = r.skipped.map((s) => s.subjectId);
        expect(new Set(drawn).size).toBe(drawn.length);
        expect(new Set(skipped).size).toBe(skipped.length);
        expect(drawn.filter((id) => skipped.includes(id))).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  test('each department sends its own k ≥ 2 distinct, active, certified, qualified inspectors, never a recused one', () => {
    fc.assert(
      fc.property(caseArb({ inspectors: [10, 40] }), (c) => {
        const ref = reference(c);
        const byId = new Map(c.snapshot.inspectors.map((i) => [i.id, i]));
        const r = draw(c.snapshot, c.plan, c.seed);
        for (const s of r.subjects) {
          expect(Object.keys(s.inspectors).sort()).toEqual([...c.plan.departments].sort());
          for (const d of c.plan.departments) {
            const team = s.inspectors[d]!;
            expect(team.length).toBe(ref.k);
            expect(ref.k).toBeGreaterThanOrEqual(2);
            expect(new Set(team).size).toBe(team.length);
            const allowed = new Set(ref.candidates(s.subjectId, d).map((i) => i.id));
            for (const id of team) {
              expect(allowed.has(id)).toBe(true);
              expect(byId.get(id)!.conflicts).not.toContain(s.subjectId);
              expect(ref.last(s.subjectId).has(id)).toBe(false);
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  test('skip reasons are the rules’ reasons, and every subject left out is listed', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const ref = reference(c);
        const inSnapshot = new Set(c.snapshot.subjects.map((s) => s.id));
        const r = draw(c.snapshot, c.plan, c.seed);
        const reasons = new Map(r.skipped.map((s) => [s.subjectId, s.reason]));
        for (const { subjectId, reason } of r.skipped) {
          if (reason === 'not-in-registry') expect(ref.required.has(subjectId) && !inSnapshot.has(subjectId)).toBe(true);
          else if (reason.startsWith('insufficient-inspectors:')) expect(reason).toBe(`insufficient-inspectors:${ref.insufficient(subjectId)}`);
          else {
            expect(ref.required.has(subjectId)).toBe(false);
            expect(reason).toBe(ref.leftOut(subjectId)[0]);
          }
        }
        for (const s of c.snapshot.subjects) {
          if (ref.required.has(s.id)) {
            // Required: drawn despite being left out, unless no team can be formed.
            const why = ref.insufficient(s.id);
            if (why) expect(reasons.get(s.id)).toBe(`insufficient-inspectors:${why}`);
            else {
              const drawn = r.subjects.find((x) => x.subjectId === s.id)!;
              expect(drawn.required!.despite).toEqual(ref.leftOut(s.id));
              expect(drawn.required!.causes).toEqual([...new Set(c.plan.mustInclude!.filter((m) => m.subjectId === s.id).map((m) => m.cause))].sort());
            }
          } else if (ref.inTarget(s) && ref.leftOut(s.id).length) expect(reasons.get(s.id)).toBe(ref.leftOut(s.id)[0]);
          else if (!ref.inTarget(s)) expect(reasons.has(s.id) || r.subjects.some((x) => x.subjectId === s.id)).toBe(false);
        }
        for (const m of c.plan.mustInclude ?? []) if (!inSnapshot.has(m.subjectId)) expect(reasons.get(m.subjectId)).toBe('not-in-registry');
      }),
      { numRuns: 150 },
    );
  });

  test('the same inputs give the same result, in whatever order the registry lists them', () => {
    fc.assert(
      fc.property(caseArb(), fc.integer(), (c, k) => {
        const rotate = <T>(xs: T[]) => (xs.length ? [...xs.slice(k % xs.length), ...xs.slice(0, k % xs.length)].reverse() : xs);
        const again: RegistrySnapshot = {
          county: c.snapshot.county,
          subjects: rotate(c.snapshot.subjects).map((s) => ({ ...s, tags: [...s.tags].reverse() })),
          inspectors: rotate(c.snapshot.inspectors).map((i) => ({ ...i, conflicts: [...i.conflicts].reverse() })),
        };
        const a = draw(c.snapshot, c.plan, c.seed);
        expect(draw(c.snapshot, c.plan, c.seed)).toEqual(a);
        expect(draw(again, c.plan, c.seed)).toEqual(a);
        expect(snapshotHash(again)).toBe(a.snapshotHash);
      }),
      { numRuns: 200 },
    );
  });

  // The condition: grade C has 60 eligible subjects at ratio 0.5, so a draw picks one of
  // C(60, 30) ≈ 1.18 × 10^17 subsets; two seeds give the same subset with probability about
  // 10^-17 each (the generator's streams being uniform), and the same teams for the 30 subjects
  // with far less. A collision in these runs would be a bug, not luck.
  test('a different seed gives a different draw when the choice is not forced (C(60, 30) subsets)', () => {
    const subjects = Array.from({ length: 60 }, (_, n): SnapshotSubject => ({
      id: subjectId(n),
      kind: 'enterprise',
      county: '610124',
      township: '610124100',
      trade: 'catering',
      tags: [],
      creditGrade: 'C',
    }));
    const inspectors = Array.from({ length: 12 }, (_, n): SnapshotInspector => ({
      id: `i-${n}`,
      department: n % 2 ? 'market' : 'commerce',
      certificateNo: `ZF-${n}`,
      qualifications: [],
      specialties: [],
      active: true,
      conflicts: [],
    }));
    const snapshot = { county: '610124', subjects, inspectors };
    const plan: DrawPlan = { items: ['SC-001'], departments: ['market', 'commerce'], ratios: { A: 0.05, B: 0.2, C: 0.5, D: 1 } };
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{64}$/), fc.stringMatching(/^[0-9a-f]{64}$/), (s1, s2) => {
        fc.pre(s1 !== s2);
        const a = draw(snapshot, plan, s1);
        const b = draw(snapshot, plan, s2);
        expect(a.subjects.length).toBe(30);
        expect(a.subjects.map((s) => s.subjectId)).not.toEqual(b.subjects.map((s) => s.subjectId));
        expect(teamsOf(a)).not.toEqual(teamsOf(b));
      }),
      { numRuns: 200 },
    );
  });

  test('verify reproduces a recorded draw and names what a tampered one changed', () => {
    fc.assert(
      fc.property(
        caseArb({ inspectors: [10, 40] }),
        fc.nat(),
        fc.constantFrom('swap-inspector', 'drop-subject', 'reseed', 'regrade', 'unskip'),
        (c, n, how) => {
          const recorded = draw(c.snapshot, c.plan, c.seed);
          expect(verifyDraw(c.snapshot, c.plan, recorded)).toEqual({ reproduced: true });
          const t: DrawResult = structuredClone(recorded);
          let path: string;
          if (how === 'swap-inspector' && t.subjects.length) {
            const s = t.subjects[n % t.subjects.length]!;
            const d = c.plan.departments[0]!;
            s.inspectors[d] = [...s.inspectors[d]!.slice(1), 'i-intruder'];
            path = `subjects[${s.subjectId}]`;
          } else if (how === 'drop-subject' && t.subjects.length) {
            path = `subjects[${t.subjects.splice(n % t.subjects.length, 1)[0]!.subjectId}]`;
          } else if (how === 'unskip' && t.skipped.length) {
            path = `skipped[${t.skipped.splice(n % t.skipped.length, 1)[0]!.subjectId}]`;
          } else if (how === 'regrade' && t.subjects.length) {
            const s = t.subjects[n % t.subjects.length]!;
            s.creditGrade = s.creditGrade === 'A' ? 'B' : 'A';
            path = `subjects[${s.subjectId}]`;
          } else {
            t.snapshotHash = '0'.repeat(64);
            path = 'snapshotHash';
          }
          const v = verifyDraw(c.snapshot, c.plan, t);
          expect(v.reproduced).toBe(false);
          if (!v.reproduced) expect(v.differences.map((d) => d.path)).toContain(path);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('a re-draw after recusal replaces only the named inspectors, with none recused, and verifies', () => {
    fc.assert(
      fc.property(caseArb({ inspectors: [20, 40] }), fc.nat(), fc.nat(), (c, n, m) => {
        const first = draw(c.snapshot, c.plan, c.seed);
        fc.pre(first.subjects.length > 0);
        const ref = reference(c);
        let result = first;
        const recused = new Map<string, Set<string>>();
        for (let round = 0; round < 3; round++) {
          const s = result.subjects[(n + round) % result.subjects.length]!;
          const d = c.plan.departments[(m + round) % c.plan.departments.length]!;
          const team = s.inspectors[d]!;
          const named = [team[(n + m) % team.length]!];
          const o = redraw(c.snapshot, c.plan, result, { subjectId: s.subjectId, department: d, inspectorIds: named });
          const key = `${s.subjectId}|${d}`;
          const out = new Set([...(recused.get(key) ?? []), ...named]);
          recused.set(key, out);
          if (!o.ok) {
            const left = ref.candidates(s.subjectId, d).filter((i) => !team.includes(i.id) && !out.has(i.id));
            expect(o.reason).toBe(`insufficient-inspectors:${d}`);
            expect(left.length).toBeLessThan(named.length);
            break;
          }
          const after = o.result.subjects.find((x) => x.subjectId === s.subjectId)!.inspectors[d]!;
          expect(o.entry).toMatchObject({ counter: round + 1, subjectId: s.subjectId, department: d, removed: named });
          expect(after.length).toBe(team.length);
          expect(after.filter((id) => !team.includes(id))).toEqual(o.entry.added);
          const allowed = new Set(ref.candidates(s.subjectId, d).map((i) => i.id));
          for (const id of o.entry.added) {
            expect(allowed.has(id)).toBe(true);
            expect(out.has(id)).toBe(false);
          }
          // Nothing else changed.
          expect(o.result.subjects.filter((x) => x.subjectId !== s.subjectId)).toEqual(result.subjects.filter((x) => x.subjectId !== s.subjectId));
          result = o.result;
        }
        expect(verifyDraw(c.snapshot, c.plan, result)).toEqual({ reproduced: true });
        if (result.recusals.length) {
          const t: DrawResult = structuredClone(result);
          t.recusals[0]!.added = ['i-intruder'];
          expect(verifyDraw(c.snapshot, c.plan, t).reproduced).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });
});
