/**
 * 行刑衔接 (国务院令第310号) from the matter's side: the `criminalTransfer` child workflow, from the
 * case group's report to the police's decision (and the reconsideration after a refusal to
 * file), with its approval on the matter's record the moment it is known (art. 11).
 */
import { ParentClosePolicy, condition, patched, startChild } from '@temporalio/workflow';
import { departmentName } from '../../domain/departments.js';
import { transferWorkflowId } from '../../domain/ids.js';
import type { MatterView } from '../../domain/matter.js';
import { criminalTransferOutcomes } from '../../domain/scenarios/outcomes.js';
import { SA } from '../../domain/search-attributes.js';
import { transferStepKeys, type CriminalTransferInput } from '../../domain/transfer.js';
import { criminalTransfer as criminalTransferWorkflow } from '../criminal-transfer.js';
import { PATCH } from './messages.js';
import type { MatterRun } from './run.js';
import { outcome, task } from './step.js';

export type TransferOutcome = 'filed' | 'not-filed' | 'refused';

async function transferAsChild(m: MatterRun, reason: string): Promise<TransferOutcome> {
  const { input, def, info } = m;
  await m.stage('criminal-transfer');
  const steps = Object.fromEntries(transferStepKeys.map((k) => [k, def.tasks[k]!])) as CriminalTransferInput['steps'];
  const agency = m.department(def.tasks['transfer.approve']!.role);
  const police = m.department('police');
  const ref: NonNullable<MatterView['transfers']>[number] = { transferId: '', state: 'running', approved: false };
  const { handle, workflowId: transferId } = await m.startFresh(
    () => (ref.transferId = transferWorkflowId(info.workflowId, ++m.transferCounter)),
    (workflowId, reuse) =>
      startChild(criminalTransferWorkflow, {
        workflowId,
        ...reuse,
        args: [
          {
            county: input.county,
            matterId: info.workflowId,
            scenario: def.id,
            reason,
            agency,
            police,
            steps,
            ladder: def.ladder,
            matterOpenedAt: m.matterOpenedAt,
          },
        ],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        staticSummary: `行刑衔接 · ${departmentName(agency)} → ${departmentName(police)} · ${reason}`.slice(0, 200),
        typedSearchAttributes: [...m.childAttributes(), { key: SA.Department, value: agency }],
      }),
  );
  m.view.transfers = [...(m.view.transfers ?? []), ref];
  m.track(handle.result());
  await m.record('criminal-transfer.opened', `涉嫌犯罪，启动移送程序：${reason}`, { data: { transferId, reason, agency, police } });
  let ended = false;
  const resultP = handle.result().finally(() => {
    ended = true;
  });
  void resultP.catch(() => undefined);
  // The approval is on the matter's record (and its read model) the moment it is known: from
  // then on the matter cannot be cancelled (art. 11).
  await condition(() => ref.approved || ended);
  if (ref.approved)
    await m.record('criminal-transfer.approved', '已批准移送公安机关：移送程序结束前事项不能撤销（国务院令第310号第11条）', { data: { transferId } });
  const result = await resultP;
  ref.state = result.outcome;
  const words = { refused: '经审批不移送', filed: '公安机关已立案', 'not-filed': '公安机关不予立案' } as const;
  await m.record('criminal-transfer.ended', `移送程序结束：${words[result.outcome]}`, {
    data: { transferId, outcome: result.outcome, procuratorateSuggested: result.procuratorateSuggested },
  });
  m.finding('criminalTransfer', result.outcome);
  return result.outcome;
}

/**
 * The transfer, answering its outcome. Catalogues without the child's steps, and runs from before
 * `criminal-transfer-workflow`, run three tasks inline.
 */
export async function criminalTransfer(m: MatterRun, reason: string): Promise<TransferOutcome> {
  if (m.def.tasks['transfer.report'] && patched(PATCH.transferWorkflow)) return transferAsChild(m, reason);
  await m.stage('criminal-transfer');
  await m.record('criminal-transfer.reported', `涉嫌犯罪，报请移送：${reason}`, { data: { reason } });
  const approval = outcome(await task(m, 'transfer.approve'), criminalTransferOutcomes['transfer.approve']);
  if (approval === 'refuse') {
    m.finding('criminalTransfer', 'refused');
    return 'refused';
  }
  await task(m, 'transfer.handover');
  const decision = outcome(await task(m, 'transfer.police-decision'), criminalTransferOutcomes['transfer.police-decision']);
  m.finding('criminalTransfer', decision);
  return decision;
}
