/**
 * Readable workflow ids and their URL form (ARCHITECTURE §5): the formats officers see, the
 * one-to-one mapping to a single URL path segment, and refusal of anything that is not one of ours.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { departmentNames } from '../../domain/departments.js';
import {
  approvalWorkflowId,
  clueWorkflowId,
  countyOfWorkflowId,
  disputeWorkflowId,
  fromUrlId,
  idKind,
  matterTaskWorkflowId,
  matterWorkflowId,
  penaltyResultId,
  publicResultId,
  riskWarningWorkflowId,
  standaloneTaskWorkflowId,
  supervisionOrderWorkflowId,
  toUrlId,
  transferWorkflowId,
  urlIdPattern,
} from '../../domain/ids.js';

const matter = 'matter:610124:refined-oil:2026-0001';

describe('workflow id formats', () => {
  test('a matter: matter:<county>:<scenario>:<year>-<seq>, seq padded to 4 digits', () => {
    expect(matterWorkflowId('610124', 'refined-oil', 2026, 1)).toBe(matter);
    expect(matterWorkflowId('610124', 'refined-oil', 2026, 123)).toBe('matter:610124:refined-oil:2026-0123');
    expect(matterWorkflowId('610124', 'refined-oil', 2026, 12345)).toBe('matter:610124:refined-oil:2026-12345');
  });

  test('a task of a matter: <matter id>/task:<department>:<n>', () => {
    expect(matterTaskWorkflowId(matter, 'market', 2)).toBe('matter:610124:refined-oil:2026-0001/task:market:2');
  });

  test("a matter's children and results, each of the kind idKind reads back", () => {
    expect(disputeWorkflowId(matter, 1)).toBe('matter:610124:refined-oil:2026-0001/dispute:1');
    expect(transferWorkflowId(matter, 2)).toBe('matter:610124:refined-oil:2026-0001/transfer:2');
    expect(matterTaskWorkflowId(transferWorkflowId(matter, 1), 'police', 3)).toBe('matter:610124:refined-oil:2026-0001/transfer:1/task:police:3');
    expect(supervisionOrderWorkflowId(matter, 'market', 1)).toBe('matter:610124:refined-oil:2026-0001/supervision:market:1');
    expect(publicResultId(matter)).toBe('matter:610124:refined-oil:2026-0001/result');
    expect(penaltyResultId(matter, 2)).toBe('matter:610124:refined-oil:2026-0001/penalty:2');
    expect(idKind(disputeWorkflowId(matter, 1))).toBe('dispute');
    expect(idKind(transferWorkflowId(matter, 2))).toBe('transfer');
    expect(idKind(matterTaskWorkflowId(transferWorkflowId(matter, 1), 'police', 3))).toBe('task');
    expect(idKind(supervisionOrderWorkflowId(matter, 'market', 1))).toBe('task');
  });

  test('a clue: clue:<county>:<year>-<seq>; its tasks are tasks; its county is read from it', () => {
    const id = clueWorkflowId('610124', 2026, 12);
    expect(id).toBe('clue:610124:2026-0012');
    expect(idKind(id)).toBe('clue');
    expect(idKind(matterTaskWorkflowId(id, 'education', 1))).toBe('task');
    expect(idKind(`${id}/dispute:1`)).toBeUndefined();
    expect(countyOfWorkflowId(id)).toBe('610124');
    expect(fromUrlId(toUrlId(matterTaskWorkflowId(id, 'education', 1)), 'task')).toBe('clue:610124:2026-0012/task:education:1');
    expect(fromUrlId(id, 'matter')).toBeUndefined();
  });

  test('a risk warning: warning:<county>:<year>-<seq>; its tasks are tasks; its county is read from it', () => {
    const id = riskWarningWorkflowId('610124', 2026, 7);
    expect(id).toBe('warning:610124:2026-0007');
    expect(idKind(id)).toBe('warning');
    expect(idKind(matterTaskWorkflowId(id, 'market', 2))).toBe('task');
    expect(idKind(`${id}/dispute:1`)).toBeUndefined();
    expect(idKind(`${id}/task:market:1/task:police:1`)).toBeUndefined();
    expect(countyOfWorkflowId(id)).toBe('610124');
    expect(countyOfWorkflowId(matterTaskWorkflowId(id, 'market', 2))).toBe('610124');
    expect(toUrlId(id)).toMatch(new RegExp(urlIdPattern));
    expect(fromUrlId(id, 'warning')).toBe(id);
    expect(fromUrlId(toUrlId(matterTaskWorkflowId(id, 'market', 2)), 'task')).toBe('warning:610124:2026-0007/task:market:2');
    expect(fromUrlId(id, 'clue')).toBeUndefined();
    expect(fromUrlId(clueWorkflowId('610124', 2026, 7), 'warning')).toBeUndefined();
  });

  test('an approval follow-up: approval:<county>:<year>-<seq>; its check is a task; its county is read from it', () => {
    const id = approvalWorkflowId('610124', 2026, 7);
    expect(id).toBe('approval:610124:2026-0007');
    expect(idKind(id)).toBe('approval');
    expect(idKind(matterTaskWorkflowId(id, 'market', 1))).toBe('task');
    expect(idKind(`${id}/dispute:1`)).toBeUndefined();
    expect(countyOfWorkflowId(id)).toBe('610124');
    expect(countyOfWorkflowId(matterTaskWorkflowId(id, 'market', 1))).toBe('610124');
    expect(toUrlId(id)).toMatch(new RegExp(urlIdPattern));
    expect(fromUrlId(id, 'approval')).toBe(id);
    expect(fromUrlId(toUrlId(matterTaskWorkflowId(id, 'market', 1)), 'task')).toBe('approval:610124:2026-0007/task:market:1');
    expect(fromUrlId(id, 'warning')).toBeUndefined();
    expect(fromUrlId(riskWarningWorkflowId('610124', 2026, 7), 'approval')).toBeUndefined();
  });

  test('a standalone task: task:<county>:<department>:<year>-<seq>', () => {
    expect(standaloneTaskWorkflowId('610124', 'housing', 2026, 7)).toBe('task:610124:housing:2026-0007');
    expect(standaloneTaskWorkflowId('610124', 'township:610124100', 2026, 1)).toBe('task:610124:township:610124100:2026-0001');
  });
});

describe('URL ids', () => {
  test('the / of a matter task becomes ~, and maps back', () => {
    const id = matterTaskWorkflowId(matter, 'market', 2);
    expect(toUrlId(id)).toBe('matter:610124:refined-oil:2026-0001~task:market:2');
    expect(fromUrlId(toUrlId(id))).toBe(id);
  });

  test.each([
    matter,
    matterTaskWorkflowId(matter, 'market', 2),
    standaloneTaskWorkflowId('610124', 'housing', 2026, 7),
    standaloneTaskWorkflowId('610124', 'township:610124100', 2026, 1),
  ])('%s round-trips through its URL id', (id) => {
    const url = toUrlId(id);
    expect(url).not.toContain('/');
    expect(url).toMatch(new RegExp(urlIdPattern));
    expect(fromUrlId(url)).toBe(id);
  });

  test('every id the service makes round-trips (property)', () => {
    const county = fc.stringMatching(/^[0-9]{6}$/);
    const department = fc.constantFrom(...Object.keys(departmentNames));
    const year = fc.integer({ min: 2000, max: 2099 });
    const n = fc.integer({ min: 1, max: 99_999 });
    fc.assert(
      fc.property(county, department, year, n, fc.integer({ min: 1, max: 99 }), (c, d, y, seq, k) => {
        for (const id of [
          standaloneTaskWorkflowId(c, d, y, seq),
          matterWorkflowId(c, 'refined-oil', y, seq),
          matterTaskWorkflowId(matterWorkflowId(c, 'refined-oil', y, seq), d, k),
          riskWarningWorkflowId(c, y, seq),
          matterTaskWorkflowId(riskWarningWorkflowId(c, y, seq), d, k),
        ]) {
          const url = toUrlId(id);
          expect(url).not.toContain('/');
          expect(fromUrlId(url)).toBe(id);
        }
      }),
    );
  });

  test.each([
    ['a path traversal', '../etc'],
    ['an encoded traversal', '..%2Fetc%2Fpasswd'],
    ['a county that is not 6 digits', 'matter:abc'],
    ['a 5-digit county', 'task:61012:housing:2026-0001'],
    ['an unknown kind', 'job:610124:housing:2026-0001'],
    ['a warning with a 5-digit county', 'warning:61012:2026-0001'],
    ['an approval with a 5-digit county', 'approval:61012:2026-0001'],
    ['upper case', 'task:610124:HOUSING:2026-0001'],
    ['a doubled ~', 'matter:610124:refined-oil:2026-0001~~task:market:2'],
    ['a trailing ~', 'matter:610124:refined-oil:2026-0001~'],
    ['a trailing newline', 'task:610124:housing:2026-0001\n'],
    ['a space', 'task:610124:housing 2026-0001'],
    ['the empty string', ''],
    ['a very long id of valid characters', `task:610124:${'a'.repeat(300)}`],
    ['a very long junk string', 'x'.repeat(100_000)],
  ])('fromUrlId rejects %s', (_what, junk) => {
    expect(fromUrlId(junk)).toBeUndefined();
  });
});

describe('id kinds (a route given another kind of id answers 404)', () => {
  test.each([
    [matter, 'matter'],
    [matterTaskWorkflowId(matter, 'market', 2), 'task'],
    [`${matter}/supervision:market:1`, 'task'],
    [standaloneTaskWorkflowId('610124', 'housing', 2026, 7), 'task'],
    [`${matter}/dispute:1`, 'dispute'],
    [`${matter}/dispute:x`, undefined],
    [`${matter}/result`, undefined],
    ['task:610124:housing:2026-0001/task:market:1', undefined],
    [`${matter}/task:market:2/task:housing:1`, undefined],
  ])('%s is %s', (id, kind) => {
    expect(idKind(id)).toBe(kind);
  });

  test('fromUrlId with a kind returns only ids of that kind', () => {
    const task = toUrlId(matterTaskWorkflowId(matter, 'market', 2));
    const dispute = toUrlId(`${matter}/dispute:1`);
    expect(fromUrlId(task, 'task')).toBe(matterTaskWorkflowId(matter, 'market', 2));
    expect(fromUrlId(task, 'matter')).toBeUndefined();
    expect(fromUrlId(matter, 'task')).toBeUndefined();
    expect(fromUrlId(matter, 'matter')).toBe(matter);
    expect(fromUrlId(dispute, 'task')).toBeUndefined();
    expect(fromUrlId(dispute, 'dispute')).toBe(`${matter}/dispute:1`);
  });
});
