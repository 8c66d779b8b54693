/**
 * The planning season of one county and year (`season:<county>:<year>`; DOMAIN §7, issue 14 §2):
 * annual plans per published item are due by 31 March. From 1 March (09:00 China time, the first
 * working morning) it reminds each lead department whose published items have no plan for the
 * year; the ladder's reminder comes one working day before the deadline; after 31 March it chases
 * them rung by rung (催办 → 黄牌 → 红牌 → 上级, in working days with 调休, DOMAIN §4), then every
 * working morning until their plans are filed or the year ends.
 *
 * Before every notice it reads which items are planned (an activity over `plans` and the
 * published items), so a lead that filed its plan drops out without any message to the season.
 * Every wake re-resolves the clock with the calendar in force (a local activity, recorded), so a
 * holiday schedule published meanwhile moves the rungs still ahead. It waits months with a handful
 * of events per wake, and continues as new when its history grows long.
 */
import { continueAsNew, defineQuery, setCurrentDetails, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { divisionName } from '../../domain/departments.js';
import { dueRungs, type ResolvedClock } from '../../domain/ladder.js';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import type { NotificationDraft } from '../../domain/events.js';
import { defaultLadder, type Audience, type Rung } from '../../domain/task.js';
import { seasonDueOn, seasonRule, seasonStartMs, type LeadCoverage, type PlanningSeasonInput } from '../../domain/planning-season.js';
import { clocks, listings, writes } from '../activities.js';
import { eventRecord } from '../recording.js';
import { seasonNotices, stepNames, type SeasonStep } from './notices.js';

const { resolveClock, nextDailyChases } = clocks;
const { planningCoverage } = listings;
const { recordSeasonEvent } = writes;

export interface PlanningSeasonView {
  seasonId: string;
  county: string;
  year: number;
  /** The deadline: 31 March 23:59:59 +08:00. */
  dueAt: string;
  /** `waiting` before the first reminder; `open` until the deadline; `overdue` after it with plans missing; `closed` when none are. */
  state: 'waiting' | 'open' | 'overdue' | 'closed';
  /** The lead departments with published items and no plan for them, at the last check. */
  late: LeadCoverage[];
  /** Per department, the last step that named it (`opening`, a rung, `daily-chase`). */
  reached: Record<string, SeasonStep>;
  checkedAt?: string;
  lastEventSeq: number;
}

export const getPlanningSeasonQuery = defineQuery<PlanningSeasonView>('getPlanningSeason');

/** What a continued run carries over. */
export interface SeasonCarry {
  view: PlanningSeasonView;
  fired: (Rung | 'opening')[];
  /** When the last step was taken: daily chases come on working mornings after it. */
  lastChaseMs: number;
  extraChases: number[];
}

const yearEndMs = (year: number) => Date.parse(`${year + 1}-01-01T00:00:00.000+08:00`);

export async function planningSeason(input: PlanningSeasonInput, carried?: SeasonCarry): Promise<PlanningSeasonView> {
  const { county, year } = input;
  const ladder = input.ladder ?? defaultLadder;
  const { workflowId } = workflowInfo();
  const dueOn = seasonDueOn(year);
  const view: PlanningSeasonView = carried?.view ?? {
    seasonId: workflowId,
    county,
    year,
    dueAt: '',
    state: 'waiting',
    late: [],
    reached: {},
    lastEventSeq: 0,
  };
  const fired = new Set<Rung | 'opening'>(carried?.fired ?? []);
  let lastChaseMs = carried?.lastChaseMs ?? 0;
  let extraChases = carried?.extraChases ?? [];
  setHandler(getPlanningSeasonQuery, () => view);

  const record = async (type: string, summary: string, data: Record<string, unknown>, notifications: NotificationDraft[] = []) => {
    view.lastEventSeq += 1;
    const event = eventRecord({ workflowId, seq: view.lastEventSeq, county }, type, summary, { data, ...(notifications.length ? { notifications } : {}) });
    await recordSeasonEvent.executeWithOptions({ startToCloseTimeout: '30 seconds', summary: `记录 ${summary}`.slice(0, 120) }, [{ event }]);
  };
  const show = (next?: string) =>
    setCurrentDetails(
      `**${divisionName(county)} ${year} 年度检查计划** · 期限 ${dueOn}` +
        (view.late.length ? ` · 未制定：${view.late.map((c) => c.department).join('、')}` : '') +
        (next ? `\n\n下一步：${next}` : ''),
    );

  // The clock with the calendar in force now: from 1 March 00:00, the deadline 31 March 23:59:59
  // (not moved), the ladder's rungs in working days around it, the daily chases after the last.
  const resolve = (): Promise<ResolvedClock> =>
    resolveClock.executeWithOptions({ startToCloseTimeout: '10 seconds', summary: `计算 ${year} 年度计划期限` }, [
      { kind: 'handle', startMs: seasonStartMs(year), origin: 'assignment', rule: seasonRule, ladder, nowMs: seasonStartMs(year) },
    ]);
  const openingMs = async () =>
    (await nextDailyChases.executeWithOptions({ startToCloseTimeout: '10 seconds', summary: '计算计划提醒时间' }, [{ afterMs: seasonStartMs(year) }]))[0]!;

  for (;;) {
    const clock = await resolve();
    view.dueAt = clock.dueAt;
    const opening = await openingMs();
    const t = Date.now();
    const rungsLeft = clock.rungs.some((r) => !fired.has(r.rung));
    const chases = [...(clock.dailyChases ?? []), ...extraChases];
    const after = Math.max(lastChaseMs, clock.dueAtMs, ...clock.rungs.map((r) => r.atMs));
    let chaseAt = rungsLeft ? undefined : chases.find((ms) => ms > after);
    if (!rungsLeft && chaseAt === undefined) {
      extraChases = await nextDailyChases.executeWithOptions({ startToCloseTimeout: '10 seconds', summary: '计算每日催办时间' }, [{ afterMs: after }]);
      chaseAt = extraChases[0];
    }

    // What is due now: the opening reminder (only before the deadline), the highest due rung
    // (a season started late does not fire every passed rung at once), or a daily chase.
    const dueNow = dueRungs(clock, fired as ReadonlySet<Rung>, t);
    const openingDue = !fired.has('opening') && t >= opening && t <= clock.dueAtMs && dueNow.length === 0;
    const chaseDue = chaseAt !== undefined && t >= chaseAt;
    if (openingDue || dueNow.length > 0 || chaseDue || t >= yearEndMs(year)) {
      const status = await planningCoverage.executeWithOptions({ startToCloseTimeout: '1 minute', summary: `核对 ${year} 年度计划` }, [{ county, year }]);
      const late = status.filter((c) => c.missing.length > 0);
      view.checkedAt = toShanghaiIso(t);
      // Those named before who have filed since drop out (recorded once, told nobody).
      const filed = view.late.filter((c) => !late.some((l) => l.department === c.department)).map((c) => c.department);
      view.late = late;
      if (filed.length) await record('season.planned', `已制定年度检查计划：${filed.join('、')}`, { departments: filed });

      if (t > clock.dueAtMs && late.length === 0) {
        view.state = 'closed';
        await record('season.closed', `${year} 年度检查计划均已制定`, { departments: [] });
        show();
        return view;
      }
      if (t >= yearEndMs(year)) {
        view.state = 'closed';
        await record('season.ended', `${year} 年度结束，仍未制定计划：${late.map((c) => c.department).join('、')}`, {
          departments: late.map((c) => c.department),
        });
        show();
        return view;
      }
      view.state = t > clock.dueAtMs ? 'overdue' : 'open';
      let step: SeasonStep;
      let notify: Audience[] = ['task-department'];
      let scheduledMs: number;
      if (dueNow.length > 0) {
        for (const r of dueNow) fired.add(r.rung);
        const top = dueNow[dueNow.length - 1]!;
        step = top.rung;
        notify = top.notify;
        scheduledMs = top.atMs;
      } else if (openingDue) {
        step = 'opening';
        scheduledMs = opening;
      } else {
        step = 'daily-chase';
        scheduledMs = chaseAt!;
      }
      // Daily chasing resumes on the first working morning after this step, not after the last
      // rung's time: a season started late (or a worker down for days) chases once, not once for
      // every morning that passed.
      lastChaseMs = t;
      if (step !== 'daily-chase' && t <= clock.dueAtMs) fired.add('opening');
      if (late.length > 0) {
        for (const c of late) view.reached[c.department] = step;
        await record(
          `season.${step}`,
          `${stepNames[step]}：${late.map((c) => c.department).join('、')} 尚无 ${year} 年度检查计划`,
          {
            step,
            scheduledAt: toShanghaiIso(scheduledMs),
            departments: late.map((c) => c.department),
            missing: Object.fromEntries(late.map((c) => [c.department, c.missing])),
          },
          seasonNotices({ county, year, dueOn, step, notify, late }),
        );
      }
      continue; // re-resolve and pick the next wake
    }

    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof planningSeason>(input, { view, fired: [...fired], lastChaseMs, extraChases });
    }
    const wakes = [
      ...(!fired.has('opening') && opening <= clock.dueAtMs ? [{ atMs: opening, what: `${stepNames.opening} ${toShanghaiIso(opening).slice(0, 16)}` }] : []),
      ...clock.rungs.filter((r) => !fired.has(r.rung)).map((r) => ({ atMs: r.atMs, what: `${stepNames[r.rung]} ${r.at.slice(0, 16)}` })),
      ...(chaseAt !== undefined ? [{ atMs: chaseAt, what: `${stepNames['daily-chase']} ${toShanghaiIso(chaseAt).slice(0, 16)}` }] : []),
      { atMs: yearEndMs(year), what: '年度结束' },
    ].sort((a, b) => a.atMs - b.atMs);
    const next = wakes[0]!;
    if (view.state === 'waiting' && t >= opening) view.state = 'open';
    show(next.what);
    await sleep(Math.max(next.atMs - t, 1), { summary: next.what });
  }
}
