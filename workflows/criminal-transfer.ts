/**
 * 行刑衔接 as its own workflow (国务院令第310号, DOMAIN §8; the step table is in domain/transfer.ts):
 * a child of the matter whose steps are department tasks of the agency and the police, each clocked
 * from the event its article names (the report, the approval, the receipt, the notice) and
 * laddered in hours. The matter waits for the outcome: refused, filed or not filed.
 */
import {
  CancellationScope,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  isCancellation,
  setCurrentDetails,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { toShanghaiIso } from '../domain/calendar/index.js';
import { departmentName, divisionName } from '../domain/departments.js';
import { SA } from '../domain/search-attributes.js';
import type { TaskResult } from '../domain/task.js';
import {
  criminalTransferInputSchema, transferOutcomes, transferStepNames,
  type CriminalTransferInput, type TransferResult, type TransferStepKey, type TransferView,
} from '../domain/transfer.js';
import { transferMaterialNames, type TransferMaterial } from '../domain/transfer-materials.js';
import { departmentTask } from './department-task.js';
import { clone, recorder } from './recording.js';
import { parseOrRefuse } from './refusal.js';
import { writes } from './activities.js';

const { recordTransferEvent, closeInterruptedTask } = writes;
const HOUR_MS = 3_600_000;

export const getTransferQuery = defineQuery<TransferView>('getTransfer');
/**
 * Sent to the matter once the head approved the transfer: from then on the matter may not end
 * without it (a fine never replaces a transfer, art. 11).
 */
export const transferApprovedSignal = defineSignal<[{ transferId: string }]>('transferApproved');

type StepEnd = TaskResult & { taskId: string };

export async function criminalTransfer(args: CriminalTransferInput): Promise<TransferResult> {
  // A run started around the matter with bad input fails at once instead of retrying for ever.
  const input = parseOrRefuse(criminalTransferInputSchema, args);
  const info = workflowInfo();
  const now = () => toShanghaiIso(Date.now());
  const agencyName = departmentName(input.agency);
  const view: TransferView = {
    transferId: info.workflowId, matterId: input.matterId, county: input.county, scenario: input.scenario,
    agency: input.agency, police: input.police, reason: input.reason, state: 'running',
    step: 'transfer.report', stepName: transferStepNames['transfer.report'],
    forwarded: [], tasks: [], createdAt: now(), lastEventSeq: 0,
  };
  setHandler(getTransferQuery, () => view);
  let taskCounter = 0;
  /** When the step before ended: the event the next article counts from (report, approval, notice). */
  let previousStepEndedAt: number | undefined;

  function publishState() {
    const open = view.tasks.filter((t) => t.state === 'running').map((t) => departmentName(t.department));
    setCurrentDetails(view.state === 'running'
      ? `**${view.stepName}** · ${open.length ? `等待 ${[...new Set(open)].join('、')}` : '处理中'}`
      : `**已结束** · ${({ refused: '不批准移送', filed: '公安机关已立案', 'not-filed': '公安机关不予立案', cancelled: '已终止' } as const)[view.state]}`);
  }

  const record = recorder({ view, county: input.county, idField: 'transferId', write: recordTransferEvent, publish: publishState });

  const agencyNotice = (kind: string, title: string, body: string) => ({
    kind, title, body, recipients: [{ county: input.county, department: input.agency }, { county: input.county, role: 'supervisor' as const }],
  });

  /**
   * One step as a department task, until its department reports. A task ended outside the API
   * (cancelled, terminated) is recorded and issued again: the transfer cannot go on without the
   * step, and the statutory clock keeps counting from the same event.
   */
  async function step(key: TransferStepKey, department: string, county = input.county): Promise<StepEnd> {
    view.step = key;
    view.stepName = transferStepNames[key];
    const spec = input.steps[key];
    for (;;) {
      let handle;
      let taskId = '';
      for (;;) {
        taskId = `${info.workflowId}/task:${department}:${++taskCounter}`;
        try {
          handle = await startChild(departmentTask, {
            workflowId: taskId,
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            args: [{
              county, department, title: spec.title, instructions: spec.instructions,
              matterId: input.matterId, scenario: input.scenario, leadDepartment: input.agency,
              limits: spec.limits, ladder: input.ladder, outcomes: [...transferOutcomes[key]],
              clockOrigins: {
                ...(input.matterOpenedAt !== undefined ? { matterOpenedAt: input.matterOpenedAt } : {}),
                ...(previousStepEndedAt !== undefined ? { previousStepEndedAt } : {}),
              },
              ...(spec.decidedBy ? { decidedBy: spec.decidedBy } : {}),
              ...(spec.review ? { review: spec.review } : {}),
              ...(spec.requires ? { requires: spec.requires } : {}),
              ...(spec.ladderScale ? { ladderScale: spec.ladderScale } : {}),
              ...(spec.returnable !== undefined ? { returnable: spec.returnable } : {}),
            }],
            parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
            staticSummary: `${departmentName(department)} · ${spec.title}`.slice(0, 200),
            staticDetails: `**行刑衔接** · ${divisionName(county)} · ${input.reason}\n\n${spec.instructions}`,
            typedSearchAttributes: [
              { key: SA.County, value: county },
              { key: SA.Scenario, value: input.scenario },
              { key: SA.MatterId, value: input.matterId },
              { key: SA.Department, value: department },
              { key: SA.LeadDepartment, value: input.agency },
            ],
          });
          break;
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      const ref: TransferView['tasks'][number] = { taskId, key, department, county, state: 'running' };
      view.tasks.push(ref);
      await record('transfer.task-assigned', `${transferStepNames[key]}：派单至${departmentName(department)}`, { data: { taskId, key, department, county } });
      let result: TaskResult | undefined;
      try {
        result = await handle.result();
      } catch (err) {
        if (CancellationScope.current().consideredCancelled) {
          ref.state = 'cancelled';
          throw err;
        }
      }
      if (result?.state === 'completed') {
        ref.state = 'completed';
        if (result.submission?.outcome) ref.outcome = result.submission.outcome;
        // The next article counts from this step's own act (the report, the approval, the
        // notice), as the task recorded it, not from when the transfer heard of it.
        previousStepEndedAt = result.submission?.at ? Date.parse(result.submission.at) : Date.now();
        return { ...result, taskId };
      }
      // Not ended by its department (cancelled or terminated outside the API; transfer steps
      // cannot be returned): on the record, the supervisors told, issued again.
      ref.state = 'interrupted';
      // A terminated task cannot close its own inbox row: the transfer does, with what it knows of it.
      const at = now();
      await closeInterruptedTask({
        view: {
          taskId, county, department, title: spec.title, instructions: spec.instructions, matterId: input.matterId,
          scenario: input.scenario, leadDepartment: input.agency, outcomes: [...transferOutcomes[key]], state: 'cancelled',
          assignedAt: at, closedAt: at, deadlines: [], overdue: false, escalationLevel: 0, escalations: [], extensions: [], reviews: [],
          cancelled: { reason: '任务在系统外终止，已重新派发', at }, lastEventSeq: 0,
        },
      });
      await record('transfer.task-interrupted', `${departmentName(department)}「${spec.title}」在系统外终止，已重新派发`, {
        data: { taskId, key },
        notifications: [{
          kind: 'transfer.task-interrupted', title: `移送环节中断：${spec.title}`,
          body: `${departmentName(department)}的「${spec.title}」在系统外终止，移送不能缺少该环节，已重新派发。法定期限仍自原事件起算。`,
          recipients: [{ county: input.county, role: 'supervisor' }],
        }],
      });
    }
  }

  const outcomeOf = <K extends TransferStepKey>(key: K, end: StepEnd): (typeof transferOutcomes)[K][number] => {
    const o = end.submission?.outcome;
    if (o !== undefined && (transferOutcomes[key] as readonly string[]).includes(o)) return o as (typeof transferOutcomes)[K][number];
    throw new Error(`${end.taskId} ended with outcome ${o ?? '(none)'}, expected one of ${transferOutcomes[key].join(', ')}`);
  };

  async function end(outcome: TransferResult['outcome'], summary: string, data: Record<string, unknown> = {}): Promise<TransferResult> {
    view.state = outcome;
    view.step = 'ended';
    view.stepName = transferStepNames.ended;
    view.closedAt = now();
    await record('transfer.ended', summary, {
      data: { outcome, ...data },
      notifications: [agencyNotice('transfer.ended', `移送结果：${input.reason}`, summary)],
    });
    return { transferId: info.workflowId, outcome, procuratorateSuggested: view.procuratorateSuggestedAt !== undefined };
  }

  /** Art. 12: after the filing notice the agency hands over the seized goods and the file. */
  async function handOverEvidence(): Promise<TransferResult> {
    await step('transfer.evidence', input.agency);
    view.evidenceHandedOverAt = now();
    await record('transfer.evidence-handed-over', `${agencyName}已移交涉案物品和材料（第12条）`);
    return end('filed', `公安机关已立案；${agencyName}已移交涉案物品和材料`);
  }

  async function suggestSupervision(after: string): Promise<void> {
    view.procuratorateSuggestedAt = now();
    await record('transfer.procuratorate-suggested', `${agencyName}建议人民检察院立案监督（第9条）`, {
      notifications: [{
        kind: 'transfer.procuratorate-suggested', title: `立案监督建议：${input.reason}`,
        body: `${agencyName}移送的涉嫌犯罪案件，公安机关${after}不予立案，${agencyName}建议依法进行立案监督。`,
        recipients: [{ county: input.county, department: 'procuratorate' }, { county: input.county, role: 'supervisor' }],
      }],
    });
  }

  try {
    await record('transfer.opened', `涉嫌犯罪，启动移送程序：${input.reason}`, {
      data: { matterId: input.matterId, agency: input.agency, police: input.police },
    });

    // Art. 5: the case group (at least two officers) reports in writing.
    const report = await step('transfer.report', input.agency);
    view.caseGroup = report.submission?.caseGroup ?? [];
    view.reportedAt = now();
    await record('transfer.reported', `专案组（${view.caseGroup.length}名执法人员）提出移送报告`, {
      data: { officers: view.caseGroup.length },
    });

    // Art. 5: the head approves or refuses within 3 days of the report; a refusal keeps its reason.
    const approval = await step('transfer.approve', input.agency);
    const decision = outcomeOf('transfer.approve', approval);
    const reason = approval.submission?.summary ?? '';
    view.approval = { decision, reason, at: now() };
    if (decision === 'refuse') {
      await record('transfer.refused', `正职负责人不批准移送：${reason}`, { data: { reason } });
      return await end('refused', `不批准移送，理由已记录在案：${reason}`, { reason });
    }
    await record('transfer.approved', '正职负责人批准移送，24小时内移送同级公安机关');
    if (info.parent) await getExternalWorkflowHandle(info.parent.workflowId).signal(transferApprovedSignal, { transferId: info.workflowId });

    // Art. 5, 6: hand-over within 24 hours of the approval, with the listed materials.
    const handover = await step('transfer.handover', input.agency);
    const materials: TransferMaterial[] = handover.submission?.materials ?? [];
    view.handedOver = { at: now(), materials };
    await record('transfer.handed-over', `已移送${departmentName(input.police)}：${materials.map((m) => transferMaterialNames[m]).join('、')}`, {
      data: { materials },
    });

    // Art. 7, 8: the police sign within 24 hours; an organ without jurisdiction forwards within
    // 24 hours of the receipt and tells the agency; the organ that keeps it decides within 3 days.
    let policeCounty = input.county;
    let filed: boolean;
    for (;;) {
      const police = await step('transfer.police-decision', input.police, policeCounty);
      const outcome = outcomeOf('transfer.police-decision', police);
      if (outcome === 'forwarded') {
        const to = police.submission!.forwardedTo!;
        // The 24 hours run from the receipt: the police's sign-for of the task.
        const forwardedMs = police.submission?.at ? Date.parse(police.submission.at) : Date.now();
        const receivedMs = police.signedAt ? Date.parse(police.signedAt) : forwardedMs;
        const withinHours = forwardedMs - receivedMs <= 24 * HOUR_MS;
        view.forwarded.push({ organ: to.organ, ...(to.county ? { county: to.county } : {}), at: now(), withinHours });
        await record('transfer.forwarded', `${divisionName(policeCounty)}${departmentName(input.police)}转送${to.organ}（不属本机关管辖）${withinHours ? '' : '，超过24小时'}`, {
          data: { organ: to.organ, county: to.county ?? policeCounty, withinHours },
          notifications: [agencyNotice('transfer.forwarded', `案件已转送：${input.reason}`, `公安机关告知：案件不属其管辖，已转送${to.organ}（第7条）。`)],
        });
        policeCounty = to.county ?? policeCounty;
        continue;
      }
      filed = outcome === 'filed';
      view.policeDecision = { decision: outcome, reason: police.submission?.summary ?? '', at: now(), county: policeCounty };
      await record(filed ? 'transfer.filed' : 'transfer.not-filed', filed ? '公安机关决定立案，已书面通知移送机关' : `公安机关决定不予立案：${view.policeDecision.reason}`, {
        data: { decision: outcome, county: policeCounty },
        notifications: [agencyNotice(`transfer.${outcome}`, `${filed ? '立案' : '不予立案'}通知：${input.reason}`, filed
          ? `公安机关已立案。请自接到立案通知书之日起3日内移交涉案物品和材料（第12条）。`
          : `公安机关不予立案，理由：${view.policeDecision.reason}。可自接到通知书之日起3日内提请复议或建议检察院立案监督（第9条）。`)],
      });
      break;
    }
    if (filed) return await handOverEvidence();

    // Art. 9: within 3 days of the notice the agency may ask the police to reconsider, or suggest
    // the procuratorate's supervision; otherwise it deals with the case itself (art. 10).
    const next = outcomeOf('transfer.reconsider', await step('transfer.reconsider', input.agency));
    if (next === 'procuratorate') await suggestSupervision('');
    if (next === 'reconsideration') {
      view.reconsideration = { requestedAt: now() };
      await record('transfer.reconsideration-requested', `${agencyName}提请公安机关复议（第9条）`);
      const again = outcomeOf('transfer.reconsideration', await step('transfer.reconsideration', input.police, policeCounty));
      view.reconsideration = { ...view.reconsideration, decision: again, decidedAt: now() };
      await record('transfer.reconsidered', again === 'filed' ? '公安机关复议后决定立案' : '公安机关复议后维持不予立案', {
        data: { decision: again },
        notifications: [agencyNotice('transfer.reconsidered', `复议决定：${input.reason}`, again === 'filed'
          ? '公安机关复议后决定立案，请3日内移交涉案物品和材料（第12条）。'
          : '公安机关复议后维持不予立案。仍有异议的，可自收到复议决定通知书之日起3日内建议检察院立案监督（第9条）。')],
      });
      if (again === 'filed') return await handOverEvidence();
      if (outcomeOf('transfer.supervision', await step('transfer.supervision', input.agency)) === 'procuratorate') await suggestSupervision('复议后');
    }
    return await end('not-filed', `公安机关不予立案${view.procuratorateSuggestedAt ? '，已建议检察院立案监督' : ''}；${agencyName}依法作出处理（第10条）`);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(async () => {
      for (const t of view.tasks) if (t.state === 'running') t.state = 'cancelled';
      view.state = 'cancelled';
      view.step = 'ended';
      view.stepName = transferStepNames.ended;
      view.closedAt = now();
      view.cancelled = { reason: '所属事项已结束', at: view.closedAt };
      await record('transfer.ended', '移送程序终止：所属事项已结束', { data: { outcome: 'cancelled' } });
    });
    throw err;
  }
}
