/**
 * One run of a jurisdiction dispute: its input, its ladder and view, who arbitrates a rung and who
 * is told, how an event is recorded and what the UI shows. The government-party patch and the
 * recorder's `patched('delta-recording')` are asked here, as the run starts.
 */
import { patched, setCurrentDetails, upsertSearchAttributes, workflowInfo, type WorkflowInfo } from '@temporalio/workflow';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { departmentName, divisionName } from '../../domain/departments.js';
import {
  defaultDisputeLadder,
  disputeInputSchema,
  disputeParties,
  disputeRungNames,
  type DisputeInput,
  type DisputeInputDraft,
  type DisputeRung,
  type DisputeView,
} from '../../domain/dispute.js';
import type { Recipient } from '../../domain/events.js';
import { hasRole, type Principal } from '../../domain/principal.js';
import { SA } from '../../domain/search-attributes.js';
import { recorder } from '../recording.js';
import { parseOrRefuse } from '../refusal.js';
import { writes } from '../activities.js';

const { recordDisputeEvent } = writes;

/** Patch: a dispute the county government is a party to skips its rung (the city decides). */
const GOVERNMENT_NOT_ARBITER = 'county-government-not-arbiter';

export const levelOf: Record<DisputeRung['rung'], number> = { negotiation: 0, coordination: 1, 'county-government': 2, city: 3 };
export const now = () => toShanghaiIso(Date.now());

export class DisputeRun {
  readonly input: DisputeInput;
  readonly info: WorkflowInfo = workflowInfo();
  readonly ladder: DisputeRung[];
  readonly city: string;
  readonly view: DisputeView;
  /** The rung of the ladder the dispute is on. */
  rungIndex = 0;
  /**
   * Set the moment a decision is taken, before it is recorded: validators read only state set
   * synchronously, so a second accept or decision arriving while the first is being written is
   * refused instead of passing too.
   */
  deciding = false;
  /** Counts the years' holidays published while the dispute runs (its rung's deadline is resolved again). */
  calendarVersion = 0;
  /** Appends an event and writes it (workflows/recording.ts). */
  readonly record: ReturnType<typeof recorder<DisputeView>>;

  constructor(args: DisputeInputDraft) {
    // Bad input (a run started around the API) fails the run at once instead of retrying for ever.
    const input = parseOrRefuse(disputeInputSchema, args);
    this.input = input;
    // The county government a party (the lead returned its own task to it): it cannot also decide.
    const governmentIsParty = input.parties.includes(input.settings?.countyGovernment?.arbiter ?? 'county-government') && patched(GOVERNMENT_NOT_ARBITER);
    const ladder = input.ladder ?? defaultDisputeLadder(input.kind, !!input.otherCounty || governmentIsParty, input.settings);
    this.ladder = ladder;
    this.city = `${input.county.slice(0, 4)}00`;

    this.view = {
      disputeId: this.info.workflowId,
      county: input.county,
      ...(input.matterId ? { matterId: input.matterId } : {}),
      taskKey: input.taskKey,
      taskTitle: input.taskTitle,
      parties: input.parties,
      returnedBy: input.returnedBy,
      reason: input.reason,
      kind: input.kind,
      ...(input.otherCounty ? { otherCounty: input.otherCounty } : {}),
      state: 'open',
      rung: ladder[0]!.rung,
      rungName: disputeRungNames[ladder[0]!.rung],
      level: levelOf[ladder[0]!.rung],
      // Returning the task is the returning department's "decline".
      positions: [{ department: input.returnedBy, position: 'decline', reason: input.reason, at: now() }],
      history: [],
      lastEventSeq: 0,
    };

    this.record = recorder({ view: this.view, county: input.county, idField: 'disputeId', write: recordDisputeEvent, publish: () => this.publish() });
  }

  // ---- who arbitrates, who is told ----
  arbiterOf(r: DisputeRung): DisputeView['arbiter'] {
    const { input, city } = this;
    return r.rung === 'negotiation'
      ? undefined
      : r.rung === 'city'
        ? { county: city }
        : { county: input.county, ...(r.arbiter ? { department: r.arbiter } : {}) };
  }

  arbiterRecipients(r: DisputeRung): Recipient[] {
    const a = this.arbiterOf(r);
    if (!a) return this.partyRecipients();
    return a.department
      ? [{ county: a.county, department: a.department }]
      : [
          { county: a.county, role: 'arbiter' },
          { county: a.county, role: 'supervisor' },
        ];
  }

  partyRecipients(): Recipient[] {
    return disputeParties(this.input).map((x) => ({ county: x.county, department: x.department }));
  }

  isArbiter(actor: Principal, r: DisputeRung): boolean {
    const a = this.arbiterOf(r);
    if (!a) return false;
    if (actor.county !== a.county) return false;
    return a.department ? actor.department === a.department && hasRole(actor, 'arbiter') : hasRole(actor, 'arbiter', 'supervisor');
  }

  /** Search attributes and the UI's current details follow every change. */
  publish(): void {
    const { view, input } = this;
    upsertSearchAttributes([
      { key: SA.TaskState, value: view.state === 'open' ? view.rung : view.state },
      { key: SA.EscalationLevel, value: view.level },
      { key: SA.DueAt, value: view.state === 'open' && view.dueAt ? new Date(view.dueAt) : null },
      { key: SA.Department, value: view.arbiter?.department ?? (view.rung === 'negotiation' ? input.parties[0]! : 'city') },
    ]);
    const who = view.arbiter
      ? view.arbiter.department
        ? departmentName(view.arbiter.department)
        : `${divisionName(view.arbiter.county)}（督办/裁决）`
      : input.parties.map(departmentName).join('、');
    setCurrentDetails(
      view.state === 'open'
        ? `**${view.rungName}** · 等待 ${who} ${view.rung === 'negotiation' ? '协商表态' : '作出决定'}，期限 ${view.dueAt ?? ''}${view.temporaryLead ? `\n\n临时牵头：${departmentName(view.temporaryLead.department)}` : ''}`
        : view.state === 'ended'
          ? `**已终止**（未作决定）：${view.ended?.reason ?? ''}`
          : `**已指定管辖**：${departmentName(view.decision!.department)}（${disputeRungNames[view.decision!.rung as DisputeRung['rung']] ?? view.decision!.rung}）`,
    );
  }
}
