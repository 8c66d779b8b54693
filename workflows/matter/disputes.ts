/**
 * Jurisdiction disputes (管辖争议, DOMAIN §5) from the matter's side: a returned step opens a
 * `jurisdictionDispute` child between the department that returned it and the one it points to
 * (else the lead, else the county government), and the decision names who acts. Since
 * `work-during-dispute` the department keeps working the step meanwhile (原职责划分); before it,
 * the step waited for the decision (`settleJurisdiction`, kept for replay).
 */
import { CancellationScope, ParentClosePolicy, condition, getExternalWorkflowHandle, patched, startChild } from '@temporalio/workflow';
import { departmentName } from '../../domain/departments.js';
import type { DisputeResult } from '../../domain/dispute.js';
import { disputeWorkflowId } from '../../domain/ids.js';
import type { Principal } from '../../domain/principal.js';
import type { TaskSpec } from '../../domain/scenarios/schema.js';
import { designatedSignal, reassignSignal } from '../department-task.js';
import { jurisdictionDispute } from '../jurisdiction-dispute.js';
import { untilSettled } from './issue.js';
import { PATCH, type Designation, type StepResult, type StepReturn, type ThroughDisputes } from './messages.js';
import type { MatterRun } from './run.js';

type Returned = Pick<StepReturn, 'reason' | 'suggestedDepartment' | 'basis'>;

/**
 * Starts the dispute over a step `returnedBy` returned and lists it on the matter. Answers its
 * id, its parties, its entry in the view and its decision as it arrives (`decision.final`).
 */
async function openDispute(m: MatterRun, key: string, spec: TaskSpec, returnedBy: string, returned: Returned, listEarly: boolean) {
  const { input, def, info, view, lead } = m;
  const suggested = returned.suggestedDepartment;
  const other = suggested && suggested !== returnedBy ? suggested : lead !== returnedBy ? lead : 'county-government';
  const ref = { disputeId: '', taskKey: key, state: 'open' as 'open' | 'decided' | 'ended', parties: [returnedBy, other] };
  if (listEarly) view.disputes = [...(view.disputes ?? []), ref];
  const { handle, workflowId: disputeId } = await m.startFresh(
    () => (ref.disputeId = disputeWorkflowId(info.workflowId, ++m.disputeCounter)),
    (workflowId, reuse) =>
      startChild(jurisdictionDispute, {
        workflowId,
        ...reuse,
        args: [
          {
            county: input.county,
            matterId: info.workflowId,
            taskKey: key,
            taskTitle: spec.title,
            parties: [returnedBy, other],
            returnedBy,
            reason: returned.reason,
            kind: returned.basis ?? 'duties',
            ...(def.disputes ? { settings: def.disputes } : {}),
          },
        ],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        staticSummary: `管辖争议 · ${spec.title} · ${departmentName(returnedBy)} / ${departmentName(other)}`.slice(0, 200),
        typedSearchAttributes: m.childAttributes(),
      }),
  );
  if (!listEarly) view.disputes = [...(view.disputes ?? []), ref];
  m.track(handle.result());
  const decision: { final?: DisputeResult } = {};
  const finalP = handle.result().then((r) => {
    decision.final = r;
    return r;
  });
  void finalP.catch(() => undefined);
  /** Until the decision, or an emergency's temporary lead, whichever comes first. */
  const firstWord = () => condition(() => decision.final !== undefined || m.temporaryLeads.has(disputeId));
  return { disputeId, other, ref, decision, finalP, firstWord };
}

/**
 * Before `work-during-dispute` (replay only): the returned task has ended, and the step waits
 * for the decision. An emergency temporary lead works the task meanwhile: if the decision names
 * it, its task stands; otherwise it is cancelled and reassigned.
 */
export async function settleJurisdiction(
  m: MatterRun,
  key: string,
  spec: TaskSpec,
  returnedBy: string,
  returned: StepResult,
): Promise<{ department: string; designated: Designation } | { done: StepResult }> {
  const listEarly = !patched(PATCH.freshChildIds);
  const reason = returned.returned?.reason ?? '';
  const basis = returned.returned?.basis ?? 'duties';
  const d = await openDispute(m, key, spec, returnedBy, { reason, suggestedDepartment: returned.returned?.suggestedDepartment, basis }, listEarly);
  const { disputeId, other, ref, decision, finalP } = d;
  await m.record('dispute.opened', `「${spec.title}」发生管辖争议：${departmentName(returnedBy)}、${departmentName(other)}`, {
    data: { disputeId, key, parties: [returnedBy, other] },
    notifications: [
      {
        kind: 'matter.dispute-opened',
        title: `管辖争议：${spec.title}`,
        body: `${departmentName(returnedBy)}退回，理由：${reason}。已启动管辖争议处理。`,
        recipients: [{ county: m.input.county, role: 'supervisor' }],
      },
    ],
  });
  await d.firstWord();
  let done: StepResult | undefined;
  if (!decision.final) {
    const temp = m.temporaryLeads.get(disputeId)!;
    const scope = new CancellationScope();
    let interim: StepResult | undefined;
    const interimP = scope
      .run(() => untilSettled(m, key, spec, temp.department, { note: '争议期间临时牵头' }))
      .then((r) => {
        interim = r;
        return r;
      });
    void interimP.catch(() => undefined);
    await condition(() => decision.final !== undefined || interim !== undefined);
    if (interim?.state === 'completed') {
      done = interim;
    } else {
      await finalP;
      if (decision.final!.department === temp.department && !interim) done = await interimP;
      else if (!interim) {
        scope.cancel();
        await interimP.catch(() => undefined);
      }
    }
  }
  if (done) {
    ref.state = decision.final ? 'decided' : 'open';
    return { done };
  }
  const decided = decision.final ?? (await finalP);
  ref.state = 'decided';
  await m.record('dispute.decided', `指定管辖：「${spec.title}」由${departmentName(decided.department)}办理`, {
    data: { disputeId, department: decided.department, rung: decided.rung },
  });
  return { department: decided.department, designated: { disputeId, basis } };
}

/**
 * DOMAIN §5 (原职责划分): a return opens a dispute while the department keeps working the step,
 * clocks running. A temporary lead the arbiter designates takes the step over; the decision
 * moves it to the department it names (designated: it cannot return it on the same grounds), or
 * leaves it where it is, now designated. A step finished meanwhile stands; the dispute still
 * ends with a decision, for the record of who was responsible.
 */
export async function workedThroughDisputes(
  m: MatterRun,
  key: string,
  spec: TaskSpec,
  department: string,
  note?: string,
  countsFrom?: number,
): Promise<StepResult> {
  const through: ThroughDisputes = {};
  let result: StepResult | undefined;
  const running = untilSettled(m, key, spec, department, { note, countsFrom, through }).then((r) => {
    result = r;
    return r;
  });
  void running.catch(() => undefined);
  const handled = new Set<string>();
  for (;;) {
    await condition(() => result !== undefined || m.view.tasks.some((t) => t.key === key && m.stepReturns.has(t.taskId) && !handled.has(t.taskId)));
    if (result !== undefined) break;
    const ref = m.view.tasks.find((t) => t.key === key && m.stepReturns.has(t.taskId) && !handled.has(t.taskId))!;
    handled.add(ref.taskId);
    const returned = m.stepReturns.get(ref.taskId)!;
    const dispute = disputeWhileWorking(m, key, spec, ref.taskId, returned, through, () => result !== undefined);
    m.track(dispute);
    void dispute.catch(() => undefined);
  }
  return running;
}

/** Moves the running issue of a step to `department` (改派 by the dispute), with who decided. */
async function moveStep(m: MatterRun, key: string, department: string, reason: string, disputeId: string) {
  const ref = m.runningIssue(key);
  if (!ref || ref.department === department) return;
  const actor: Principal = { keyId: disputeId.slice(-64), county: m.input.county, roles: ['arbiter'] };
  m.reassigning.set(ref.taskId, actor);
  try {
    await getExternalWorkflowHandle(ref.taskId).signal(reassignSignal, { department, reason, actor });
  } catch {
    m.reassigning.delete(ref.taskId);
  }
}

async function disputeWhileWorking(
  m: MatterRun,
  key: string,
  spec: TaskSpec,
  taskId: string,
  returned: StepReturn,
  through: ThroughDisputes,
  stepDone: () => boolean,
) {
  const returnedBy = returned.department;
  const basis = returned.basis ?? 'duties';
  const d = await openDispute(m, key, spec, returnedBy, returned, false);
  const { disputeId, other, ref, decision, finalP } = d;
  await m.record(
    'dispute.opened',
    `「${spec.title}」发生管辖争议：${departmentName(returnedBy)}、${departmentName(other)}；争议期间${departmentName(returnedBy)}按原职责划分继续办理`,
    {
      data: { disputeId, key, parties: [returnedBy, other], taskId, workingMeanwhile: returnedBy },
      notifications: [
        {
          kind: 'matter.dispute-opened',
          title: `管辖争议：${spec.title}`,
          body: `${departmentName(returnedBy)}提出管辖异议，理由：${returned.reason}。已启动管辖争议处理；争议期间由${departmentName(returnedBy)}按原职责划分继续办理，期限不变。`,
          recipients: [{ county: m.input.county, role: 'supervisor' }],
        },
      ],
    },
  );
  await d.firstWord();
  if (!decision.final && !stepDone()) {
    // An emergency: the arbiter names a temporary lead, who takes the step over meanwhile.
    const temp = m.temporaryLeads.get(disputeId)!;
    await moveStep(m, key, temp.department, `争议期间临时牵头：${temp.reasoning}`, disputeId);
  }
  const decided = decision.final ?? (await finalP);
  ref.state = 'decided';
  await m.record(
    'dispute.decided',
    `指定管辖：「${spec.title}」由${departmentName(decided.department)}办理${stepDone() ? '（该环节已办结，决定记录在案）' : ''}`,
    {
      data: { disputeId, department: decided.department, rung: decided.rung },
    },
  );
  if (stepDone()) return;
  const designation = { disputeId, basis };
  through.designation = designation;
  const current = m.runningIssue(key);
  if (current && current.department === decided.department) {
    // The department the decision names has the step: it stays, now designated.
    try {
      await getExternalWorkflowHandle(current.taskId).signal(designatedSignal, designation);
    } catch {
      // ended meanwhile: its next issue carries the designation
    }
  } else {
    await moveStep(m, key, decided.department, `管辖争议决定（${disputeId}）`, disputeId);
  }
}
