/**
 * How a transfer ends: refused, filed (once the agency handed over the evidence, art. 12), not
 * filed (the agency may first suggest the procuratorate's supervision, art. 9), or cancelled with
 * its matter.
 */
import { transferStepNames, type TransferResult } from '../../domain/transfer.js';
import { now, type TransferRun } from './run.js';
import { step } from './step.js';

export async function end(run: TransferRun, outcome: TransferResult['outcome'], summary: string, data: Record<string, unknown> = {}): Promise<TransferResult> {
  const { input, info, view } = run;
  view.state = outcome;
  view.step = 'ended';
  view.stepName = transferStepNames.ended;
  view.closedAt = now();
  await run.record('transfer.ended', summary, {
    data: { outcome, ...data },
    notifications: [run.agencyNotice('transfer.ended', `移送结果：${input.reason}`, summary)],
  });
  return { transferId: info.workflowId, outcome, procuratorateSuggested: view.procuratorateSuggestedAt !== undefined };
}

/** Art. 12: after the filing notice the agency hands over the seized goods and the file. */
export async function handOverEvidence(run: TransferRun): Promise<TransferResult> {
  const { input, view, agencyName } = run;
  await step(run, 'transfer.evidence', input.agency);
  view.evidenceHandedOverAt = now();
  await run.record('transfer.evidence-handed-over', `${agencyName}已移交涉案物品和材料（第12条）`);
  return end(run, 'filed', `公安机关已立案；${agencyName}已移交涉案物品和材料`);
}

export async function suggestSupervision(run: TransferRun, after: string): Promise<void> {
  const { input, view, agencyName } = run;
  view.procuratorateSuggestedAt = now();
  await run.record('transfer.procuratorate-suggested', `${agencyName}建议人民检察院立案监督（第9条）`, {
    notifications: [
      {
        kind: 'transfer.procuratorate-suggested',
        title: `立案监督建议：${input.reason}`,
        body: `${agencyName}移送的涉嫌犯罪案件，公安机关${after}不予立案，${agencyName}建议依法进行立案监督。`,
        recipients: [
          { county: input.county, department: 'procuratorate' },
          { county: input.county, role: 'supervisor' },
        ],
      },
    ],
  });
}

/** The matter ended (or someone cancelled the run): the open steps and the transfer end with it. */
export async function endCancelled(run: TransferRun): Promise<void> {
  const { view } = run;
  for (const t of view.tasks) if (t.state === 'running') t.state = 'cancelled';
  view.state = 'cancelled';
  view.step = 'ended';
  view.stepName = transferStepNames.ended;
  view.closedAt = now();
  view.cancelled = { reason: '所属事项已结束', at: view.closedAt };
  await run.record('transfer.ended', '移送程序终止：所属事项已结束', { data: { outcome: 'cancelled' } });
}
