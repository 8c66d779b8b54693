/**
 * 转立事项 (issue 13 §1, clue → matter): the lead department opens a matter (综合监管一件事) of a
 * scenario from the clue, about its subject; the clue replies once the matter has ended.
 *
 * Clocks (DOMAIN §10, every waiting state clocked, nothing falsely overdue): opening the matter is
 * the lead's handling decision, so its handling task ends with it (the API submits it as
 * "转立事项", within its own clock). While the matter runs, whoever must act is one of its
 * departments, each with its task's clock and ladder; the clue itself waits in `in-matter`. When
 * the matter ends, the reply is a new step of the lead's, due within the county's
 * `replyAfterMatterWorkingDays` (default 3) of the matter's end. A long matter thus never makes the
 * clue's handling task overdue, and the reply is chased like any other step.
 *
 * The matter is this workflow's child, started from the shared `matterStartOptions` (the same
 * type, id scheme, input, search attributes and read model as POST /v1/matters), so the clue
 * awaits its result. It is a case of its own (statutory clocks, published results): it outlives
 * the clue (ParentClosePolicy ABANDON) and the clue's cancellation never reaches it.
 */
import { CancellationScope, CancelledFailure, ChildWorkflowCancellationType, ParentClosePolicy, patched, setHandler, startChild } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { departmentName } from '../../domain/departments.js';
import { matterStartOptions, type MatterInput, type MatterView } from '../../domain/matter.js';
import type { Principal } from '../../domain/principal.js';
import type { ResolvedScenario, ScenarioId } from '../../domain/scenarios/schema.js';
import { freshIdPolicy } from '../children.js';
import { clone } from '../recording.js';
import { parseOrRefuse, refuse } from '../refusal.js';
import { handleAs, type TaskEnd } from './handling.js';
import { openMatterInputSchema, openMatterUpdate } from './messages.js';
import { OFFICE, now, type ClueRun } from './run.js';

/**
 * The marker of a clue that opened a matter. Only a clue that receives the openMatter update
 * (which no history before it holds) takes the new path, so earlier histories replay unchanged.
 */
export const CLUE_MATTER_PATCH = 'clue-matter';

export interface MatterEnd {
  state: 'closed' | 'cancelled' | 'interrupted';
  endedAtMs: number;
  result?: { code: string; summary: string };
}

/** How a matter's run ended, as the clue reads it: closed with its result, cancelled with its reason, or ended outside the API. */
function endOf(v: MatterView): MatterEnd {
  const endedAtMs = v.closedAt ? Date.parse(v.closedAt) : Date.now();
  if (v.status === 'cancelled') return { state: 'cancelled', endedAtMs, result: { code: 'cancelled', summary: v.cancelled?.reason ?? '事项撤销' } };
  return { state: 'closed', endedAtMs, ...(v.result ? { result: { code: v.result.code, summary: v.result.summary } } : {}) };
}

/** What opening a matter takes: its reserved id, scenario, checked facts and the county's scenario; who (none: the catalogue). */
interface MatterRequest {
  matterId: string;
  scenario: ScenarioId;
  facts: Record<string, unknown>;
  definition: ResolvedScenario;
  actor?: Principal;
  ruleId?: string;
}

/** Starts the matter as the clue's child, records it, and moves the clue to `in-matter`. */
async function startMatter(run: ClueRun, req: MatterRequest): Promise<void> {
  const { input, view } = run;
  // Set before any await: a request's validator sees it.
  run.matterOpening = true;
  patched(CLUE_MATTER_PATCH);
  const matterInput: MatterInput = {
    county: input.county,
    subject: input.subject!,
    facts: req.facts,
    // The complaint's receipt is the matter's opening (limits counted from it, e.g. 消费者权益保护法 art. 46).
    source: {
      channel: input.channel,
      ref: input.ref,
      ...(input.receivedAt !== undefined ? { receivedAt: toShanghaiIso(input.receivedAt) } : {}),
      clueId: run.info.workflowId,
    },
    definition: req.definition,
    createdBy: req.actor?.keyId ?? `dispatch-rule:${req.ruleId ?? ''}`,
    ...(req.actor ? { launchedBy: req.actor } : {}),
  };
  const { workflowType, ...options } = matterStartOptions(req.matterId, matterInput);
  let result: Promise<MatterView>;
  try {
    const child = await startChild(workflowType, {
      ...options,
      ...freshIdPolicy,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      cancellationType: ChildWorkflowCancellationType.ABANDON,
    });
    result = child.result() as Promise<MatterView>;
  } catch (err) {
    run.matterOpening = false;
    // The API reserved the id; one taken means another run holds it: the caller tries again.
    if (err instanceof WorkflowExecutionAlreadyStartedError) refuse('WrongState', '事项编号已被占用，请重试');
    throw err;
  }
  run.matterRound = view.rounds;
  run.matterEnd = result.then(endOf, () => ({ state: 'interrupted' as const, endedAtMs: Date.now() }));
  view.matter = { matterId: req.matterId, scenario: req.scenario, state: 'running', openedAt: now() };
  run.setState('in-matter');
  const lead = departmentName(view.department!);
  const name = req.definition.name.zh;
  await run.record('matter.opened', `${req.actor ? lead : '按派单目录'}转立${name}事项（${req.matterId}），事项办结后由${lead}答复`, {
    ...(req.actor ? { actor: req.actor } : {}),
    data: { matterId: req.matterId, scenario: req.scenario, by: req.actor ? 'lead' : 'catalogue', ...(req.ruleId ? { ruleId: req.ruleId } : {}) },
    notifications: [
      {
        kind: 'clue.matter-opened',
        title: `线索转立事项：${input.ref}`,
        body: `已转立${name}综合监管事项，事项办结后由${lead}答复。`,
        // The office waits for the reply; a lead the catalogue spoke for learns of its reply to come.
        recipients: [{ county: input.county, department: OFFICE }, ...(req.actor ? [] : [{ county: input.county, department: view.department! }])],
      },
    ],
  });
}

/** Registers the openMatter update (called with the clue's other handlers, before any await). */
export function registerMatterHandler(run: ClueRun) {
  const { input, view } = run;
  setHandler(
    openMatterUpdate,
    async (raw) => {
      await startMatter(run, openMatterInputSchema.parse(raw));
      return clone(view);
    },
    {
      validator: (raw) => {
        const { actor } = parseOrRefuse(openMatterInputSchema, raw);
        run.requireLead(actor, '转立事项');
        if (view.matter || run.matterOpening) refuse('WrongState', '本线索已转立事项');
        if (view.state !== 'handling' || !run.runningLeadTask()) refuse('WrongState', '线索不在办理中，不能转立事项');
        if (!input.subject) refuse('NoSubject', '线索没有涉及对象，不能转立事项');
      },
    },
  );
}

type CatalogueMatter = NonNullable<NonNullable<ClueRun['input']['dispatch']>['openMatter']>;

/**
 * The catalogue's rule opens a matter at dispatch: true when it did (the matter is the handling,
 * no handling task is issued); false when it could not (recorded, the lead handles it as usual).
 */
export async function openedByCatalogue(run: ClueRun, ruleId: string, m: CatalogueMatter): Promise<boolean> {
  if (m.matterId && m.facts && m.definition && run.input.subject && !run.view.matter) {
    await startMatter(run, { matterId: m.matterId, scenario: m.scenario, facts: m.facts, definition: m.definition, ruleId });
    return true;
  }
  const why = m.refused ?? (run.input.subject ? '事项未准备' : '线索没有涉及对象');
  await run.record('matter.not-opened', `派单目录规则 ${ruleId} 未能转立事项（${why}），由牵头部门办理`, {
    data: { ruleId, scenario: m.scenario, reason: why },
  });
  return false;
}

/**
 * After the lead's handling task of the round the matter opened in has ended: waits for the
 * matter's end, records it, and issues the lead's reply step until it is answered (a task ended
 * outside the API is issued again). Its answer is the clue's reply.
 */
export async function replyAfterMatter(run: ClueRun): Promise<TaskEnd> {
  const { input, view } = run;
  const ended = await run.matterEnd!;
  // The clue cancelled while it waited (its wait is abandoned, the matter runs on): nothing ended.
  if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('线索撤销');
  const m = view.matter!;
  m.state = ended.state;
  m.endedAt = toShanghaiIso(ended.endedAtMs);
  if (ended.result) m.result = ended.result;
  run.setState('handling');
  const what =
    ended.state === 'closed'
      ? `事项办结：${ended.result?.summary ?? ''}`
      : ended.state === 'cancelled'
        ? `事项撤销：${ended.result?.summary ?? ''}`
        : '事项在系统外终止，按现有情况答复';
  await run.record('matter.ended', `${m.matterId} ${what}`, {
    data: { matterId: m.matterId, state: ended.state, ...(ended.result ? { code: ended.result.code } : {}) },
    ...(ended.state === 'interrupted'
      ? {
          notifications: [
            {
              kind: 'clue.matter-interrupted',
              title: `线索所转事项在系统外终止：${input.ref}`,
              body: `${m.matterId} 在系统外终止，线索转由牵头部门按现有情况答复。`,
              recipients: [{ county: input.county, role: 'supervisor' as const }],
            },
          ],
        }
      : {}),
  });
  for (;;) {
    const end = await handleAs(run, view.department!, 'lead', true, { matterEndedAt: ended.endedAtMs, outcome: `转立事项 ${m.matterId}：${what}` });
    if (end.state === 'completed') return end;
    await run.record('task.interrupted', `${departmentName(end.department)}的答复任务在系统外终止，重新交办`, { data: { taskId: end.taskId } });
  }
}
