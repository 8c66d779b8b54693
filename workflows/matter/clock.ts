/**
 * The matter's own clocks (tasks and disputes keep theirs): limits resolved by the calendar and
 * followed when a year's holidays are published, a step the law ends by itself, a rectification
 * period, a plain wait.
 */
import { CancellationScope, condition } from '@temporalio/workflow';
import type { TimeLimitRuleInput } from '../../domain/calendar/index.js';
import type { TaskSpec } from '../../domain/scenarios/schema.js';
import { clocks } from '../activities.js';
import { untilSettled } from './issue.js';
import type { StepResult } from './messages.js';
import { now, type MatterRun } from './run.js';

const { resolveDue } = clocks;

export type Due = { dueAtMs: number; dueAt: string; provisional: boolean };

export const dueOf = (what: string, startMs: number, rule: TimeLimitRuleInput): Promise<Due> =>
  resolveDue.executeWithOptions({ startToCloseTimeout: '10 seconds', summary: `计算${what}期限` }, [{ startMs, rule }]);

/**
 * Waits until `done` holds or the limit `due` (resolved from `startMs` by `rule`) ends. When a
 * year's holidays are published meanwhile, the limit is resolved again from the same start and
 * the wait follows it; a moved end is recorded. Answers whether `done` held, and the last end.
 */
export async function within(
  m: MatterRun,
  what: string,
  startMs: number,
  rule: TimeLimitRuleInput,
  first: Due,
  done: () => boolean,
): Promise<{ done: boolean; due: Due }> {
  let due = first;
  for (;;) {
    const version = m.calendarVersion;
    if (
      !(await condition(() => done() || m.calendarVersion !== version, Math.max(due.dueAtMs - Date.now(), 1), { summary: `${what} ${due.dueAt.slice(0, 10)}` }))
    )
      return { done: false, due };
    if (done()) return { done: true, due };
    const again = await dueOf(what, startMs, rule);
    if (again.dueAt !== due.dueAt || again.provisional !== due.provisional) {
      await m.record('deadline.recomputed', `${what}因节假日安排调整：${due.dueAt} → ${again.dueAt}`, {
        data: { what, before: due.dueAt, after: again.dueAt, provisional: again.provisional },
      });
    }
    due = again;
  }
}

/**
 * A step the law ends by itself when its time runs out (e.g. mediation ends after 45 working
 * days without agreement): the matter cancels the department's task at its handling deadline,
 * counted from assignment, and carries on as if it had reported `expiresAs`.
 */
export async function expiring(
  m: MatterRun,
  key: string,
  spec: TaskSpec,
  department: string,
  expiresAs: string,
  note?: string,
  countsFrom?: number,
): Promise<StepResult> {
  // Counted from assignment, or from the event the step's rule names (`countsFrom`).
  const startMs = countsFrom ?? Date.now();
  const first = await dueOf(spec.title, startMs, spec.limits.handle);
  const scope = new CancellationScope();
  let result: StepResult | undefined;
  const running = scope
    .run(() => untilSettled(m, key, spec, department, { note, countsFrom }))
    .then((r) => {
      result = r;
      return r;
    });
  void running.catch(() => undefined);
  const { done, due } = await within(m, `${spec.title}期限`, startMs, spec.limits.handle, first, () => result !== undefined);
  if (done) return result!;
  scope.cancel();
  await running.catch(() => undefined);
  const ref = [...m.view.tasks].reverse().find((t) => t.key === key);
  await m.record('task.expired', `${spec.title}期限（${due.dueAt}）届满，依法终止，视为「${expiresAs}」`, {
    data: { key, dueAt: due.dueAt, outcome: expiresAs },
  });
  return {
    taskId: ref?.taskId ?? '',
    department,
    state: 'cancelled',
    submission: { summary: `期限届满：${due.dueAt}`, outcome: expiresAs, at: now() },
  };
}

/**
 * A rectification period set in a notice or decision (整改期限, calendar days, its end moved to
 * a working day, 民法典 art. 203): recorded, then waited out, following a year published
 * meanwhile.
 */
export async function waitPeriod(m: MatterRun, days: number, data: Record<string, unknown> = {}) {
  const startMs = Date.now();
  const rule = { amount: days, unit: 'calendar_day' } as const;
  const due = await dueOf('整改', startMs, rule);
  await m.record('rectification.period', `整改期限 ${due.dueAt}（${days} 日）`, { data: { ...data, days, dueAt: due.dueAt } });
  if (due.dueAtMs > Date.now()) await within(m, '整改期限', startMs, rule, due, () => false);
  return due;
}

/** Waits until a time, with a summary the Temporal UI shows on the timer. */
export async function waitUntil(ms: number, summary: string) {
  if (ms > Date.now()) await condition(() => false, ms - Date.now(), { summary });
}
