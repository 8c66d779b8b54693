/**
 * One run of a joint inspection: its input, its view, who is told, and how an event is recorded.
 * `patched('delta-recording')` is asked here, as the run starts (the recorder). No subject name
 * anywhere: ids, titles and notices name the subject by its registry id only (a person or a sole
 * trader is personal data); inspectors by their registry ids.
 */
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { departmentName } from '../../domain/departments.js';
import type { Recipient } from '../../domain/events.js';
import { checkColumns, inspectionStateNames, jointInspectionInputSchema, type InspectionView } from '../../domain/inspection.js';
import type { InspectionCheck, InspectionState, JointInspectionInput } from '../../domain/inspection-plan.js';
import { SA } from '../../domain/search-attributes.js';
import { writes } from '../activities.js';
import { recorder } from '../recording.js';
import { parseOrRefuse } from '../refusal.js';

const { recordInspectionEvent } = writes;

export const now = () => toShanghaiIso(Date.now());

export class InspectionRun {
  readonly info = workflowInfo();
  readonly input: JointInspectionInput;
  readonly view: InspectionView;
  readonly record: ReturnType<typeof recorder<InspectionView>>;
  /** What titles call it: the id's number (`联合检查 2027-0001`). */
  readonly ref: string;
  taskCounter = 0;
  /** Bumped by every change of the check list, so the run starts a task for a new department. */
  checksVersion = 0;
  /** Departments whose result (and its credit) is recorded. */
  readonly recorded = new Set<string>();

  constructor(args: JointInspectionInput) {
    // Bad input (a run started around the API) fails the run at once.
    this.input = parseOrRefuse(jointInspectionInputSchema, args) as JointInspectionInput;
    const input = this.input;
    this.ref = `联合检查 ${this.info.workflowId.split(':').at(-1)}`;
    this.view = {
      inspectionId: this.info.workflowId,
      county: input.county,
      subjectId: input.subjectId,
      initiator: input.initiator,
      checks: input.checks,
      ...checkColumns(input.checks),
      visitOn: input.visitOn,
      ...(input.cause ? { cause: input.cause } : {}),
      state: 'scheduled',
      stateName: inspectionStateNames.scheduled,
      createdAt: now(),
      tasks: [],
      results: [],
      recusals: [],
      lastEventSeq: 0,
    };
    this.record = recorder({
      view: this.view,
      county: input.county,
      idField: 'inspectionId',
      write: recordInspectionEvent,
      publish: () => this.publishState(),
    });
  }

  setState(state: InspectionState) {
    this.view.state = state;
    this.view.stateName = inspectionStateNames[state];
  }

  setChecks(checks: InspectionCheck[]) {
    this.view.checks = checks;
    Object.assign(this.view, checkColumns(checks));
    this.checksVersion += 1;
  }

  check(department: string): InspectionCheck | undefined {
    return this.view.checks.find((c) => c.department === department);
  }

  allRecorded(): boolean {
    return this.view.departments.every((d) => this.recorded.has(d));
  }

  /** The participating departments (each hears of the inspection and its changes). */
  departments(only?: string[]): Recipient[] {
    return (only ?? this.view.departments).map((department) => ({ county: this.input.county, department }));
  }

  /** Search attributes and the UI's current details follow every change; neither names the subject. */
  publishState() {
    upsertSearchAttributes([
      { key: SA.County, value: this.input.county },
      { key: SA.TaskState, value: this.view.state },
    ]);
    const who = this.view.departments.map(departmentName).join('、');
    const when = this.view.visitOn ? `检查日 ${this.view.visitOn}` : '书面/非现场检查';
    setCurrentDetails(`**${this.view.stateName}** · ${this.ref} · ${when} · ${who}`);
  }
}
