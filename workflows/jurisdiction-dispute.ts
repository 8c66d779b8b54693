import {
  allHandlersFinished,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { z } from 'zod';
import { toShanghaiIso } from '../domain/calendar/index.js';
import { departmentName, divisionName } from '../domain/departments.js';
import {
  decisionInputSchema, defaultDisputeLadder, disputeInputSchema, disputeParties, disputeRungNames, isParty, positionInputSchema,
  type DisputeInputDraft, type DisputeResult, type DisputeRung, type DisputeView,
} from '../domain/dispute.js';
import type { Recipient } from '../domain/events.js';
import { hasRole, type Principal } from '../domain/principal.js';
import { SA } from '../domain/search-attributes.js';
import { clone, recorder } from './recording.js';
import { parseOrRefuse, refuse } from './refusal.js';
import { clocks, writes } from './activities.js';
import { recomputeDeadlinesSignal } from './department-task.js';

const { recordDisputeEvent } = writes;
const { resolveClock } = clocks;

export const statePositionUpdate = defineUpdate<DisputeView, [z.input<typeof positionInputSchema>]>('statePosition');
export const decideDisputeUpdate = defineUpdate<DisputeView, [z.input<typeof decisionInputSchema>]>('decideDispute');
export const getDisputeQuery = defineQuery<DisputeView>('getDispute');
/** Sent to the parent matter when an arbiter designates a temporary lead in an emergency. */
export const temporaryLeadSignal = defineSignal<[{ disputeId: string; department: string; reasoning: string }]>('temporaryLead');

/**
 * Patch: a dispute cancelled (its matter ended first) records that it ended without a decision,
 * so it leaves the parties' and arbiters' lists; before, its read model stayed `open`.
 */
const RECORD_END = 'dispute-records-end';

/** Patch: a dispute the county government is a party to skips its rung (the city decides). */
const GOVERNMENT_NOT_ARBITER = 'county-government-not-arbiter';

const levelOf: Record<DisputeRung['rung'], number> = { negotiation: 0, coordination: 1, 'county-government': 2, city: 3 };

/**
 * 管辖争议: a task returned as "not our remit" (or claimed or refused by two departments). The
 * parties negotiate; then the coordinating arbiter decides; then the common superior. Each rung
 * has a deadline with a reminder the working day before; an arbiter who stays silent hands the
 * dispute up. The decision (designated department, reasoning, legal basis) is the result the
 * parent matter acts on; an emergency temporary lead is signalled to it at once.
 */
export async function jurisdictionDispute(args: DisputeInputDraft): Promise<DisputeResult> {
  // Bad input (a run started around the API) fails the run at once instead of retrying for ever.
  const input = parseOrRefuse(disputeInputSchema, args);
  const info = workflowInfo();
  // The county government a party (the lead returned its own task to it): it cannot also decide.
  const governmentIsParty = input.parties.includes(input.settings?.countyGovernment?.arbiter ?? 'county-government') && patched(GOVERNMENT_NOT_ARBITER);
  const ladder = input.ladder ?? defaultDisputeLadder(input.kind, !!input.otherCounty || governmentIsParty, input.settings);
  const city = `${input.county.slice(0, 4)}00`;
  const now = () => toShanghaiIso(Date.now());
  let rungIndex = 0;

  const view: DisputeView = {
    disputeId: info.workflowId,
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

  const arbiterOf = (r: DisputeRung): DisputeView['arbiter'] =>
    r.rung === 'negotiation' ? undefined : r.rung === 'city' ? { county: city } : { county: input.county, ...(r.arbiter ? { department: r.arbiter } : {}) };
  const arbiterRecipients = (r: DisputeRung): Recipient[] => {
    const a = arbiterOf(r);
    if (!a) return partyRecipients();
    return a.department ? [{ county: a.county, department: a.department }] : [{ county: a.county, role: 'arbiter' }, { county: a.county, role: 'supervisor' }];
  };
  const partyRecipients = (): Recipient[] => disputeParties(input).map((x) => ({ county: x.county, department: x.department }));
  const isArbiter = (actor: Principal, r: DisputeRung) => {
    const a = arbiterOf(r);
    if (!a) return false;
    if (actor.county !== a.county) return false;
    return a.department ? actor.department === a.department && hasRole(actor, 'arbiter') : hasRole(actor, 'arbiter', 'supervisor');
  };

  function publish() {
    upsertSearchAttributes([
      { key: SA.TaskState, value: view.state === 'open' ? view.rung : view.state },
      { key: SA.EscalationLevel, value: view.level },
      { key: SA.DueAt, value: view.state === 'open' && view.dueAt ? new Date(view.dueAt) : null },
      { key: SA.Department, value: view.arbiter?.department ?? (view.rung === 'negotiation' ? input.parties[0]! : 'city') },
    ]);
    const who = view.arbiter ? (view.arbiter.department ? departmentName(view.arbiter.department) : `${divisionName(view.arbiter.county)}（督办/裁决）`) : input.parties.map(departmentName).join('、');
    setCurrentDetails(view.state === 'open'
      ? `**${view.rungName}** · 等待 ${who} ${view.rung === 'negotiation' ? '协商表态' : '作出决定'}，期限 ${view.dueAt ?? ''}${view.temporaryLead ? `\n\n临时牵头：${departmentName(view.temporaryLead.department)}` : ''}`
      : view.state === 'ended'
        ? `**已终止**（未作决定）：${view.ended?.reason ?? ''}`
        : `**已指定管辖**：${departmentName(view.decision!.department)}（${disputeRungNames[view.decision!.rung as DisputeRung['rung']] ?? view.decision!.rung}）`);
  }

  const record = recorder({ view, county: input.county, idField: 'disputeId', write: recordDisputeEvent, publish });

  const decide = async (d: { department: string; reasoning: string; legalBasis?: string | undefined }, by: string, actor?: Principal) => {
    view.state = 'decided';
    view.decision = { department: d.department, reasoning: d.reasoning, ...(d.legalBasis ? { legalBasis: d.legalBasis } : {}), by, rung: view.rung, at: now() };
    const h = view.history.at(-1);
    if (h) {
      h.to = now();
      h.outcome = 'decided';
    }
    await record('dispute.decided', `指定管辖：${departmentName(d.department)}（${view.rungName}）`, {
      ...(actor ? { actor } : {}),
      data: { department: d.department, reasoning: d.reasoning, legalBasis: d.legalBasis ?? null, rung: view.rung },
      notifications: [{
        kind: 'dispute.decided', title: `管辖争议已决定：${input.taskTitle}`,
        body: `由${departmentName(d.department)}办理。理由：${d.reasoning}${d.legalBasis ? `；依据：${d.legalBasis}` : ''}`,
        // The designated department of its own county (a party's, across counties), else of this one.
        recipients: [...partyRecipients(), { county: disputeParties(input).find((x) => x.department === d.department)?.county ?? input.county, department: d.department }, { county: input.county, role: 'supervisor' }],
      }],
    });
  };

  setHandler(getDisputeQuery, () => view);

  /**
   * Set the moment a decision is taken, before it is recorded: validators read only state set
   * synchronously, so a second accept or decision arriving while the first is being written is
   * refused instead of passing too.
   */
  let deciding = false;

  setHandler(statePositionUpdate, async (raw) => {
    const { actor, position, reason } = positionInputSchema.parse(raw);
    const department = actor.department!;
    const decides = position === 'accept' && view.state === 'open' && !deciding;
    if (decides) deciding = true;
    view.positions = [...view.positions.filter((p) => p.department !== department), { department, position, reason, at: now() }];
    await record('dispute.position', `${departmentName(department)}表态：${position === 'accept' ? '由本部门办理' : '非本部门职责'}`, { actor, data: { position, reason } });
    if (decides) await decide({ department, reasoning: `协商一致：${reason}` }, 'negotiation', actor);
    return clone(view);
  }, {
    validator: (raw) => {
      const { actor } = parseOrRefuse(positionInputSchema, raw);
      // A party is a department of a county: the same department code of the other county is not it.
      if (!isParty(input, actor) || !hasRole(actor, 'officer')) refuse('Forbidden', '只有争议当事部门可以表态');
      if (view.state !== 'open' || deciding) refuse('WrongState', '争议已决定');
      if (view.rung !== 'negotiation') refuse('WrongState', `协商期已过，争议已提交${view.rungName}`);
    },
  });

  setHandler(decideDisputeUpdate, async (raw) => {
    const { actor, department, reasoning, legalBasis, temporary } = decisionInputSchema.parse(raw);
    if (!temporary) deciding = true;
    if (temporary) {
      view.temporaryLead = { department, by: actor.department ?? actor.county, at: now(), reasoning };
      await record('dispute.temporary-lead', `紧急情况：指定${departmentName(department)}临时牵头`, {
        actor, data: { department, reasoning },
        notifications: [{ kind: 'dispute.temporary-lead', title: `临时牵头：${input.taskTitle}`, body: `争议期间由${departmentName(department)}临时牵头办理。${reasoning}`, recipients: [{ county: input.county, department }, ...partyRecipients()] }],
      });
      if (input.matterId) {
        await getExternalWorkflowHandle(input.matterId).signal(temporaryLeadSignal, { disputeId: info.workflowId, department, reasoning });
      }
    } else {
      await decide({ department, reasoning, legalBasis }, actor.department ?? actor.county, actor);
    }
    return clone(view);
  }, {
    validator: (raw) => {
      const { actor, temporary } = parseOrRefuse(decisionInputSchema, raw);
      if (view.state !== 'open' || deciding) refuse('WrongState', '争议已决定');
      // The rung the dispute shows (set with the loop's step, before its clock is resolved).
      const current = ladder.find((l) => l.rung === view.rung)!;
      // A temporary lead may come from any arbiter of the ladder at any time (no gap in
      // supervision); the decision itself only from the arbiter of the current rung.
      const allowed = temporary ? ladder.some((l) => isArbiter(actor, l)) : isArbiter(actor, current);
      if (!allowed) refuse('Forbidden', temporary ? '只有本争议的协调或决定机关可以指定临时牵头' : `当前由${view.rungName}决定，您无权作出决定`);
    },
  });

  /** A rung's deadline from its start, with the reminder the working day before. */
  const resolveRungClock = (r: DisputeRung, startMs: number) =>
    resolveClock.executeWithOptions({ startToCloseTimeout: '10 seconds', summary: `计算${disputeRungNames[r.rung]}期限` }, [{
      kind: 'handle', startMs, rule: r.within, nowMs: Date.now(),
      ladder: [{ rung: 'reminder', workingDaysAfterDeadline: -1, notify: ['task-department'] }],
    }]);

  // A year's holidays were published: the running rung's deadline is resolved again.
  let calendarVersion = 0;
  setHandler(recomputeDeadlinesSignal, () => {
    calendarVersion += 1;
  });

  // ---- the ladder ----
  upsertSearchAttributes([
    { key: SA.County, value: input.county },
    ...(input.matterId ? [{ key: SA.MatterId, value: input.matterId }] : []),
  ]);
  try {
    await record('dispute.opened', `${departmentName(input.returnedBy)}退回「${input.taskTitle}」，发生管辖争议`, {
      data: { parties: input.parties, reason: input.reason, kind: input.kind },
    });

    /** Every party has declined: no agreement is possible, so negotiation ends early. */
    const deadlocked = () => view.rung === 'negotiation' && input.parties.every((d) => view.positions.some((p) => p.department === d && p.position === 'decline'));
    const settledOrStuck = () => view.state !== 'open' || deadlocked();

    for (rungIndex = 0; view.state === 'open'; rungIndex = Math.min(rungIndex + 1, ladder.length - 1)) {
      const r = ladder[rungIndex]!;
      const rungStartMs = Date.now();
      // The rung is the dispute's state from now on (validators read it), its clock follows.
      const escalatedFrom = view.rung;
      view.rung = r.rung;
      view.rungName = disputeRungNames[r.rung];
      view.level = levelOf[r.rung];
      const arbiter = arbiterOf(r);
      if (arbiter) view.arbiter = arbiter;
      else delete view.arbiter;
      const clock = await resolveRungClock(r, rungStartMs);
      view.dueAt = clock.dueAt;
      view.history.push({ rung: r.rung, from: now() });
      const again = escalatedFrom === r.rung && view.history.length > 1;
      await record(again ? 'dispute.reminder' : 'dispute.rung', `${view.rungName}${again ? '逾期未决，再次督促' : '开始'}，期限 ${clock.dueAt}`, {
        data: { rung: r.rung, dueAt: clock.dueAt, arbiter: arbiter ?? null },
        notifications: [{
          kind: r.rung === 'negotiation' ? 'dispute.negotiation' : 'dispute.escalated',
          title: `${view.rungName}：${input.taskTitle}`,
          body: r.rung === 'negotiation'
            ? `${input.parties.map(departmentName).join('、')}请于 ${clock.dueAt} 前协商确定办理部门。`
            : `管辖争议提交${view.rungName}，请于 ${clock.dueAt} 前作出决定。争议原因：${input.reason}`,
          recipients: arbiterRecipients(r),
        }],
      });
      // The rung's clock, resolved again from the rung's start when a year's holidays are
      // published while it runs (the reminder not yet sent follows the new end).
      let rungClock = clock;
      let reminded = false;
      for (;;) {
        const version = calendarVersion;
        const changed = () => settledOrStuck() || calendarVersion !== version;
        const reminder = reminded ? undefined : rungClock.rungs[0];
        const target = reminder ?? { atMs: rungClock.dueAtMs, at: rungClock.dueAt };
        const woke = await condition(changed, Math.max(target.atMs - Date.now(), 1), { summary: `${view.rungName}${reminder ? '提醒' : '期限'} ${target.at.slice(0, 10)}` });
        if (woke && !settledOrStuck()) {
          const again = await resolveRungClock(r, rungStartMs);
          if (again.dueAt !== rungClock.dueAt) {
            view.dueAt = again.dueAt;
            await record('dispute.recomputed', `${view.rungName}期限因节假日安排调整：${rungClock.dueAt} → ${again.dueAt}`, {
              data: { rung: r.rung, before: rungClock.dueAt, after: again.dueAt },
            });
          }
          rungClock = again;
          continue;
        }
        if (woke || !reminder) break;
        reminded = true;
        await record('dispute.reminder', `${view.rungName}将于 ${rungClock.dueAt} 到期`, {
          notifications: [{ kind: 'dispute.reminder', title: `即将到期：${input.taskTitle}`, body: `${view.rungName}期限 ${rungClock.dueAt}，请及时${r.rung === 'negotiation' ? '表态' : '决定'}。`, recipients: arbiterRecipients(r) }],
        });
      }
      if (view.state === 'open') {
        const h = view.history.at(-1);
        if (h) {
          h.to = now();
          h.outcome = deadlocked() ? 'no-agreement' : 'expired';
        }
      }
    }
  } catch (err) {
    if (!isCancellation(err) || view.state !== 'open' || !patched(RECORD_END)) throw err;
    // Cancelled: the matter ended (or someone cancelled the run). Nobody is left to decide for.
    await CancellationScope.nonCancellable(async () => {
      const at = now();
      const reason = input.matterId ? '所属事项已结束' : '争议已撤销';
      view.state = 'ended';
      view.ended = { reason, at };
      delete view.dueAt;
      const h = view.history.at(-1);
      if (h && !h.to) {
        h.to = at;
        h.outcome = 'ended';
      }
      await record('dispute.ended', `管辖争议终止（未作决定）：${reason}`, {
        data: { reason, rung: view.rung },
        notifications: [{
          kind: 'dispute.ended', title: `管辖争议终止：${input.taskTitle}`, body: `${reason}，本争议不再需要决定。`,
          recipients: [...partyRecipients(), ...(view.arbiter ? arbiterRecipients(ladder[rungIndex]!) : [])],
        }],
      });
    });
    throw err;
  }
  await condition(allHandlersFinished);
  const d = view.decision!;
  return { disputeId: info.workflowId, department: d.department, reasoning: d.reasoning, ...(d.legalBasis ? { legalBasis: d.legalBasis } : {}), rung: d.rung };
}
