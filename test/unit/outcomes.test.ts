/**
 * The outcome codes the scenario workflows branch on (domain/scenarios/outcomes.ts) are exactly the
 * codes the catalogue lets a department submit for the same steps: a code the workflow does not
 * handle could never be submitted, and a code it handles is one the department can choose.
 */
import { describe, expect, test } from 'vitest';
import { catalogue } from '../../domain/scenarios/catalogue.js';
import { branchingOutcomes, unreachable } from '../../domain/scenarios/outcomes.js';

describe('branching outcome codes match the catalogue', () => {
  for (const [scenario, steps] of Object.entries(branchingOutcomes) as [keyof typeof catalogue, Record<string, readonly string[]>][]) {
    test.each(Object.entries(steps))(`${scenario}: %s`, (step, codes) => {
      const spec = catalogue[scenario].tasks[step];
      expect(spec, `${scenario} has no step ${step}`).toBeDefined();
      expect([...(spec!.outcomes ?? [])].sort()).toEqual([...codes].sort());
    });
  }

  test('every step of every scenario lists its outcome codes (a submission must carry one)', () => {
    for (const def of Object.values(catalogue)) {
      for (const [key, spec] of Object.entries(def.tasks)) expect(spec.outcomes?.length, `${def.id} ${key}`).toBeGreaterThan(0);
    }
  });

  test('an unhandled code fails loudly', () => {
    expect(() => unreachable('X' as never)).toThrow('unhandled outcome X');
  });
});
