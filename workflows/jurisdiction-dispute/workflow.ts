import { allHandlersFinished, CancellationScope, condition, isCancellation, patched, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { DisputeInputDraft, DisputeResult } from '../../domain/dispute.js';
import { SA } from '../../domain/search-attributes.js';
import { recomputeDeadlinesSignal } from '../department-task.js';
import { handleDecisions, handlePositions } from './decision.js';
import { climb, endUndecided } from './ladder.js';
import { getDisputeQuery } from './messages.js';
import { DisputeRun } from './run.js';

/**
 * Patch: a dispute cancelled (its matter ended first) records that it ended without a decision,
 * so it leaves the parties' and arbiters' lists; before, its read model stayed `open`.
 */
const RECORD_END = 'dispute-records-end';

/**
 * 管辖争议: a task returned as "not our remit" (or claimed or refused by two departments). The
 * parties negotiate; then the coordinating arbiter decides; then the common superior. Each rung
 * has a deadline with a reminder the working day before; an arbiter who stays silent hands the
 * dispute up. The decision (designated department, reasoning, legal basis) is the result the
 * parent matter acts on; an emergency temporary lead is signalled to it at once.
 */
export async function jurisdictionDispute(args: DisputeInputDraft): Promise<DisputeResult> {
  const run = new DisputeRun(args);
  const { input, info, view } = run;

  // ---- handlers: registered before the first await ----
  setHandler(getDisputeQuery, () => view);
  handlePositions(run);
  handleDecisions(run);
  // A year's holidays were published: the running rung's deadline is resolved again.
  setHandler(recomputeDeadlinesSignal, () => {
    run.calendarVersion += 1;
  });

  // ---- the ladder ----
  upsertSearchAttributes([{ key: SA.County, value: input.county }, ...(input.matterId ? [{ key: SA.MatterId, value: input.matterId }] : [])]);
  try {
    await climb(run);
  } catch (err) {
    if (!isCancellation(err) || view.state !== 'open' || !patched(RECORD_END)) throw err;
    // Cancelled: the matter ended (or someone cancelled the run). Nobody is left to decide for.
    await CancellationScope.nonCancellable(() => endUndecided(run));
    throw err;
  }
  await condition(allHandlersFinished);
  const d = view.decision!;
  return { disputeId: info.workflowId, department: d.department, reasoning: d.reasoning, ...(d.legalBasis ? { legalBasis: d.legalBasis } : {}), rung: d.rung };
}
