import { patched } from '@temporalio/workflow';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import type { MatterInput, MatterView } from '../../domain/matter.js';
import { refinedOilFacts } from '../../domain/scenarios/facts.js';
import { refinedOilOutcomes as codes } from '../../domain/scenarios/outcomes.js';
import { openMatter, parseFacts, type MatterOutcome } from '../matter-kit.js';

const DAY_MS = 86_400_000;

/**
 * Patch: the follow-up waits out the rectification period by the calendar rules like every other
 * clock (calendar days, the end moved to a working day, recorded, recomputed when a year is
 * published); runs started before it kept adding raw milliseconds.
 */
const PERIODS_BY_CALENDAR = 'oil-periods-by-calendar';

/** Patch: each penalty step follows a recorded 立案, and its 90 days count from it. */
const CASE_FILED = 'penalty-from-filing';
/**
 * Patch: a seizure ends within its statutory 30 days with a release or a decision (or goes to the
 * police with the case), and the sealed site gets its follow-up check (回头看).
 */
const SEIZURE_LIMIT = 'seizure-limit';
/** Patch: a case filed by the police leaves the other departments' penalties to be decided. */
const FILED_KEEPS_FOLLOW_UP = 'filed-keeps-follow-up';

const stationKindNames = {
  'licensed-station': '加油站',
  'suspected-black-station': '黑加油站点',
  'mobile-refuelling': '流动加油',
  'own-tank': '自有油罐',
} as const;

/**
 * 成品油流通 (DOMAIN §3.1): one joint visit by the lead and the cooperating departments named in
 * the facts (进一次门、查多项事), each recording its own checklist result → by what the visit found:
 * - unlicensed trading (any department): seal, detain, dismantle (查处取缔) → transfer to the police
 *   (非法经营); when the case is not transferred or not filed, the departments that found it decide
 *   their administrative penalties (a fine never replaces a transfer: 国务院令第310号 art. 11);
 * - violations: each department that found one decides its penalty, in parallel → follow-up check
 *   (回头看) after the correction period, looped up to `maxRectificationRounds`;
 * - all compliant: nothing to do;
 * → publish (一公开).
 *
 * The station kind from the survey (黑站、流动加油、自有油罐) is a suspicion, not a finding: only
 * the visit confirming unlicensed trading leads to sealing, so a suspected black station that
 * turns out licensed and compliant is closed as compliant.
 */
export async function refinedOilMatter(input: MatterInput): Promise<MatterView> {
  const m = openMatter(input);
  const facts = parseFacts(refinedOilFacts, input.facts);
  const { settings } = input.definition;
  const defaultDays = Number(settings.defaultRectifyWithinDays ?? 15);

  return m.run(async (): Promise<MatterOutcome> => {
    m.finding('stationKind', facts.stationKind);
    await m.stage('inspection');
    const roles = ['lead', ...new Set(facts.participants)];
    // Every department's checklist result, one of the codes (tax and ecology never find unlicensed trading).
    const found = await m.jointInspection(
      roles.map((r) => `inspection.${r}`),
      codes['inspection.lead'],
    );
    const resultOf = (role: string) => found[`inspection.${role}`]!;
    for (const role of roles) m.finding(`inspection.${role}`, resultOf(role));
    const unlicensed = roles.filter((r) => resultOf(r) === 'unlicensed');
    const violating = roles.filter((r) => resultOf(r) === 'violation');
    // The check is over: its result is public within 20 working days of now (DOMAIN §9), even
    // while sealing, penalties and the follow-up go on; the final result replaces it.
    await m.checkEnded(
      unlicensed.length > 0
        ? { code: 'unlicensed-found', summary: '联合检查发现无证经营成品油，正在依法查处' }
        : violating.length > 0
          ? { code: 'violations-found', summary: '联合检查发现违法行为，正在依法处理' }
          : { code: 'compliant', summary: '联合检查未发现问题' },
    );

    /**
     * Each department that found something decides its own penalty; the decisions run in parallel.
     * With `patched(CASE_FILED)` each first files its case (立案, recorded) and its 90 days (行政处罚法
     * art. 60) count from that filing, not from the department's sign-for.
     */
    const penalties = async (by: string[]) => {
      await m.stage('rectification');
      // The cases are filed one after the other, then the decisions run in parallel: the record
      // and the task list read in the same order every time.
      const filedAt = new Map<string, number>();
      if (patched(CASE_FILED)) {
        for (const r of by)
          filedAt.set(r, await m.caseFiled(m.department(input.definition.tasks[`penalty.${r}`]!.role), input.definition.tasks[`penalty.${r}`]!.title));
      }
      const decisions = await Promise.all(
        by.map(async (r) => {
          const key = `penalty.${r}`;
          const from = filedAt.get(r);
          const decided = await m.task(key, from !== undefined ? { countsFrom: from } : {});
          // Each decision is public within 20 working days of itself, not of the matter's end.
          await m.penaltyDecided(decided, input.definition.tasks[`penalty.${r}`]!.title);
          return decided;
        }),
      );
      m.finding('penalisedBy', by.join(','));
      return decisions;
    };

    let outcome: MatterOutcome;
    if (unlicensed.length > 0) {
      m.finding('verdict', 'unlicensed');
      const kind = facts.stationKind === 'licensed-station' ? '无证经营' : stationKindNames[facts.stationKind];
      await m.stage('disposal');
      const seal = await m.task('disposal.seal');
      m.finding('seal', m.outcome(seal, codes['disposal.seal']));
      const sealedAt = seal.submission?.at ? Date.parse(seal.submission.at) : Date.now();
      const decision = await m.criminalTransfer('非法经营（无证经营成品油）');
      // A filed criminal case is the police's; the other departments' own violations (tax,
      // quality, safety) still get their penalty decisions (patched: before, none did).
      if (decision === 'filed' && violating.length > 0 && patched(FILED_KEEPS_FOLLOW_UP)) await penalties(violating);
      if (patched(SEIZURE_LIMIT) && input.definition.tasks['disposal.seizure']) {
        if (decision === 'filed') {
          // The seized oil and equipment go to the police with the case (国务院令第310号 art. 12).
          m.finding('seizure', 'handed-to-police');
          await m.note('seizure.handed-over', '查封、扣押的物品随案移交公安机关（国务院令第310号第12条）');
        } else {
          // 行政强制法 art. 25: 30 days from the seizure to release it or decide on it.
          m.finding('seizure', m.outcome(await m.task('disposal.seizure', { countsFrom: sealedAt }), codes['disposal.seizure']));
        }
        // 回头看 (DOMAIN §3.1): the site is checked again to stay closed.
        m.finding('followUp', m.outcome(await m.task('disposal.follow-up'), codes['disposal.follow-up']));
      }
      if (decision === 'filed') {
        outcome = {
          code: 'black-station-sealed-transferred',
          summary: `${kind}：无证经营成品油，已查封取缔并移送公安机关立案侦查`,
          // An investigation under way is not published (DOMAIN §9): the public reads the seizure.
          public: { code: 'black-station-sealed', summary: `${kind}：无证经营成品油，已依法查封取缔` },
        };
      } else {
        // Not a crime after all: the administrative penalty is still due (行政处罚法 art. 27).
        await penalties([...unlicensed, ...violating]);
        outcome =
          decision === 'not-filed'
            ? { code: 'black-station-sealed-not-filed', summary: `${kind}：无证经营成品油，已查封取缔；公安机关不予立案，已依法作出行政处罚` }
            : { code: 'black-station-sealed-not-transferred', summary: `${kind}：无证经营成品油，已查封取缔；经审批不移送公安机关，已依法作出行政处罚` };
      }
    } else if (violating.length > 0) {
      m.finding('verdict', 'violation');
      const decisions = await penalties(violating);
      // The first period is the one the decisions set (责令限期改正), else the catalogue's default.
      const ordered = decisions.map((d) => d.submission?.rectifyWithinDays).filter((d): d is number => typeof d === 'number');
      let days = ordered.length > 0 ? Math.max(...ordered) : defaultDays;
      let rectified = false;
      for (let round = 1; round <= settings.maxRectificationRounds && !rectified; round++) {
        if (round > 1) await m.stage('rectification');
        if (patched(PERIODS_BY_CALENDAR)) {
          await m.waitPeriod(days, { round });
        } else {
          const due = Date.now() + days * DAY_MS;
          await m.waitUntil(due, `回头看 ${toShanghaiIso(due).slice(0, 10)}（第${round}轮，整改 ${days} 日）`);
        }
        await m.stage('reinspection');
        const check = m.outcome(await m.task('reinspection', { note: `第${round}轮回头看` }), codes.reinspection);
        m.finding('rectificationRounds', round);
        rectified = check === 'rectified';
        days = defaultDays;
      }
      m.finding('rectification', rectified ? 'rectified' : 'not-rectified');
      outcome = rectified
        ? { code: 'violations-penalised-rectified', summary: '检查发现违法行为，已作出处罚决定，回头看整改到位' }
        : { code: 'violations-penalised-not-rectified', summary: `检查发现违法行为，已作出处罚决定；经${settings.maxRectificationRounds}轮回头看仍未整改到位` };
    } else {
      m.finding('verdict', 'compliant');
      outcome = { code: 'compliant', summary: '联合检查未发现问题' };
    }

    await m.publish(outcome);
    return outcome;
  });
}
