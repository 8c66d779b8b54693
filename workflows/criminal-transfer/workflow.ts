/**
 * 行刑衔接 as its own workflow (国务院令第310号, DOMAIN §8; the step table is in domain/transfer.ts):
 * a child of the matter whose steps are department tasks of the agency and the police, each clocked
 * from the event its article names (the report, the approval, the receipt, the notice) and
 * laddered in hours. The matter waits for the outcome: refused, filed or not filed.
 */
import { recordingCancellation } from '../withdrawal.js';
import { getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import { departmentName, divisionName } from '../../domain/departments.js';
import type { CriminalTransferInput, TransferResult } from '../../domain/transfer.js';
import { transferMaterialNames, type TransferMaterial } from '../../domain/transfer-materials.js';
import { end, endCancelled, handOverEvidence, suggestSupervision } from './ending.js';
import { getTransferQuery, transferApprovedSignal } from './messages.js';
import { now, TransferRun } from './run.js';
import { outcomeOf, step } from './step.js';

const HOUR_MS = 3_600_000;

export async function criminalTransfer(args: CriminalTransferInput): Promise<TransferResult> {
  const run = new TransferRun(args);
  const { input, info, view, agencyName } = run;
  setHandler(getTransferQuery, () => view);

  return recordingCancellation(
    async () => {
      await run.record('transfer.opened', `涉嫌犯罪，启动移送程序：${input.reason}`, {
        data: { matterId: input.matterId, agency: input.agency, police: input.police },
      });

      // Art. 5: the case group (at least two officers) reports in writing.
      const report = await step(run, 'transfer.report', input.agency);
      view.caseGroup = report.submission?.caseGroup ?? [];
      view.reportedAt = now();
      await run.record('transfer.reported', `专案组（${view.caseGroup.length}名执法人员）提出移送报告`, {
        data: { officers: view.caseGroup.length },
      });

      // Art. 5: the head approves or refuses within 3 days of the report; a refusal keeps its reason.
      const approval = await step(run, 'transfer.approve', input.agency);
      const decision = outcomeOf('transfer.approve', approval);
      const reason = approval.submission?.summary ?? '';
      view.approval = { decision, reason, at: now() };
      if (decision === 'refuse') {
        await run.record('transfer.refused', `正职负责人不批准移送：${reason}`, { data: { reason } });
        return await end(run, 'refused', `不批准移送，理由已记录在案：${reason}`, { reason });
      }
      await run.record('transfer.approved', '正职负责人批准移送，24小时内移送同级公安机关');
      if (info.parent) await getExternalWorkflowHandle(info.parent.workflowId).signal(transferApprovedSignal, { transferId: info.workflowId });

      // Art. 5, 6: hand-over within 24 hours of the approval, with the listed materials.
      const handover = await step(run, 'transfer.handover', input.agency);
      const materials: TransferMaterial[] = handover.submission?.materials ?? [];
      view.handedOver = { at: now(), materials };
      await run.record('transfer.handed-over', `已移送${departmentName(input.police)}：${materials.map((m) => transferMaterialNames[m]).join('、')}`, {
        data: { materials },
      });

      // Art. 7, 8: the police sign within 24 hours; an organ without jurisdiction forwards within
      // 24 hours of the receipt and tells the agency; the organ that keeps it decides within 3 days.
      let policeCounty = input.county;
      let filed: boolean;
      for (;;) {
        const police = await step(run, 'transfer.police-decision', input.police, policeCounty);
        const outcome = outcomeOf('transfer.police-decision', police);
        if (outcome === 'forwarded') {
          const to = police.submission!.forwardedTo!;
          // The 24 hours run from the receipt: the police's sign-for of the task.
          const forwardedMs = police.submission?.at ? Date.parse(police.submission.at) : Date.now();
          const receivedMs = police.signedAt ? Date.parse(police.signedAt) : forwardedMs;
          const withinHours = forwardedMs - receivedMs <= 24 * HOUR_MS;
          view.forwarded.push({ organ: to.organ, ...(to.county ? { county: to.county } : {}), at: now(), withinHours });
          await run.record(
            'transfer.forwarded',
            `${divisionName(policeCounty)}${departmentName(input.police)}转送${to.organ}（不属本机关管辖）${withinHours ? '' : '，超过24小时'}`,
            {
              data: { organ: to.organ, county: to.county ?? policeCounty, withinHours },
              notifications: [
                run.agencyNotice('transfer.forwarded', `案件已转送：${input.reason}`, `公安机关告知：案件不属其管辖，已转送${to.organ}（第7条）。`),
              ],
            },
          );
          policeCounty = to.county ?? policeCounty;
          continue;
        }
        filed = outcome === 'filed';
        view.policeDecision = { decision: outcome, reason: police.submission?.summary ?? '', at: now(), county: policeCounty };
        await run.record(
          filed ? 'transfer.filed' : 'transfer.not-filed',
          filed ? '公安机关决定立案，已书面通知移送机关' : `公安机关决定不予立案：${view.policeDecision.reason}`,
          {
            data: { decision: outcome, county: policeCounty },
            notifications: [
              run.agencyNotice(
                `transfer.${outcome}`,
                `${filed ? '立案' : '不予立案'}通知：${input.reason}`,
                filed
                  ? `公安机关已立案。请自接到立案通知书之日起3日内移交涉案物品和材料（第12条）。`
                  : `公安机关不予立案，理由：${view.policeDecision.reason}。可自接到通知书之日起3日内提请复议或建议检察院立案监督（第9条）。`,
              ),
            ],
          },
        );
        break;
      }
      if (filed) return await handOverEvidence(run);

      // Art. 9: within 3 days of the notice the agency may ask the police to reconsider, or suggest
      // the procuratorate's supervision; otherwise it deals with the case itself (art. 10).
      const next = outcomeOf('transfer.reconsider', await step(run, 'transfer.reconsider', input.agency));
      if (next === 'procuratorate') await suggestSupervision(run, '');
      if (next === 'reconsideration') {
        view.reconsideration = { requestedAt: now() };
        await run.record('transfer.reconsideration-requested', `${agencyName}提请公安机关复议（第9条）`);
        const again = outcomeOf('transfer.reconsideration', await step(run, 'transfer.reconsideration', input.police, policeCounty));
        view.reconsideration = { ...view.reconsideration, decision: again, decidedAt: now() };
        await run.record('transfer.reconsidered', again === 'filed' ? '公安机关复议后决定立案' : '公安机关复议后维持不予立案', {
          data: { decision: again },
          notifications: [
            run.agencyNotice(
              'transfer.reconsidered',
              `复议决定：${input.reason}`,
              again === 'filed'
                ? '公安机关复议后决定立案，请3日内移交涉案物品和材料（第12条）。'
                : '公安机关复议后维持不予立案。仍有异议的，可自收到复议决定通知书之日起3日内建议检察院立案监督（第9条）。',
            ),
          ],
        });
        if (again === 'filed') return await handOverEvidence(run);
        if (outcomeOf('transfer.supervision', await step(run, 'transfer.supervision', input.agency)) === 'procuratorate')
          await suggestSupervision(run, '复议后');
      }
      return await end(
        run,
        'not-filed',
        `公安机关不予立案${view.procuratorateSuggestedAt ? '，已建议检察院立案监督' : ''}；${agencyName}依法作出处理（第10条）`,
      );
    },
    () => endCancelled(run),
  );
}
