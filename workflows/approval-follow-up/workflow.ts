/**
 * 审管衔接 (DOMAIN §6; 001 item 17, 002 item 17): an approval event (a licence granted, changed or
 * revoked, a filing) is recorded and becomes the competent department's check, on a clock of N
 * working days from the approval (the licence type's, default 30, resolved by the API from the
 * county's rules and pinned in the input) → the check's outcome is recorded → an outcome that
 * touches the licence (`licence-issue`) is pushed back to the approval bureau: a notice in its
 * inbox and webhooks, and the follow-up's own timeline event, which the bureau reads (it sees every
 * follow-up of its county) → closed.
 */
import { recordingCancellation } from '../withdrawal.js';
import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import { checkOutcomeNames, checkWords, licenceIssueOutcome, type ApprovalInputDraft, type ApprovalView } from '../../domain/approval.js';
import { departmentName } from '../../domain/departments.js';
import { clone } from '../recording.js';
import { checkOf } from './check.js';
import { getApprovalFollowUpQuery } from './messages.js';
import { ApprovalRun, now } from './run.js';

export async function approvalFollowUp(args: ApprovalInputDraft): Promise<ApprovalView> {
  const run = new ApprovalRun(args);
  const { view } = run;
  setHandler(getApprovalFollowUpQuery, () => view);

  // Withdrawn (the Temporal UI): recorded, its open check cancelled with it (REQUEST_CANCEL),
  // and the run ends as Cancelled.
  await recordingCancellation(
    () => loop(run),
    async () => {
      run.setState('cancelled');
      view.closedAt = now();
      await run.record('cancelled', '审管衔接已撤销');
    },
  );
  await condition(allHandlersFinished);
  return clone(view);
}

async function loop(run: ApprovalRun): Promise<void> {
  const { input, view } = run;
  const department = departmentName(input.department);
  const words = checkWords(input.event);
  // The department hears of its check from the task's assignment.
  await run.record(
    'received',
    `${view.eventName}：${run.licenceTypeName}（${input.licence.number}），交${department}${words}，期限自审批决定起 ${input.firstCheckWorkingDays} 个工作日`,
    {
      ...(input.receivedBy ? { actor: input.receivedBy } : {}),
      data: {
        event: input.event,
        licenceType: input.licence.type,
        licenceNumber: input.licence.number,
        department: input.department,
        routedBy: input.routedBy,
        firstCheckWorkingDays: input.firstCheckWorkingDays,
        decidedAt: view.decidedAt,
      },
    },
  );

  const end = await checkOf(run);
  const outcome = end.submission?.outcome ?? '';
  const at = end.submission?.at ?? now();
  view.check = {
    taskId: end.taskId,
    outcome,
    outcomeName: checkOutcomeNames[outcome] ?? outcome,
    summary: end.submission?.summary ?? '',
    ...(end.submission?.findings ? { findings: end.submission.findings } : {}),
    at,
  };
  await run.record('checked', `${department}${words}：${view.check.outcomeName}`, { data: { taskId: end.taskId, outcome } });

  // The reverse push: a finding that touches the licence goes to the approval bureau, which may
  // change, withdraw or revoke it. Told by notice (no subject name: the licence number and the
  // follow-up's id lead to it), and recorded on the follow-up the bureau reads. A submission that
  // marked the licence itself (`touchesLicence`) was already told by its task: recorded here only.
  const toldByTask = !!end.submission?.touchesLicence;
  if (outcome === licenceIssueOutcome || toldByTask) {
    view.licenceIssue = { taskId: end.taskId, at: now() };
    await run.record('licence-issue.reported', `${department}${words}发现涉及许可的问题，已推送${departmentName('approval')}`, {
      data: { taskId: end.taskId, licenceType: input.licence.type, licenceNumber: input.licence.number, toldByTask },
      ...(toldByTask
        ? {}
        : {
            notifications: [
              {
                kind: 'approval.licence-issue',
                title: `涉及许可的监管发现：${run.licenceTypeName} ${input.licence.number}`,
                body: `${department}对${run.licenceTypeName}（编号 ${input.licence.number}，${run.ref}）${words}发现涉及许可的问题，请依法处理（责令改正、变更、撤销或注销许可）。检查情况见审管衔接 ${view.followUpId}。`,
                recipients: run.bureau(),
              },
            ],
          }),
    });
  }

  run.setState('closed');
  view.closedAt = now();
  await run.record('closed', '审管衔接事后监管办结');
}
