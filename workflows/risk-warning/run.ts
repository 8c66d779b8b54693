/**
 * One run of a risk warning: its input, its view, who may act (the county's supervisors for the
 * joint review, the issuer side for the feedback), who is told, and how an event is recorded.
 * `patched('delta-recording')` is asked here, as the run starts (the recorder).
 */
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { departmentName } from '../../domain/departments.js';
import type { Recipient } from '../../domain/events.js';
import { coversCounty, hasRole, type Principal } from '../../domain/principal.js';
import {
  initialRiskWarningView,
  riskLevelNames,
  riskWarningInputSchema,
  riskWarningStateNames,
  type PushAudience,
  type RiskWarningInput,
  type RiskWarningInputDraft,
  type RiskWarningState,
  type RiskWarningView,
} from '../../domain/risk-warning.js';
import { SA } from '../../domain/search-attributes.js';
import { writes } from '../activities.js';
import { recorder } from '../recording.js';
import { parseOrRefuse, refuse } from '../refusal.js';

const { recordRiskWarningEvent } = writes;

export const now = () => toShanghaiIso(Date.now());

export class RiskWarningRun {
  readonly info = workflowInfo();
  readonly input: RiskWarningInput;
  readonly view: RiskWarningView;
  readonly record: ReturnType<typeof recorder<RiskWarningView>>;
  /** When it was pushed (epoch ms): the verification clock's origin, kept by a re-issued task. */
  readonly pushedAtMs: number;
  /**
   * What notices and task titles call it: the level and the id's number (`红色预警 2026-0001`),
   * never the subject's name (personal data for a person or a sole trader).
   */
  readonly ref: string;
  taskCounter = 0;
  review: { conclusion: string; disposers?: string[] | undefined; jointInspection: boolean; actor: Principal } | undefined;
  feedback: { summary: string; actor: Principal } | undefined;

  constructor(args: RiskWarningInputDraft) {
    // Bad input (a run started around the API) fails the run at once.
    this.input = parseOrRefuse(riskWarningInputSchema, args);
    const input = this.input;
    this.pushedAtMs = Date.now();
    this.ref = `${riskLevelNames[input.level]} ${this.info.workflowId.split(':').at(-1)}`;
    this.view = initialRiskWarningView(input, this.info.workflowId, this.pushedAtMs);
    this.record = recorder({ view: this.view, county: input.county, idField: 'warningId', write: recordRiskWarningEvent, publish: () => this.publishState() });
  }

  setState(state: RiskWarningState) {
    this.view.state = state;
    this.view.stateName = riskWarningStateNames[state];
  }

  /** The joint review: supervisors of the county or a covering division (the county's 专班办公室, the city's). */
  requireSupervisor(actor: Principal) {
    if (!coversCounty(actor, this.input.county) || !hasRole(actor, 'supervisor')) refuse('Forbidden', '只有本县或上级督办人员可以组织综合研判');
  }

  /**
   * The issuer side takes the feedback: the county's operators (a model's warning comes in
   * through the platform's operator or system key, and any warning may be fed back by them), or
   * for a department's warning an officer or the head of the issuing department.
   */
  requireIssuer(actor: Principal) {
    const { input } = this;
    const operator = actor.county === input.county && hasRole(actor, 'operator');
    const issuing =
      !!input.issuingDepartment && actor.county === input.county && actor.department === input.issuingDepartment && hasRole(actor, 'officer', 'head');
    if (!operator && !issuing) {
      refuse('Forbidden', input.issuingDepartment ? `只有${departmentName(input.issuingDepartment)}或本县运营人员可以反馈` : '只有本县运营人员可以反馈');
    }
  }

  /** The issuer side, as recipients of a notice. */
  issuer(): Recipient[] {
    const { input } = this;
    return input.issuingDepartment ? [{ county: input.county, department: input.issuingDepartment }] : [{ county: input.county, role: 'operator' }];
  }

  supervisors(): Recipient[] {
    return [{ county: this.input.county, role: 'supervisor' }];
  }

  departments(ds: readonly string[]): Recipient[] {
    return ds.map((department) => ({ county: this.input.county, department }));
  }

  audience(a: PushAudience): Recipient[] {
    const { county } = this.input;
    switch (a) {
      case 'county-supervisors':
        return this.supervisors();
      case 'county-government':
        return [{ county, department: 'county-government' }];
      case 'higher-authority':
        return [{ county: `${county.slice(0, 4)}00`, role: 'supervisor' }];
    }
  }

  /** Search attributes and the UI's current details follow every change; neither names the subject. */
  publishState() {
    upsertSearchAttributes([
      { key: SA.County, value: this.input.county },
      { key: SA.TaskState, value: this.view.state },
    ]);
    setCurrentDetails(`**${this.view.stateName}** · ${this.ref} · ${this.view.departments.map(departmentName).join('、')}`);
  }
}
