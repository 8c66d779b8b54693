/**
 * A round of a plan's random inspections (双随机, DOMAIN §7; issue 14 §3–§4). Started by the plan's
 * Schedule (api/plan-schedule.ts) or by hand (POST /v1/plans/{planId}/rounds); its id is the
 * round's (`<planId>/round:<n>` or `<planId>/round-<fire time>`).
 *
 * 1. The seed is fixed from the round id and the published value and recorded (activities/rounds.ts
 *    `seedRound`) before 2. the registry snapshot is taken and stored with its hash; 3. the draw
 *    runs on the stored snapshot and is stored. Snapshot and draw stay in PostgreSQL: history holds
 *    only counts. 4. Launch, 100 subjects per activity: each drawn subject joins an open inspection
 *    visiting it within the merge window (`addChecks`) or gets a new `jointInspection`, started by
 *    the activity as a workflow of its own rather than a child: inspections outlive the round
 *    (visits, results and publication take weeks), are addressed by their own ids, and a round of
 *    2,000 inspections would otherwise carry 2,000 children in its history. Continue-as-new keeps
 *    the history small between batches. 5. Open until the plan's window ends: a subject's
 *    application for recusal (`recusal` Update) is recorded as a logged re-draw and delivered to
 *    the inspection (`replaceInspectors`, its Update id from the log's counter).
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  currentUpdateInfo,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { shanghaiDate } from '../../domain/calendar/index.js';
import { endOfShanghaiDay } from '../../domain/round.js';
import { listings, scans, writes } from '../activities.js';
import { recusalArgsSchema, recusalUpdate, type InspectionRoundInput, type InspectionRoundResult, type RoundCarry } from './messages.js';

/** Drawn subjects launched per activity: a batch of starts or Updates within the activity's minute. */
export const LAUNCH_BATCH = 100;

export async function inspectionRound(input: InspectionRoundInput): Promise<InspectionRoundResult> {
  const info = workflowInfo();
  const roundId = info.workflowId;
  const carry: RoundCarry = input.carried ?? {
    scheduledOn: shanghaiDate(info.startTime.getTime()),
    phase: 'launching',
    after: null,
    drawn: 0,
    started: 0,
    merged: 0,
    closesOn: '',
    pending: [],
  };
  let open = carry.phase === 'open';

  setHandler(
    recusalUpdate,
    async (args) => {
      try {
        const outcome = await writes.recordRecusal({ ...recusalArgsSchema.parse(args), roundId, requestId: currentUpdateInfo()!.id });
        carry.pending.push(outcome.counter);
        return outcome;
      } catch (err) {
        // A refused re-draw (not on the team, too few inspectors left) answers the caller with its reason.
        if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) throw err.cause;
        throw err;
      }
    },
    {
      validator: (args) => {
        recusalArgsSchema.parse(args);
        if (!open)
          throw ApplicationFailure.create({ type: 'RoundNotOpen', message: 'the round has not launched its inspections, or has closed', nonRetryable: true });
      },
    },
  );

  if (!input.carried) {
    setCurrentDetails('确定随机种子，固定名录快照，抽取');
    await writes.seedRound({ roundId, planId: input.planId, scheduledOn: carry.scheduledOn, requestedBy: input.requestedBy });
    await scans.snapshotRound({ roundId });
    const counts = await scans.drawRound({ roundId });
    carry.drawn = counts.drawn;
    carry.closesOn = counts.closesOn;
  }

  if (carry.phase === 'launching') {
    setCurrentDetails(`派发检查：已抽取 ${carry.drawn} 户`);
    do {
      const batch = await listings.launchRoundBatch({ roundId, after: carry.after, limit: LAUNCH_BATCH });
      carry.started += batch.started;
      carry.merged += batch.merged;
      carry.after = batch.next;
      if (carry.after !== null && workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        return continueAsNew<typeof inspectionRound>({ ...input, carried: carry });
      }
    } while (carry.after !== null);
    await writes.setRoundState({ roundId, state: 'launched' });
    carry.phase = 'open';
    open = true;
  }

  // Open for recusal applications until the end of the plan's window (the last visit day).
  const closesAt = endOfShanghaiDay(carry.closesOn);
  setCurrentDetails(`已派发：新建 ${carry.started} 次检查，并入 ${carry.merged} 次；受理回避申请至 ${carry.closesOn}`);
  for (;;) {
    const left = closesAt - Date.now();
    if (carry.pending.length === 0 && (left <= 0 || !(await condition(() => carry.pending.length > 0, left)))) break;
    while (carry.pending.length > 0) {
      await listings.deliverRecusal({ roundId, counter: carry.pending[0]! });
      carry.pending.shift();
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (carry.pending.length === 0) return continueAsNew<typeof inspectionRound>({ ...input, carried: carry });
    }
  }
  open = false;
  await condition(allHandlersFinished);
  for (const counter of carry.pending) await listings.deliverRecusal({ roundId, counter });
  await writes.setRoundState({ roundId, state: 'closed' });
  return { drawn: carry.drawn, started: carry.started, merged: carry.merged };
}
