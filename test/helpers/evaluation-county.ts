/**
 * A small county for the evaluation report (issue 15 §3), written through the recording
 * activities the workflows use (and the API's clue intake row), as the workflows would have
 * written it: each task's timeline in order with its final view, a matter's jurisdiction
 * disputes, two clues. test/api/evaluation-report.test.ts computes every figure of March and
 * April 2026 from the comments here; test/api/evaluation-report-page.test.ts shows it in a browser.
 */
import { createActivities } from '../../activities/index.js';
import { insertClueIntake } from '../../db/clues.js';
import type { Pool } from '../../db/pool.js';
import { inTransaction } from '../../db/sql.js';
import type { ClueView } from '../../domain/clue.js';
import type { DisputeView } from '../../domain/dispute.js';
import { untouchedTask, type TaskView } from '../../domain/task.js';

export const county = '610124';
/** The matter the steps, disputes and supervision orders belong to. */
export const matter = `matter:${county}:self-built-housing:2026-0001`;

/** `03-02 09:00` → 2026-03-02T09:00:00+08:00 (February and April as `02-…`, `04-…`). */
export const t = (s: string) => `2026-${s.replace(' ', 'T')}:00+08:00`;

type Event = { at: string; type: string; data?: Record<string, unknown> };
const overdue = (at: string, deadline: 'sign-for' | 'handle' | 'review'): Event => ({ at, type: 'overdue', data: { deadline, dueAt: t(at) } });
const rung = (at: string, r: 'chase' | 'yellow-card' | 'red-card' | 'escalation', deadline: 'sign-for' | 'handle' | 'review'): Event => ({
  at,
  type: `ladder.${r}`,
  data: { rung: r, deadline },
});

interface TaskSeed {
  county?: string;
  department: string;
  lead?: string;
  assigned: string;
  signDue: string;
  signed?: string;
  handleDue?: string;
  submitted?: string;
  completed?: string;
  returned?: string;
  /** A return kept working through a jurisdiction dispute (原职责划分). */
  disputed?: string;
  /** What else its timeline holds (overdue, the ladder, extensions). */
  events?: Event[];
}

async function seedTask(acts: ReturnType<typeof createActivities>, taskId: string, s: TaskSeed) {
  const c = s.county ?? county;
  const state: TaskView['state'] = s.returned ? 'returned' : s.completed ? 'completed' : s.submitted ? 'submitted' : s.signed ? 'signed' : 'assigned';
  const closed = s.returned ?? s.completed;
  const events: Event[] = [
    { at: s.assigned, type: 'assigned' },
    ...(s.signed ? [{ at: s.signed, type: 'signed' }] : []),
    ...(s.disputed ? [{ at: s.disputed, type: 'return.disputed', data: { reason: '非本部门职责' } }] : []),
    ...(s.returned ? [{ at: s.returned, type: 'returned', data: { reason: '非本部门职责' } }] : []),
    ...(s.submitted ? [{ at: s.submitted, type: 'submitted' }] : []),
    ...(s.completed ? [{ at: s.completed, type: 'completed' }] : []),
    ...(s.events ?? []),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const view: TaskView = {
    taskId,
    county: c,
    department: s.department,
    title: '办理事项',
    instructions: '',
    ...(taskId.startsWith('matter:') ? { matterId: matter, scenario: 'self-built-housing' } : {}),
    ...(s.lead ? { leadDepartment: s.lead } : {}),
    state,
    assignedAt: t(s.assigned),
    ...untouchedTask(),
    deadlines: [
      { kind: 'sign-for', dueAt: t(s.signDue), provisional: false },
      ...(s.handleDue ? [{ kind: 'handle' as const, dueAt: t(s.handleDue), provisional: false }] : []),
    ],
    ...(s.signed ? { signedAt: t(s.signed) } : {}),
    ...(s.submitted ? { submittedAt: t(s.submitted), submission: { summary: '已办理', at: t(s.submitted) } } : {}),
    ...(closed ? { closedAt: t(closed) } : {}),
    ...(s.returned ? { returned: { reason: '非本部门职责', at: t(s.returned) } } : {}),
    ...(s.disputed ? { disputed: { reason: '非本部门职责', at: t(s.disputed) } } : {}),
    lastEventSeq: events.length,
  };
  for (const [i, e] of events.entries()) {
    await acts.recordTaskEvent({
      event: { workflowId: taskId, seq: i + 1, county: c, at: t(e.at), type: e.type, summary: e.type, ...(e.data ? { data: e.data } : {}) },
      view: { ...view, lastEventSeq: i + 1 },
    });
  }
}

async function seedDispute(
  acts: ReturnType<typeof createActivities>,
  disputeId: string,
  s: { parties: [string, string]; opened: string; decided?: { at: string; department: string } },
) {
  const view: DisputeView = {
    disputeId,
    county,
    matterId: matter,
    taskKey: 'survey.planning',
    taskTitle: '规划与用地合法性核查',
    parties: s.parties,
    returnedBy: s.parties[0],
    reason: '非本部门职责',
    kind: 'duties',
    state: s.decided ? 'decided' : 'open',
    rung: 'negotiation',
    rungName: '部门协商',
    level: 0,
    positions: [],
    ...(s.decided
      ? { decision: { department: s.decided.department, reasoning: '依职责', by: 'county-government', rung: 'negotiation', at: t(s.decided.at) } }
      : {}),
    history: [{ rung: 'negotiation', from: t(s.opened) }],
    lastEventSeq: s.decided ? 2 : 1,
  };
  const events = [
    { at: s.opened, type: 'dispute.opened', data: { parties: s.parties } },
    ...(s.decided ? [{ at: s.decided.at, type: 'dispute.decided', data: { department: s.decided.department, rung: 'negotiation' } }] : []),
  ];
  for (const [i, e] of events.entries()) {
    await acts.recordDisputeEvent({
      event: { workflowId: disputeId, seq: i + 1, county, at: t(e.at), type: e.type, summary: e.type, data: e.data },
      view: { ...view, lastEventSeq: i + 1 },
    });
  }
}

async function seedClue(
  pool: Pool,
  acts: ReturnType<typeof createActivities>,
  clueId: string,
  s: { received: string; department: string; visited?: { at: string; satisfaction: string }; reply: string },
) {
  const view: ClueView = {
    clueId,
    county,
    channel: '12345',
    ref: clueId.slice(-4),
    category: 'complaint',
    urgency: 'normal',
    state: s.visited ? 'closed' : 'replied',
    stateName: '',
    receivedAt: t(s.received),
    complainant: { anonymous: true, wantsReply: false },
    department: s.department,
    coHandlers: [],
    dispatches: [],
    tasks: [],
    reply: { summary: '已答复', department: s.department, at: t(s.reply) },
    visits: [],
    rounds: 1,
    lastEventSeq: 0,
  };
  await inTransaction(pool, (client) =>
    insertClueIntake(client, { view, mergeKey: undefined, mergedInto: undefined, receivedAt: new Date(Date.parse(t(s.received))).toISOString() }),
  );
  const events = [
    { at: s.received, type: 'received', data: {} },
    { at: s.received, type: 'dispatched', data: { department: s.department, coHandlers: [] } },
    ...(s.visited ? [{ at: s.visited.at, type: 'visited', data: { satisfaction: s.visited.satisfaction } }] : []),
  ];
  for (const [i, e] of events.entries()) {
    await acts.recordClueEvent({
      event: { workflowId: clueId, seq: i + 1, county, at: t(e.at), type: e.type, summary: e.type, data: e.data },
      view: { ...view, lastEventSeq: i + 1 },
    });
  }
}

/**
 * The county. March 2026 begins on a Sunday: its weeks are 03-01, 03-02~08, 03-09~15, 03-16~22,
 * 03-23~29, 03-30~31. Every time is Asia/Shanghai.
 */
export async function seedEvaluationCounty(pool: Pool): Promise<void> {
  const acts = createActivities({ pool });
  const step = (department: string, n: number) => `${matter}/task:${department}:${n}`;
  const order = (department: string, n: number) => `${matter}/supervision:${department}:${n}`;

  // T0 (housing, standalone, February's): its handling deadline passes on 5 March (overdue, 03-05);
  // answered late on the 6th.
  await seedTask(acts, `task:${county}:housing:2026-0001`, {
    department: 'housing',
    assigned: '02-26 09:00',
    signDue: '02-27 09:00',
    signed: '02-26 10:00',
    handleDue: '03-05 17:30',
    submitted: '03-06 10:00',
    completed: '03-09 10:00',
    events: [overdue('03-05 17:30', 'handle'), rung('03-05 17:30', 'chase', 'handle')],
  });
  // T1 (housing, the lead's own step): signed and answered in time; its review is the
  // supervisors' (the lead may not review itself), so its late review is no department's.
  await seedTask(acts, step('housing', 1), {
    department: 'housing',
    lead: 'housing',
    assigned: '03-02 09:00',
    signDue: '03-03 09:00',
    signed: '03-02 10:00',
    handleDue: '03-10 17:30',
    submitted: '03-09 10:00',
    completed: '03-12 10:00',
    events: [overdue('03-11 10:00', 'review')],
  });
  // T2 (market, led by housing): signed late (overdue 03-03), handling deadline missed too (not its
  // first), a yellow card; housing then reviews late (housing's overdue 03-20, housing's yellow card).
  await seedTask(acts, step('market', 2), {
    department: 'market',
    lead: 'housing',
    assigned: '03-02 09:00',
    signDue: '03-03 09:00',
    signed: '03-03 15:00',
    handleDue: '03-12 17:30',
    submitted: '03-18 09:00',
    completed: '03-26 10:00',
    events: [
      overdue('03-03 09:00', 'sign-for'),
      overdue('03-12 17:30', 'handle'),
      rung('03-17 17:30', 'yellow-card', 'handle'),
      overdue('03-20 09:00', 'review'),
      rung('03-25 09:00', 'yellow-card', 'review'),
    ],
  });
  // T3 (market, standalone): never signed for: overdue 03-06, yellow, red, escalated to the city.
  await seedTask(acts, `task:${county}:market:2026-0001`, {
    department: 'market',
    assigned: '03-05 09:00',
    signDue: '03-06 09:00',
    events: [
      overdue('03-06 09:00', 'sign-for'),
      rung('03-11 09:00', 'yellow-card', 'sign-for'),
      rung('03-13 09:00', 'red-card', 'sign-for'),
      rung('03-20 09:00', 'escalation', 'sign-for'),
    ],
  });
  // T4 (commerce): two extensions asked, the first approved (handling now due 03-27), answered in time.
  await seedTask(acts, step('commerce', 3), {
    department: 'commerce',
    lead: 'housing',
    assigned: '03-09 10:00',
    signDue: '03-10 10:00',
    signed: '03-09 11:00',
    handleDue: '03-27 17:30',
    submitted: '03-26 10:00',
    completed: '03-27 10:00',
    events: [
      { at: '03-18 09:00', type: 'extension.requested', data: { extensionId: 'ext-1', workingDays: 5 } },
      { at: '03-18 15:00', type: 'extension.approved', data: { extensionId: 'ext-1', newDueAt: t('03-27 17:30') } },
      { at: '03-25 09:00', type: 'extension.requested', data: { extensionId: 'ext-2', workingDays: 2 } },
      { at: '03-25 12:00', type: 'extension.rejected', data: { extensionId: 'ext-2' } },
    ],
  });
  // T5 (natural-resources): returns it on the day (dispute D1 with agriculture), works on meanwhile,
  // signs and answers in time; D1 designates it back on 16 March.
  await seedTask(acts, step('natural-resources', 4), {
    department: 'natural-resources',
    lead: 'housing',
    assigned: '03-10 09:00',
    signDue: '03-11 09:00',
    disputed: '03-10 15:00',
    signed: '03-11 08:00',
    handleDue: '03-20 17:30',
    submitted: '03-19 10:00',
    completed: '03-20 10:00',
  });
  await seedDispute(acts, `${matter}/dispute:1`, {
    parties: ['natural-resources', 'agriculture'],
    opened: '03-10 15:00',
    decided: { at: '03-16 10:00', department: 'natural-resources' },
  });
  // T6 (ecology): returned unsigned in time (dispute D2 with housing, the lead), decided for housing
  // on 2 April (upheld), which gets the step again as T7.
  await seedTask(acts, step('ecology', 5), {
    department: 'ecology',
    lead: 'housing',
    assigned: '03-12 09:00',
    signDue: '03-13 09:00',
    returned: '03-12 11:00',
  });
  await seedDispute(acts, `${matter}/dispute:2`, {
    parties: ['ecology', 'housing'],
    opened: '03-12 11:00',
    decided: { at: '04-02 10:00', department: 'housing' },
  });
  await seedTask(acts, step('housing', 6), {
    department: 'housing',
    lead: 'housing',
    assigned: '04-02 11:00',
    signDue: '04-03 11:00',
    signed: '04-02 15:00',
    handleDue: '04-14 17:30',
    submitted: '04-10 10:00',
    completed: '04-13 10:00',
  });
  // Supervision orders: S1 market answered in time; S2 housing signed in time, answered late
  // (overdue 03-26, settled in March, answered in April, not yet reviewed); S3 commerce issued
  // 30 March, answered in time in April.
  await seedTask(acts, order('market', 1), {
    department: 'market',
    assigned: '03-16 10:00',
    signDue: '03-17 10:00',
    signed: '03-16 11:00',
    handleDue: '03-19 17:30',
    submitted: '03-19 16:00',
    completed: '03-20 09:00',
  });
  await seedTask(acts, order('housing', 2), {
    department: 'housing',
    assigned: '03-20 10:00',
    signDue: '03-23 10:00',
    signed: '03-23 09:00',
    handleDue: '03-26 17:30',
    submitted: '04-01 10:00',
    events: [overdue('03-26 17:30', 'handle')],
  });
  await seedTask(acts, order('commerce', 3), {
    department: 'commerce',
    assigned: '03-30 10:00',
    signDue: '03-31 10:00',
    signed: '03-30 11:00',
    handleDue: '04-03 17:30',
    submitted: '04-03 09:00',
    completed: '04-07 10:00',
  });
  // C1: a complaint to market, signed and answered in time, satisfied.
  const c1 = `clue:${county}:2026-0001`;
  await seedClue(pool, acts, c1, {
    received: '03-24 09:00',
    department: 'market',
    reply: '03-27 10:00',
    visited: { at: '03-30 10:00', satisfaction: 'satisfied' },
  });
  await seedTask(acts, `${c1}/task:market:1`, {
    department: 'market',
    assigned: '03-24 09:00',
    signDue: '03-25 09:00',
    signed: '03-24 10:00',
    handleDue: '04-14 17:30',
    submitted: '03-27 10:00',
    completed: '03-27 10:00',
  });
  // C2: an urgent one late on Sunday 8 March, to housing: 30 minutes to sign, signed 20 minutes
  // late (overdue 00:20 on Monday the 9th, Asia/Shanghai: still Sunday the 8th in UTC), answered in
  // time, not visited back yet.
  const c2 = `clue:${county}:2026-0002`;
  await seedClue(pool, acts, c2, { received: '03-08 23:50', department: 'housing', reply: '03-12 10:00' });
  await seedTask(acts, `${c2}/task:housing:1`, {
    department: 'housing',
    assigned: '03-08 23:50',
    signDue: '03-09 00:20',
    signed: '03-09 00:40',
    handleDue: '03-16 17:30',
    submitted: '03-12 10:00',
    events: [overdue('03-09 00:20', 'sign-for')],
  });
  // Another county's task, late and carded: in none of 610124's figures.
  await seedTask(acts, 'task:610122:market:2026-0001', {
    county: '610122',
    department: 'market',
    assigned: '03-05 09:00',
    signDue: '03-06 09:00',
    events: [overdue('03-06 09:00', 'sign-for'), rung('03-11 09:00', 'yellow-card', 'sign-for')],
  });
}
