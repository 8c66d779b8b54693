/**
 * A step of the catalogue as the scenario sees it: `task(key)` resolves once the step's
 * department has ended it (through reassignments, interruptions, disputes and expiry), and
 * `outcome()` reads what it reported as one of the scenario's codes.
 */
import { patched } from '@temporalio/workflow';
import { refuse } from '../refusal.js';
import { expiring } from './clock.js';
import { settleJurisdiction, workedThroughDisputes } from './disputes.js';
import { untilSettled } from './issue.js';
import { PATCH, type Designation, type StepResult } from './messages.js';
import type { MatterRun } from './run.js';

export interface StepOptions {
  department?: string;
  note?: string;
  expiresAs?: string;
  countsFrom?: number;
}

/**
 * One department task of the catalogue, as a child workflow; resolves when it ends. A task
 * returned as "not our remit" opens a jurisdiction dispute, which names who acts with fresh
 * clocks; its history stays visible.
 */
export async function task(m: MatterRun, key: string, opts: StepOptions = {}): Promise<StepResult> {
  const spec = m.def.tasks[key];
  if (!spec) refuse('CatalogueError', `no task ${key} in ${m.def.id}`);
  if (opts.expiresAs) return expiring(m, key, spec, opts.department ?? m.department(spec.role), opts.expiresAs, opts.note);
  let department = opts.department ?? m.department(spec.role);
  if (patched(PATCH.workDuringDispute)) return workedThroughDisputes(m, key, spec, department, opts.note, opts.countsFrom);
  let designated: Designation | undefined;
  for (;;) {
    const result = await untilSettled(m, key, spec, department, { note: opts.note, designated });
    if (result.state !== 'returned') return result;
    // 退回 "not our remit": a jurisdiction dispute settles who acts; the task's history stays.
    const settled = await settleJurisdiction(m, key, spec, department, result);
    if ('done' in settled) return settled.done;
    department = settled.department;
    designated = settled.designated;
  }
}

/**
 * The outcome a step reported, as one of `codes` (the scenario then switches over them). A step
 * reaches its matter only once its department has reported: interrupted and reassigned steps
 * are issued again, and a submission must carry an outcome. A missing or unknown code is
 * therefore a mismatch between code and catalogue: the workflow task fails (and retries until
 * the code is fixed) instead of branching on a guess such as "no hazard".
 */
export function outcome<const C extends readonly string[]>(result: StepResult, codes: C): C[number] {
  const o = result.submission?.outcome;
  if (o !== undefined && codes.includes(o)) return o;
  throw new Error(`${result.taskId} ended ${result.state} with outcome ${o ?? '(none)'}, expected one of ${codes.join(', ')}`);
}
