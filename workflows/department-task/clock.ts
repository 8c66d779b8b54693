/**
 * A task's clocks: where each counts from, resolving one (a recorded local activity), installing
 * it, recomputing it when a year's calendar changes, firing what is due (the deadline, the ladder's
 * rungs, daily chases) and the next moment to wake up for.
 */
import { patched } from '@temporalio/workflow';
import { dueRungs, escalationLevel, type ClockKind, type ClockOrigin, type ResolvedClock } from '../../domain/ladder.js';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { defaultReturnWindow, defaultReviewLimit, rungNames, type Audience } from '../../domain/task.js';
import { clocks } from '../activities.js';
import { PATCH } from './messages.js';
import { clockWord, now, type TaskRun } from './run.js';

// The calendar is cached in the worker, so most resolutions need no database at all.
const { resolveClock, nextDailyChases } = clocks;

/** The instant a rule counts from (DOMAIN §4: the event the rule names, not always the sign-for). */
export function originOf(run: TaskRun, kind: ClockKind, rule: { startsFrom?: string | undefined }, nowMs: number): { startMs: number; origin: ClockOrigin } {
  const { input } = run;
  const assignedMs = Date.parse(run.view.assignedAt);
  switch (kind === 'review' ? 'submission' : (rule.startsFrom ?? 'assignment')) {
    case 'assignment':
      return { startMs: assignedMs, origin: 'assignment' };
    case 'matter-opened':
      return { startMs: input.clockOrigins?.matterOpenedAt ?? assignedMs, origin: input.clockOrigins?.matterOpenedAt ? 'matter-opened' : 'assignment' };
    case 'previous-step':
      return {
        startMs: input.clockOrigins?.previousStepEndedAt ?? assignedMs,
        origin: input.clockOrigins?.previousStepEndedAt ? 'previous-step' : 'assignment',
      };
    case 'submission':
      return { startMs: nowMs, origin: 'submission' };
    default: // sign-for
      return { startMs: nowMs, origin: kind === 'sign-for' ? 'assignment' : 'sign-for' };
  }
}

const ruleOf = (run: TaskRun, kind: ClockKind) => {
  const { limits } = run.input;
  return kind === 'sign-for' ? limits.signFor : kind === 'handle' ? limits.handle : (limits.review ?? defaultReviewLimit);
};

/** Resolves a clock (a recorded local activity); changes nothing, so a handler can compute first. */
export async function resolve(
  run: TaskRun,
  kind: ClockKind,
  startMs: number,
  origin: ClockOrigin,
  extraWorkingDays = 0,
  extraCalendarDays = 0,
): Promise<ResolvedClock> {
  const { input } = run;
  return resolveClock.executeWithOptions({ startToCloseTimeout: '10 seconds', summary: `计算${clockWord[kind]}期限` }, [
    {
      kind,
      startMs,
      origin,
      rule: ruleOf(run, kind),
      ladder: input.ladder,
      nowMs: Date.now(),
      extraWorkingDays,
      ...(extraCalendarDays > 0 ? { extraCalendarDays } : {}),
      ...(kind === 'sign-for' ? { returnWindow: input.limits.returnWithin ?? defaultReturnWindow } : {}),
      ...(input.ladderScale ? { scale: input.ladderScale } : {}),
    },
  ]);
}

/**
 * Installs a resolved clock. A fresh clock starts its ladder from scratch; a recomputed one
 * (calendar published or corrected) keeps the rungs that have fired and are still in the past,
 * so nothing fires twice for the same time.
 */
export function install(run: TaskRun, resolved: ResolvedClock, opts: { recompute?: boolean } = {}): void {
  const { view } = run;
  run.clock = resolved;
  run.clockVersion += 1;
  if (opts.recompute) {
    const t = Date.now();
    run.fired = new Set([...run.fired].filter((r) => (resolved.rungs.find((x) => x.rung === r)?.atMs ?? 0) <= t));
    view.overdue = t >= resolved.dueAtMs;
    view.escalationLevel = escalationLevel(run.fired);
  } else {
    run.fired = new Set();
    run.lastChaseMs = 0;
    view.overdue = false;
    view.escalationLevel = 0;
  }
  if (resolved.returnWindow) run.returnWindow = resolved.returnWindow;
  view.deadlines = [...view.deadlines.filter((d) => d.kind !== resolved.kind), run.deadlineOf(resolved)];
}

/** Resolves and installs, unless a newer clock was asked for meanwhile (the newest wins). */
export async function startClock(
  run: TaskRun,
  kind: ClockKind,
  startMs: number,
  origin: ClockOrigin,
  extraWorkingDays = 0,
  opts: { recompute?: boolean; extraCalendarDays?: number } = {},
): Promise<ResolvedClock> {
  const request = ++run.clockRequests;
  const resolved = await resolve(run, kind, startMs, origin, extraWorkingDays, opts.extraCalendarDays ?? 0);
  if (request === run.clockRequests) install(run, resolved, opts);
  return resolved;
}

/** A year's holiday schedule was published or corrected: re-resolve the running clock. */
export async function recompute(run: TaskRun): Promise<void> {
  const active = run.activeClock();
  if (!active) return;
  const before = { dueAt: active.dueAt, provisional: active.provisional };
  const after = await startClock(run, active.kind, active.startMs, active.origin ?? 'assignment', active.extraWorkingDays ?? 0, {
    recompute: true,
    extraCalendarDays: active.extraCalendarDays ?? 0,
  });
  if (after.dueAt === before.dueAt && after.provisional === before.provisional) return;
  const what = clockWord[active.kind];
  const moved = after.dueAt !== before.dueAt;
  await run.record(
    'deadline.recomputed',
    moved ? `节假日安排公布/更正，${what}期限由 ${before.dueAt} 调整为 ${after.dueAt}` : `节假日安排公布，${what}期限 ${after.dueAt} 确定`,
    {
      data: { deadline: active.kind, before: before.dueAt, after: after.dueAt, provisionalBefore: before.provisional, provisional: after.provisional },
      ...(moved
        ? {
            notifications: [
              run.notice('task.deadline-moved', `期限调整：${run.input.title}`, `因节假日安排公布或更正，${what}期限调整为 ${after.dueAt}。`, [
                'task-department',
              ]),
            ],
          }
        : {}),
    },
  );
}

/** On a review clock the one who must act is the lead: the ladder's "task department" is it. */
const actingAudience = (a: Audience, kind: ClockKind): Audience => (kind === 'review' && a === 'task-department' ? 'lead-department' : a);

/** Fires what is due: the deadline passing (recorded), the ladder's rungs, a daily chase. */
export async function fireDue(run: TaskRun, chaseAtMs?: number): Promise<void> {
  const { view, input } = run;
  const active = run.activeClock();
  if (!active) return;
  const t = Date.now();
  const what = clockWord[active.kind];
  const who = active.kind === 'review' ? run.leadName : run.deptName;
  if (!view.overdue && t >= active.dueAtMs) {
    view.overdue = true;
    // Overdue is a fact of its own (read model, timeline), whether or not a rung fires now.
    if (patched(PATCH.recordOverdue)) {
      await run.record('overdue', `${who}${what}期限 ${active.dueAt} 已过`, { data: { deadline: active.kind, dueAt: active.dueAt } });
    }
  }
  for (const r of dueRungs(active, run.fired, t)) {
    run.fired.add(r.rung);
    view.escalationLevel = escalationLevel(run.fired);
    view.escalations.push({ rung: r.rung, level: view.escalationLevel, deadline: active.kind, firedAt: now() });
    const body =
      r.rung === 'reminder'
        ? `「${input.title}」${what}期限 ${active.dueAt}，请按时${what}。`
        : `「${input.title}」${what}期限 ${active.dueAt} 已过，${who}尚未${what}。`;
    await run.record(`ladder.${r.rung}`, `${rungNames[r.rung]}：${who}${what}期限 ${active.dueAt}`, {
      data: { rung: r.rung, deadline: active.kind, dueAt: active.dueAt },
      notifications: [
        run.notice(
          `ladder.${r.rung}`,
          `${rungNames[r.rung]}：${input.title}`,
          body,
          r.notify.map((a) => actingAudience(a, active.kind)),
        ),
      ],
    });
  }
  if (chaseAtMs !== undefined && t >= chaseAtMs) {
    run.lastChaseMs = chaseAtMs;
    view.escalations.push({ rung: 'daily-chase', level: view.escalationLevel, deadline: active.kind, firedAt: now() });
    await run.record('ladder.daily-chase', `每日催办：${who}${what}期限 ${active.dueAt} 已过`, {
      data: { deadline: active.kind, dueAt: active.dueAt },
      notifications: [
        run.notice('ladder.daily-chase', `每日催办：${input.title}`, `「${input.title}」${what}期限 ${active.dueAt} 已过，${who}仍未${what}，请立即办理。`, [
          actingAudience('task-department', active.kind),
        ]),
      ],
    });
  }
  if (view.overdue) run.publishState();
}

/**
 * After the last rung, the next working morning to chase on (DOMAIN §10), asking for more
 * mornings when the clock's list is used up. Undefined while rungs remain, or for runs started
 * before daily chasing (they wait silently after the last rung, as they did).
 */
export async function nextDailyChase(run: TaskRun, active: ResolvedClock): Promise<number | undefined> {
  if (!run.view.overdue || active.rungs.some((r) => !run.fired.has(r.rung))) return undefined;
  if (!patched(PATCH.dailyChase)) return undefined;
  const after = Math.max(run.lastChaseMs, active.dueAtMs, ...active.rungs.map((r) => r.atMs));
  const next = (active.dailyChases ?? []).find((ms) => ms > after);
  if (next !== undefined) return next;
  const more = await nextDailyChases.executeWithOptions({ startToCloseTimeout: '10 seconds', summary: '计算每日催办时间' }, [{ afterMs: after }]);
  active.dailyChases = more;
  return more.find((ms) => ms > after);
}

/** The next moment something may fall due: a rung, the deadline, a daily chase. */
export function nextWake(run: TaskRun, chaseAtMs: number | undefined): { atMs: number; summary: string } | undefined {
  const active = run.activeClock();
  if (!active) return undefined;
  const candidates = active.rungs.filter((r) => !run.fired.has(r.rung)).map((r) => ({ atMs: r.atMs, summary: `${rungNames[r.rung]} ${r.at.slice(0, 16)}` }));
  if (!run.view.overdue) {
    candidates.push({ atMs: active.dueAtMs, summary: `${clockWord[active.kind]}期限 ${active.dueAt.slice(0, 10)}` });
  }
  if (chaseAtMs !== undefined) candidates.push({ atMs: chaseAtMs, summary: `每日催办 ${toShanghaiIso(chaseAtMs).slice(0, 16)}` });
  candidates.sort((a, b) => a.atMs - b.atMs);
  return candidates[0];
}
