/**
 * One run of a clue: its input, its view, who may act (the 12345 office, the supervisors) and how
 * an event is recorded. `patched('delta-recording')` is asked here, as the run starts (the recorder).
 */
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { clueInputSchema, clueStateNames, type ClueInput, type ClueInputDraft, type ClueState, type ClueView } from '../../domain/clue.js';
import { departmentName } from '../../domain/departments.js';
import { coversCounty, hasRole, type Principal } from '../../domain/principal.js';
import { SA } from '../../domain/search-attributes.js';
import { writes } from '../activities.js';
import { recorder } from '../recording.js';
import { parseOrRefuse, refuse } from '../refusal.js';
import type { MatterEnd } from './matter.js';

const { recordClueEvent } = writes;

export const now = () => toShanghaiIso(Date.now());

/** The 12345 office: the county's government service department (政务服务管理局). */
export const OFFICE = 'gov-services';

export class ClueRun {
  readonly info = workflowInfo();
  readonly input: ClueInput;
  readonly view: ClueView;
  readonly record: ReturnType<typeof recorder<ClueView>>;
  taskCounter = 0;
  /** A dispatch the office made and the run has not carried out yet. */
  pendingDispatch: { department: string; coHandlers: string[]; actor: Principal } | undefined;
  visit: { satisfaction: ClueView['visits'][number]['satisfaction']; note?: string | undefined; actor: Principal } | undefined;
  decision: { decision: 'close' | 'rehandle'; reason: string; actor: Principal } | undefined;
  /** The matter opened from the clue (matter.ts): set as it starts, before any await; its round; its end. */
  matterOpening = false;
  matterRound: number | undefined;
  matterEnd: Promise<MatterEnd> | undefined;

  constructor(args: ClueInputDraft) {
    // Bad input (a run started around the API) fails the run at once.
    this.input = parseOrRefuse(clueInputSchema, args);
    const input = this.input;
    this.view = {
      clueId: this.info.workflowId,
      county: input.county,
      channel: input.channel,
      ref: input.ref,
      category: input.category,
      urgency: input.urgency,
      state: 'dispatching',
      stateName: clueStateNames.dispatching,
      receivedAt: toShanghaiIso(input.receivedAt ?? Date.now()),
      complainant: input.complainant,
      coHandlers: [],
      dispatches: [],
      tasks: [],
      visits: [],
      rounds: 0,
      lastEventSeq: 0,
    };
    this.record = recorder({ view: this.view, county: input.county, idField: 'clueId', write: recordClueEvent, publish: () => this.publishState() });
  }

  setState(state: ClueState) {
    this.view.state = state;
    this.view.stateName = clueStateNames[state];
  }

  /** The 12345 office of this county (its officers or head). */
  requireOffice(actor: Principal, what: string) {
    if (actor.county !== this.input.county || actor.department !== OFFICE || !hasRole(actor, 'officer', 'head')) {
      refuse('Forbidden', `只有本县12345热线办（${departmentName(OFFICE)}）可以${what}`);
    }
  }

  /** The lead department of this county (its officers or head), as the clue now stands. */
  requireLead(actor: Principal, what: string) {
    const lead = this.view.department;
    if (!lead || actor.county !== this.input.county || actor.department !== lead || !hasRole(actor, 'officer', 'head')) {
      refuse('Forbidden', `只有牵头部门${lead ? `（${departmentName(lead)}）` : ''}可以${what}`);
    }
  }

  /** The lead department's task of this round, while it runs. */
  runningLeadTask() {
    return this.view.tasks.find((t) => t.role === 'lead' && t.round === this.view.rounds && t.state === 'running');
  }

  requireSupervisor(actor: Principal) {
    if (!coversCounty(actor, this.input.county) || !hasRole(actor, 'supervisor')) refuse('Forbidden', '只有本县或上级督办人员可以作出决定');
  }

  publishState() {
    upsertSearchAttributes([
      { key: SA.County, value: this.input.county },
      { key: SA.TaskState, value: this.view.state },
      ...(this.view.department ? [{ key: SA.Department, value: this.view.department }] : []),
    ]);
    const who = this.view.department ? ` · ${departmentName(this.view.department)}` : '';
    setCurrentDetails(`**${this.view.stateName}**${who} · ${this.input.ref}`);
  }
}
