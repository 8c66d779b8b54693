/**
 * One run of a criminal transfer: its input and view, the steps issued so far, how an event is
 * recorded and what the UI shows. The recorder's `patched('delta-recording')` is asked here, as
 * the run starts.
 */
import { setCurrentDetails, workflowInfo, type WorkflowInfo } from '@temporalio/workflow';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { departmentName } from '../../domain/departments.js';
import { criminalTransferInputSchema, transferStepNames, type CriminalTransferInput, type TransferView } from '../../domain/transfer.js';
import { recorder } from '../recording.js';
import { parseOrRefuse } from '../refusal.js';
import { writes } from '../activities.js';

const { recordTransferEvent } = writes;

export const now = () => toShanghaiIso(Date.now());

export class TransferRun {
  readonly input: CriminalTransferInput;
  readonly info: WorkflowInfo = workflowInfo();
  readonly agencyName: string;
  readonly view: TransferView;
  taskCounter = 0;
  /** When the step before ended: the event the next article counts from (report, approval, notice). */
  previousStepEndedAt: number | undefined;
  /** Appends an event and writes it (workflows/recording.ts). */
  readonly record: ReturnType<typeof recorder<TransferView>>;

  constructor(args: CriminalTransferInput) {
    // A run started around the matter with bad input fails at once instead of retrying for ever.
    const input = parseOrRefuse(criminalTransferInputSchema, args);
    this.input = input;
    this.agencyName = departmentName(input.agency);
    this.view = {
      transferId: this.info.workflowId,
      matterId: input.matterId,
      county: input.county,
      scenario: input.scenario,
      agency: input.agency,
      police: input.police,
      reason: input.reason,
      state: 'running',
      step: 'transfer.report',
      stepName: transferStepNames['transfer.report'],
      forwarded: [],
      tasks: [],
      createdAt: now(),
      lastEventSeq: 0,
    };
    this.record = recorder({ view: this.view, county: input.county, idField: 'transferId', write: recordTransferEvent, publish: () => this.publishState() });
  }

  /** The UI's current details follow every change. */
  publishState(): void {
    const { view } = this;
    const open = view.tasks.filter((t) => t.state === 'running').map((t) => departmentName(t.department));
    setCurrentDetails(
      view.state === 'running'
        ? `**${view.stepName}** · ${open.length ? `等待 ${[...new Set(open)].join('、')}` : '处理中'}`
        : `**已结束** · ${({ refused: '不批准移送', filed: '公安机关已立案', 'not-filed': '公安机关不予立案', cancelled: '已终止' } as const)[view.state]}`,
    );
  }

  /** A notice to the agency and the county's supervisors. */
  agencyNotice(kind: string, title: string, body: string) {
    const { input } = this;
    return {
      kind,
      title,
      body,
      recipients: [
        { county: input.county, department: input.agency },
        { county: input.county, role: 'supervisor' as const },
      ],
    };
  }
}
