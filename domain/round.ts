/**
 * Rounds of a plan's random inspections (双随机, DOMAIN §7; issue 14 §3–§4): ids, the published
 * value the seed is fixed from, the visit date, the Schedule's calendar, the recusal application.
 * Pure: no I/O (workflows import it).
 *
 * ## The seed (domain/draw.ts `drawSeed(roundId, publishedValue)`)
 * The published value is `<planId>|<scheduledOn>`: the plan's id (fixed when the plan was filed,
 * before any round) and the round's date in China time (the Schedule's fire time, announced by the
 * plan's frequency and window; or the day a round was started by hand). Both are known before the
 * round starts, and the round records the seed (`rounds.seed`, `seeded_at`) before it takes the
 * registry snapshot (a CHECK keeps `snapshot_at >= seeded_at`), so the seed cannot be chosen to suit
 * a snapshot: nobody picks a value after seeing the registry, and anyone can recompute the seed from
 * the round id and the published value. What it does not prevent is editing the registry to suit a
 * seed known in advance: registry writes are versioned and audited (credit history, inspector
 * versions), and the snapshot's hash fixes what the round saw.
 */
import { z } from 'zod';
import { addWorkingDays, type Calendar } from './calendar/index.js';
import { departmentSchema } from './departments.js';
import type { PlanFrequency } from './inspection-plan.js';
import { safeText } from './text.js';

export const roundIds = {
  /** A round started by hand: `<planId>/round:<n>`. */
  byHand: (planId: string, n: number) => `${planId}/round:${n}`,
  /** The Schedule action's workflow id; Temporal appends `-<fire time>` (RFC 3339, UTC). */
  scheduled: (planId: string) => `${planId}/round`,
  /** The plan's Schedule. */
  schedule: (planId: string) => `${planId}/rounds`,
  /** The plan a round belongs to. */
  planOf: (roundId: string) => roundId.slice(0, roundId.indexOf('/round')),
};

/** A round's id: `<planId>/round:<n>` or `<planId>/round-<RFC 3339 time>`. */
export const roundIdPattern = /^plan:\d{6}:\d{4}-\d{4,}\/round(?::\d{1,6}|-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/;

/** The round id in URLs (`/` written as `~`, as every other id: domain/ids.ts toUrlId). */
export const roundUrlIdSchema = z
  .string()
  .max(120)
  .regex(/^plan:\d{6}:\d{4}-\d{4,}~round(?::\d{1,6}|-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/, 'not a round id')
  .describe('The round’s id, `/` written as `~`: `plan:610124:2027-0001~round:1` (by hand) or `…~round-2027-04-01T01:00:00Z` (Schedule)');

export const inspectionIdSchema = z
  .string()
  .max(80)
  .regex(/^inspection:\d{6}:\d{4}-\d{4,}$/, 'not an inspection id')
  .describe('The inspection’s id, e.g. `inspection:610124:2027-0001`');

/** The value announced in advance that the round's seed is fixed from (see the header). */
export const publishedValue = (planId: string, scheduledOn: string) => `${planId}|${scheduledOn}`;

/** Working days between the draw and the visits: time to prepare and to serve the notice (随机抽查告知书). */
export const visitAfterWorkingDays = 5;

/**
 * The visits' date of a round drawn on `drawnOn`: the `visitAfterWorkingDays`-th working day after
 * the later of the draw and the window's start, by the working-day calendar, and no later than the
 * window's end (a round drawn near the end visits on its last day).
 */
export function visitDate(drawnOn: string, window: { from: string; to: string }, cal?: Calendar): string {
  const base = drawnOn > window.from ? drawnOn : window.from;
  const day = addWorkingDays(base, visitAfterWorkingDays, cal);
  return day > window.to ? window.to : day;
}

/** `YYYY-MM-DD` plus `days` (negative: before), in plain calendar days. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The end of `date` in China time, as epoch milliseconds. */
export const endOfShanghaiDay = (date: string) => Date.parse(`${date}T23:59:59.999+08:00`);

// ---------------------------------------------------------------- the Schedule's calendar

const monthsApart: Record<PlanFrequency, number> = { once: 12, 'half-yearly': 6, quarterly: 3, monthly: 1 };

/**
 * The fire times of a plan's rounds, as calendar entries in Asia/Shanghai: the first on the
 * window's first day at 09:00, then every 3 (quarterly), 6 (half-yearly) or 1 (monthly) months on
 * the same day of the month (the 28th at most, so every month has it), within the window. `once`:
 * the first only. The Schedule is also bounded by the window (startAt, endAt).
 */
export function roundCalendar(
  frequency: PlanFrequency,
  window: { from: string; to: string },
): { year: number; month: number; dayOfMonth: number; hour: number }[] {
  const [year, month, day] = window.from.split('-').map(Number) as [number, number, number];
  const out: { year: number; month: number; dayOfMonth: number; hour: number }[] = [{ year, month, dayOfMonth: day, hour: 9 }];
  const step = monthsApart[frequency];
  const dayOfMonth = Math.min(day, 28);
  for (let m = month + step; m <= 12 && frequency !== 'once'; m += step) {
    const date = `${year}-${String(m).padStart(2, '0')}-${String(dayOfMonth).padStart(2, '0')}`;
    if (date > window.to) break;
    out.push({ year, month: m, dayOfMonth, hour: 9 });
  }
  return out;
}

// ---------------------------------------------------------------- recusal (行政处罚法 art. 43)

/** `POST /v1/inspections/{inspectionId}/recusal`: the subject's application, recorded by an officer. */
export const recusalBodySchema = z.object({
  department: departmentSchema.describe('The department whose inspectors the subject asks to be replaced'),
  inspectors: z
    .array(
      z
        .string()
        .min(1)
        .max(64)
        .regex(/^[\w.:-]+$/),
    )
    .min(1)
    .max(20)
    .refine((xs) => new Set(xs).size === xs.length, 'each inspector once')
    .describe('The inspectors’ ids the subject applies to have recused (申请回避)'),
  reason: safeText().trim().min(2).max(500).describe('The reason the subject gives (利害关系 etc.)'),
});
export type RecusalBody = z.infer<typeof recusalBodySchema>;

/** The round's `recusal` Update: the application and who recorded it. */
export interface RecusalArgs extends RecusalBody {
  inspectionId: string;
  requestedBy: string;
}

export interface RecusalOutcome {
  counter: number;
  subjectId: string;
  department: string;
  removed: string[];
  added: string[];
}

/** What a round answers (GET /v1/rounds/{roundId}): states in order. */
export const roundStates = ['seeded', 'snapshotted', 'drawn', 'launching', 'launched', 'closed'] as const;
export type RoundState = (typeof roundStates)[number];
export const roundStateNames: Record<RoundState, string> = {
  seeded: '已确定随机种子',
  snapshotted: '已固定名录快照',
  drawn: '已抽取',
  launching: '正在派发检查',
  launched: '检查已派发',
  closed: '已结束',
};
