/**
 * One run of an approval follow-up: its input, its view, who is told and how an event is
 * recorded. `patched('delta-recording')` is asked here, as the run starts (the recorder).
 */
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import {
  approvalBureau,
  approvalEventNames,
  approvalInputSchema,
  approvalStateNames,
  checkOutcomes,
  type ApprovalInput,
  type ApprovalInputDraft,
  type ApprovalState,
  type ApprovalView,
} from '../../domain/approval.js';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { departmentName } from '../../domain/departments.js';
import type { Recipient } from '../../domain/events.js';
import { SA } from '../../domain/search-attributes.js';
import { writes } from '../activities.js';
import { recorder } from '../recording.js';
import { parseOrRefuse } from '../refusal.js';

const { recordApprovalEvent } = writes;

export const now = () => toShanghaiIso(Date.now());

export class ApprovalRun {
  readonly info = workflowInfo();
  readonly input: ApprovalInput;
  readonly view: ApprovalView;
  readonly record: ReturnType<typeof recorder<ApprovalView>>;
  /**
   * What notices and the task's title call it: the event and the id's number (`准予许可 2026-0001`),
   * never the subject's name (personal data for a person or a sole trader).
   */
  readonly ref: string;
  /** What users read for the licence type: the county's name for it, else its code. */
  readonly licenceTypeName: string;
  taskCounter = 0;

  constructor(args: ApprovalInputDraft) {
    // Bad input (a run started around the API) fails the run at once.
    this.input = parseOrRefuse(approvalInputSchema, args);
    const input = this.input;
    this.ref = `${approvalEventNames[input.event]} ${this.info.workflowId.split(':').at(-1)}`;
    this.licenceTypeName = input.licence.typeName ?? input.licence.type;
    this.view = {
      followUpId: this.info.workflowId,
      county: input.county,
      event: input.event,
      eventName: approvalEventNames[input.event],
      licence: {
        type: input.licence.type,
        ...(input.licence.typeName ? { typeName: input.licence.typeName } : {}),
        number: input.licence.number,
      },
      subject: { kind: input.subject.kind, ...(input.subject.creditCode ? { creditCode: input.subject.creditCode } : {}) },
      department: input.department,
      routedBy: input.routedBy,
      state: 'checking',
      stateName: approvalStateNames.checking,
      decidedAt: toShanghaiIso(input.decidedAt),
      receivedAt: toShanghaiIso(input.receivedAt),
      firstCheck: { workingDays: input.firstCheckWorkingDays, outcomes: [...checkOutcomes(input.event)] },
      tasks: [],
      lastEventSeq: 0,
    };
    this.record = recorder({ view: this.view, county: input.county, idField: 'followUpId', write: recordApprovalEvent, publish: () => this.publishState() });
  }

  setState(state: ApprovalState) {
    this.view.state = state;
    this.view.stateName = approvalStateNames[state];
  }

  /** The county's approval bureau (行政审批服务局), as a recipient: the reverse push goes to it. */
  bureau(): Recipient[] {
    return [{ county: this.input.county, department: approvalBureau }];
  }

  /** Search attributes and the UI's current details follow every change; neither names the subject. */
  publishState() {
    upsertSearchAttributes([
      { key: SA.County, value: this.input.county },
      { key: SA.TaskState, value: this.view.state },
    ]);
    setCurrentDetails(`**${this.view.stateName}** · ${this.ref} · ${departmentName(this.input.department)}`);
  }
}
