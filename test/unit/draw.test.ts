/**
 * Examples of the draw (domain/draw.ts): SHA-256 against FIPS 180-4's test vectors, xoshiro128**
 * against its reference generator, and one small round pinned exactly — which subjects, which
 * inspectors — so any change to the algorithm (which would make recorded draws irreproducible)
 * fails here first.
 */
import { describe, expect, test } from 'vitest';
import {
  canonicalJson,
  draw,
  DrawInputError,
  drawSeed,
  plannedCount,
  redraw,
  snapshotHash,
  Stream,
  verifyDraw,
  type DrawPlan,
  type RegistrySnapshot,
} from '../../domain/draw.js';
import fc from 'fast-check';
import { sha256Hex, utf8Fallback } from '../../domain/sha256.js';

describe('SHA-256 (FIPS 180-4 test vectors)', () => {
  test.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
    ['a'.repeat(1_000_000), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
  ])('%#: %s…', (input, hex) => {
    expect(sha256Hex(input)).toBe(hex);
  });

  test('strings are hashed as UTF-8 (a four-byte character included)', () => {
    // Bytes e7bbbc e59088 f09f9880: the same digest as hashing them directly.
    const bytes = new Uint8Array([0xe7, 0xbb, 0xbc, 0xe5, 0x90, 0x88, 0xf0, 0x9f, 0x98, 0x80]);
    expect(sha256Hex('综合😀')).toBe(sha256Hex(bytes));
    expect(sha256Hex('综合😀')).not.toBe(sha256Hex('综合'));
  });
});

describe('UTF-8 without a platform encoder (the fallback where TextEncoder is missing)', () => {
  test('gives TextEncoder’s bytes, lone surrogates included', () => {
    const units = fc.array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0xd800, 0xdbff, 0xdc00, 0xdfff, 0x7f, 0x80, 0x7ff, 0x800)), {
      maxLength: 40,
    });
    fc.assert(
      fc.property(units, (us) => {
        const s = String.fromCharCode(...us);
        expect([...utf8Fallback(s)]).toEqual([...new TextEncoder().encode(s)]);
      }),
      { numRuns: 500 },
    );
    expect([...utf8Fallback('综😀')]).toEqual([0xe7, 0xbb, 0xbc, 0xf0, 0x9f, 0x98, 0x80]);
  });
});

describe('xoshiro128**', () => {
  test('from state 1, 2, 3, 4 it gives the reference generator’s first outputs', () => {
    const s = Stream.fromState(1, 2, 3, 4);
    expect([s.next(), s.next(), s.next(), s.next()]).toEqual([11520, 0, 5927040, 70819200]);
  });
});

describe('canonical JSON and the seed', () => {
  test('keys sorted, absent fields left out, strings as JSON.stringify writes them', () => {
    expect(canonicalJson({ b: [2, { d: 1, c: undefined, a: '综' }], a: null })).toBe('{"a":null,"b":[2,{"a":"综","d":1}]}');
  });

  test('the seed is SHA-256 of `${roundId}|${publishedValue}`', () => {
    expect(drawSeed('round-2026-q2', 'x')).toBe(sha256Hex('round-2026-q2|x'));
  });
});

describe('the count per grade is the exact ceiling', () => {
  test('0.07 × 100 is 7 (floating point says 7.000000000000001)', () => {
    expect(0.07 * 100).toBeGreaterThan(7);
    expect(plannedCount(0.07, 100)).toBe(7);
    expect(plannedCount(0.05, 2)).toBe(1);
    expect(plannedCount(0.5, 3)).toBe(2);
    expect(plannedCount(1, 0)).toBe(0);
  });
});

const sid = (n: number) => `s-${n.toString(16).padStart(32, '0')}`;
const grades = ['A', 'A', 'B', 'B', 'B', 'C', 'C', 'C', 'C', 'D', 'D', 'D'] as const;
const snapshot: RegistrySnapshot = {
  county: '610124',
  subjects: grades.map((g, n) => ({
    id: sid(n + 1),
    kind: 'enterprise',
    county: '610124',
    township: '610124100',
    trade: n % 4 === 3 ? 'retail' : 'refined-oil',
    tags: n % 2 ? ['重点区域'] : [],
    creditGrade: g,
  })),
  inspectors: [
    ...['m1', 'm2', 'm3', 'm4'].map((id) => ({
      id: `market-${id}`,
      department: 'market',
      certificateNo: `ZF-${id}`,
      qualifications: [],
      specialties: [],
      active: true,
      conflicts: id === 'm1' ? [sid(6)] : [],
    })),
    ...['c1', 'c2', 'c3'].map((id) => ({
      id: `commerce-${id}`,
      department: 'commerce',
      certificateNo: `ZF-${id}`,
      qualifications: [],
      specialties: [],
      active: id !== 'c3',
      conflicts: [],
    })),
    { id: 'commerce-c4', department: 'commerce', certificateNo: 'ZF-c4', qualifications: [], specialties: [], active: true, conflicts: [] },
  ],
};
const plan: DrawPlan = {
  items: ['SC-001'],
  departments: ['commerce', 'market'],
  ratios: { A: 0.05, B: 0.2, C: 0.5, D: 1 },
  target: { trades: ['refined-oil'] },
  recentInspections: [
    { subjectId: sid(10), itemId: 'SC-001', on: '2026-05-20', inspectorIds: ['market-m2', 'commerce-c1'] },
    { subjectId: sid(11), itemId: 'SC-002', on: '2026-05-20', inspectorIds: ['commerce-c1', 'commerce-c2'] },
  ],
  window: { from: '2026-04-01', to: '2026-06-30' },
  yearlyCap: 2,
  inspectedThisYear: { [sid(3)]: 2 },
  mustInclude: [{ subjectId: sid(10), cause: 'clue:CL-20260601-0001' }],
};
const seed = drawSeed('round-2026-q2', '2026-06-01 published value 8 3 7 5 1');

describe('one small round, pinned', () => {
  test('the seed and the snapshot hash', () => {
    expect(seed).toBe('ba6332a57095f5b039b842abe4c57538e856b80faafbe4bcc93b87677f03f4e1');
    expect(snapshotHash(snapshot)).toBe('713b251dbb62b2f022ba14cc0cdabcdb5c72e67571cf522981d1b7202ab658f8');
  });

  test('the subjects, their inspectors and the skips', () => {
    const r = draw(snapshot, plan, seed);
    const commerce = (a: string, b: string) => [`commerce-${a}`, `commerce-${b}`];
    const market = (a: string, b: string) => [`market-${a}`, `market-${b}`];
    expect(r.subjects).toEqual([
      { subjectId: sid(1), creditGrade: 'A', inspectors: { commerce: commerce('c2', 'c4'), market: market('m1', 'm3') } },
      { subjectId: sid(5), creditGrade: 'B', inspectors: { commerce: commerce('c1', 'c2'), market: market('m2', 'm3') } },
      // market-m1 declared a conflict with subject 6.
      { subjectId: sid(6), creditGrade: 'C', inspectors: { commerce: commerce('c2', 'c4'), market: market('m3', 'm4') } },
      { subjectId: sid(9), creditGrade: 'C', inspectors: { commerce: commerce('c1', 'c4'), market: market('m1', 'm3') } },
      // Required by a clue although inspected for SC-001 on 2026-05-20, without last time's inspectors (m2, c1).
      {
        subjectId: sid(10),
        creditGrade: 'D',
        inspectors: { commerce: commerce('c2', 'c4'), market: market('m1', 'm3') },
        required: { causes: ['clue:CL-20260601-0001'], despite: ['recently-inspected:SC-001'] },
      },
    ]);
    expect(r.skipped).toEqual([
      { subjectId: sid(3), reason: 'yearly-cap' },
      // Last time's c1 and c2 are recused and c3 is inactive: commerce has c4 alone.
      { subjectId: sid(11), reason: 'insufficient-inspectors:commerce' },
    ]);
    // A: ceil(0.05 × 2) = 1 (never exempt); C: ceil(0.5 × 3) = 2; retail subjects 4, 8, 12 are outside the target.
    expect(r.grades).toEqual({
      A: { eligible: 2, planned: 1, drawn: 1 },
      B: { eligible: 1, planned: 1, drawn: 1 },
      C: { eligible: 3, planned: 2, drawn: 2 },
      D: { eligible: 1, planned: 1, drawn: 0 },
    });
    expect(verifyDraw(snapshot, plan, r, { roundId: 'round-2026-q2', publishedValue: '2026-06-01 published value 8 3 7 5 1' })).toEqual({ reproduced: true });
  });

  test('a recusal application replaces the named inspector, logged, and the log verifies', () => {
    const r = draw(snapshot, plan, seed);
    const o = redraw(snapshot, plan, r, { subjectId: sid(1), department: 'market', inspectorIds: ['market-m1'] });
    expect(o.ok && o.entry).toEqual({ counter: 1, subjectId: sid(1), department: 'market', removed: ['market-m1'], added: ['market-m2'] });
    if (!o.ok) return;
    expect(o.result.subjects[0]!.inspectors.market).toEqual(['market-m2', 'market-m3']);
    expect(verifyDraw(snapshot, plan, o.result)).toEqual({ reproduced: true });
    // market-m4 is the only one left; replacing two is impossible, replacing m3 then m4 too.
    expect(redraw(snapshot, plan, o.result, { subjectId: sid(1), department: 'market', inspectorIds: ['market-m2', 'market-m3'] })).toEqual({
      ok: false,
      reason: 'insufficient-inspectors:market',
    });
    expect(redraw(snapshot, plan, o.result, { subjectId: sid(1), department: 'market', inspectorIds: ['market-m1'] })).toEqual({
      ok: false,
      reason: 'not-in-team',
    });
    expect(redraw(snapshot, plan, o.result, { subjectId: sid(2), department: 'market', inspectorIds: ['market-m1'] })).toEqual({
      ok: false,
      reason: 'not-drawn',
    });
  });

  test('verify names a wrong seed, another snapshot and a forged team', () => {
    const r = draw(snapshot, plan, seed);
    const v = verifyDraw(snapshot, plan, r, { roundId: 'round-2026-q2', publishedValue: 'another value' });
    expect(v.reproduced === false && v.differences.map((d) => d.path)).toEqual(['seed']);
    const changed = { ...snapshot, subjects: snapshot.subjects.map((s) => (s.id === sid(2) ? { ...s, creditGrade: 'B' as const } : s)) };
    const w = verifyDraw(changed, plan, r);
    expect(w.reproduced === false && w.differences[0]!.path).toBe('snapshotHash');
    const forged = { ...r, subjects: r.subjects.map((s, i) => (i === 0 ? { ...s, inspectors: { ...s.inspectors, market: ['market-m1', 'market-m4'] } } : s)) };
    const f = verifyDraw(snapshot, plan, forged);
    expect(f.reproduced === false && f.differences).toEqual([{ path: `subjects[${sid(1)}]`, recorded: forged.subjects[0], recomputed: r.subjects[0] }]);
  });
});

describe('plans the draw refuses', () => {
  const bad = (change: Partial<DrawPlan>) => () => draw(snapshot, { ...plan, ...change }, seed);
  test.each<[string, Partial<DrawPlan>]>([
    ['a grade at ratio 0 (不免抽: no grade is exempt)', { ratios: { A: 0, B: 0.2, C: 0.5, D: 1 } }],
    ['a ratio above 1', { ratios: { A: 0.05, B: 1.2, C: 0.5, D: 1 } }],
    ['a ratio finer than 0.0001', { ratios: { A: 0.00005, B: 0.2, C: 0.5, D: 1 } }],
    ['one inspector per department', { inspectorsPerDepartment: 1 }],
    ['no department', { departments: [] }],
    ['a department twice', { departments: ['market', 'market'] }],
    ['a window that is not dates', { window: { from: '2026-4-1', to: '2026-06-30' } }],
  ])('%s', (_, change) => {
    expect(bad(change)).toThrow(DrawInputError);
  });

  test('a registry listing a subject or an inspector twice', () => {
    expect(() => draw({ ...snapshot, subjects: [...snapshot.subjects, snapshot.subjects[0]!] }, plan, seed)).toThrow(DrawInputError);
    expect(() => draw({ ...snapshot, inspectors: [...snapshot.inspectors, snapshot.inspectors[0]!] }, plan, seed)).toThrow(DrawInputError);
  });

  test('grade E without its own ratio takes D’s', () => {
    const e: RegistrySnapshot = { ...snapshot, subjects: snapshot.subjects.map((s) => ({ ...s, creditGrade: 'E' as const })) };
    const plain = { ...plan, mustInclude: [], recentInspections: [] };
    // Refined-oil subjects 1, 2, 3, 5, 6, 7, 9, 10, 11; 3 at the yearly cap: 8 eligible.
    expect(draw(e, plain, seed).grades.E).toMatchObject({ eligible: 8, planned: 8 });
    expect(draw(e, { ...plain, ratios: { ...plain.ratios, E: 0.5 } }, seed).grades.E).toMatchObject({ eligible: 8, planned: 4, drawn: 4 });
  });
});

describe('the snapshot hash is the SHA-256 of the canonical JSON', () => {
  test('written piecewise, it equals hashing canonicalJson of the sorted snapshot at once', () => {
    const reversed: RegistrySnapshot = { ...snapshot, subjects: [...snapshot.subjects].reverse(), inspectors: [...snapshot.inspectors].reverse() };
    const sortedById = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => (a.id < b.id ? -1 : 1));
    const whole = canonicalJson({ ...snapshot, subjects: sortedById(snapshot.subjects), inspectors: sortedById(snapshot.inspectors) });
    expect(snapshotHash(reversed)).toBe(sha256Hex(whole));
    expect(
      whole.startsWith('{"county":"610124","inspectors":[{"active":true,"certificateNo":"ZF-c1","conflicts":[],"department":"commerce","id":"commerce-c1"'),
    ).toBe(true);
  });
});
