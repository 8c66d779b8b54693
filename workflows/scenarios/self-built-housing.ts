import { patched } from '@temporalio/workflow';
import type { MatterInput, MatterView } from '../../domain/matter.js';
import { selfBuiltHousingFacts } from '../../domain/scenarios/facts.js';
import { housingOutcomes as codes, unreachable } from '../../domain/scenarios/outcomes.js';
import { openMatter, parseFacts, type MatterOutcome, type StepResult } from '../matter-kit.js';
import { survey } from './self-built-housing/survey.js';

/**
 * Patch: the process as the law writes it (issue "the law as written" §1): a found hazard starts
 * evacuation at once, in parallel with the survey; illegal but safe construction gets its own
 * order from the statutory authority; C gets partial stop-use, a sealed D house its follow-up
 * before the ledger closes; no result reads "no hazard" for a house with a violation. Runs
 * started before it keep the earlier process on replay.
 */
const LAW_AS_WRITTEN = 'housing-law-as-written';

/**
 * 自建房安全 (DOMAIN §3.2): survey by the township, housing and planning (and the regulator of a
 * business use) → safety appraisal A/B/C/D when a hazard is suspected → classified disposal:
 * D: evacuate, stop use, seal (hours), and a demolition order when also illegal;
 * B/C or a business-safety violation: rectification notice with its period → re-inspection,
 * looped, then enforcement → close the ledger entry (销号) → publish.
 */
export async function selfBuiltHousingMatter(input: MatterInput): Promise<MatterView> {
  if (patched(LAW_AS_WRITTEN) && input.definition.tasks['correction.order']) return lawAsWritten(input);
  const m = openMatter(input);
  const facts = parseFacts(selfBuiltHousingFacts, input.facts);
  const defaultDays = Number(input.definition.settings.defaultRectifyWithinDays ?? 30);

  return m.run(async (): Promise<MatterOutcome> => {
    await m.stage('survey');
    const { locality, housing, planning, business, illegal } = await survey(m, facts);

    // No appraisal is the all-clear only when nobody suspects a hazard: every survey reported.
    const suspected = facts.reportedHazard || locality === 'hazard-suspected' || housing === 'appraisal-needed';
    let grade: (typeof codes.appraisal)[number] = 'A';
    if (suspected) {
      await m.stage('appraisal');
      grade = m.outcome(await m.task('appraisal'), codes.appraisal);
    }
    m.finding('grade', grade);

    const rectified = async (g: 'A' | 'B' | 'C'): Promise<MatterOutcome> => {
      const r = await m.rectify({ notice: 'rectification.notice', reinspection: 'reinspection', enforcement: 'enforcement' }, defaultDays);
      m.finding('rectification', r);
      return r === 'rectified'
        ? { code: `${g}-rectified`, summary: `${g}级：一般隐患已整改到位` }
        : { code: `${g}-enforced`, summary: `${g}级：逾期未整改，已依法强制处置` };
    };

    let outcome: MatterOutcome;
    switch (grade) {
      case 'D':
        await m.stage('emergency');
        await m.task('emergency.evacuate');
        if (illegal) {
          await m.stage('demolition');
          const order = m.outcome(await m.task('demolition.order'), codes['demolition.order']);
          if (order === 'not-demolished') {
            await m.stage('enforcement');
            await m.task('enforcement');
          }
          outcome = { code: 'D-demolished', summary: 'D级危房：已撤离封控；违法建设，已依法拆除' };
        } else {
          outcome = { code: 'D-sealed', summary: 'D级危房：已撤离人员、停止使用并封控' };
        }
        break;
      case 'B':
      case 'C':
        outcome = await rectified(grade);
        break;
      case 'A':
        outcome = business === 'violation' ? await rectified('A') : { code: 'A-safe', summary: 'A级：未发现安全隐患' };
        break;
      default:
        unreachable(grade);
    }

    await m.stage('closing');
    await m.task('closing.ledger');
    await m.publish(outcome);
    return outcome;
  });
}

/**
 * 自建房安全 as the law writes it (DOMAIN §3.2; 国办发明电〔2022〕10号; 城乡规划法 art. 64/65;
 * 土地管理法 art. 78; JGJ 125-2016):
 * - a hazard reported or found (`hazard-found` by the township or the housing bureau) starts
 *   evacuation and stop-use at once, on its hour clock, while the survey goes on;
 * - appraisal when a hazard is suspected; D: evacuate and seal (if not already), then demolition
 *   when illegal, else the follow-up (repair and lift the seal, or demolish) before the ledger
 *   closes; C (局部危房): partial stop-use, then rectification; B: rectification;
 * - illegal construction gets its own order from the statutory authority: the township in a
 *   乡村规划区 (art. 65), the planning authority in a 城市、镇规划区 (art. 64);
 * - a business-safety violation is rectified and published as such, never as "no hazard".
 */
async function lawAsWritten(input: MatterInput): Promise<MatterView> {
  const m = openMatter(input);
  const facts = parseFacts(selfBuiltHousingFacts, input.facts);
  const defaultDays = Number(input.definition.settings.defaultRectifyWithinDays ?? 30);
  /** Art. 65 in a 乡村规划区 (the township government), art. 64 elsewhere (the planning authority). */
  const planningAuthority = facts.planningArea === 'urban' ? m.department('planning') : m.department('locality');

  return m.run(async (): Promise<MatterOutcome> => {
    await m.stage('survey');
    // Evacuation and stop-use start the moment a hazard is known, and only once.
    let evacuation: Promise<StepResult> | undefined;
    const evacuate = () => {
      if (!evacuation) {
        evacuation = m.task('emergency.evacuate');
        void evacuation.catch(() => undefined); // awaited later; a cancelled matter must not leave it unhandled
      }
      return evacuation;
    };
    if (facts.reportedHazard) void evacuate();
    const found = <T extends string>(r: T): T => {
      if (r === 'hazard-found') void evacuate();
      return r;
    };

    const { locality, housing, planning, business, illegal } = await survey(m, facts, found);

    const suspected = facts.reportedHazard || evacuation !== undefined || locality === 'hazard-suspected' || housing === 'appraisal-needed';
    let grade: (typeof codes.appraisal)[number] = 'A';
    if (suspected) {
      await m.stage('appraisal');
      grade = m.outcome(await m.task('appraisal'), codes.appraisal);
    }
    m.finding('grade', grade);
    if (evacuation) await evacuation; // the emergency step ends before anything is closed
    // The survey and appraisal are the check: their result is public within 20 working days of
    // now (DOMAIN §9), however long rectification or demolition take; the final result replaces it.
    const pending = illegal || business === 'violation' ? '；发现的问题正在依法处理' : '';
    await m.checkEnded(
      {
        A: { code: 'A-appraised', summary: `A级：房屋结构安全${pending}` },
        B: { code: 'B-appraised', summary: `B级：存在一般隐患，正在整改${pending}` },
        C: { code: 'C-appraised', summary: `C级（局部危房）：危险部位停止使用，正在整改${pending}` },
        D: { code: 'D-appraised', summary: `D级危房：正在依法撤离封控并处置${pending}` },
      }[grade],
    );

    /** The house's rectification, once; a business-safety violation is rectified with it. */
    let rectified: 'rectified' | 'enforced' | 'not-rectified' | undefined;
    const rectify = async () => {
      rectified = await m.rectify({ notice: 'rectification.notice', reinspection: 'reinspection', enforcement: 'enforcement' }, defaultDays);
      m.finding('rectification', rectified);
      return rectified;
    };

    /** The house's safety, as published; the business and legality findings are added after it. */
    let safety: MatterOutcome;
    let demolished = false;
    switch (grade) {
      case 'D': {
        await m.stage('emergency');
        await evacuate();
        if (illegal) {
          await m.stage('demolition');
          const order = m.outcome(await m.task('demolition.order', { department: planningAuthority }), codes['demolition.order']);
          if (order === 'not-demolished') {
            await m.stage('enforcement');
            await m.task('enforcement');
          }
          demolished = true;
          safety = { code: 'D-demolished', summary: 'D级危房：已撤离封控；违法建设，已依法拆除' };
        } else {
          const followUp = m.outcome(await m.task('emergency.follow-up'), codes['emergency.follow-up']);
          switch (followUp) {
            case 'repaired':
              safety = { code: 'D-repaired', summary: 'D级危房：已撤离封控；加固维修并复核后解除封控' };
              break;
            case 'demolished':
              demolished = true;
              safety = { code: 'D-demolished', summary: 'D级危房：已撤离封控，已拆除' };
              break;
            default:
              unreachable(followUp);
          }
        }
        break;
      }
      case 'C': {
        await m.stage('emergency');
        await m.task('emergency.partial-stop-use');
        const r = await rectify();
        safety =
          r === 'rectified'
            ? { code: 'C-rectified', summary: 'C级（局部危房）：危险部位已停止使用，整改到位' }
            : { code: 'C-enforced', summary: 'C级（局部危房）：危险部位已停止使用；逾期未整改，已依法强制处置' };
        break;
      }
      case 'B': {
        const r = await rectify();
        safety =
          r === 'rectified' ? { code: 'B-rectified', summary: 'B级：一般隐患已整改到位' } : { code: 'B-enforced', summary: 'B级：逾期未整改，已依法强制处置' };
        break;
      }
      case 'A':
        safety = evacuation ? { code: 'A-safe', summary: 'A级：经鉴定房屋安全，已解除临时撤离' } : { code: 'A-safe', summary: 'A级：房屋结构安全' };
        break;
      default:
        unreachable(grade);
    }

    const parts: MatterOutcome[] = [safety];
    // Business safety, said as such (the house's grade says nothing of it): rectified with the
    // house's own rectification when there is one, else by a rectification of its own.
    if (business === 'violation' && !demolished) {
      const r = rectified ?? (await rectify());
      parts.push(
        r === 'rectified'
          ? { code: 'business-rectified', summary: '经营安全问题已整改到位' }
          : { code: 'business-enforced', summary: '经营安全问题逾期未整改，已依法处置' },
      );
    }
    // Illegal construction still standing: the statutory authority orders correction (art. 64/65).
    if (illegal && !demolished) {
      await m.stage('demolition');
      const order = m.outcome(await m.task('correction.order', { department: planningAuthority }), codes['correction.order']);
      switch (order) {
        case 'corrected':
          parts.push({ code: 'illegal-corrected', summary: '违法建设已责令改正并改正到位' });
          break;
        case 'demolished':
          parts.push({ code: 'illegal-demolished', summary: '违法建设已责令限期拆除并拆除' });
          break;
        case 'not-corrected':
          await m.stage('enforcement');
          await m.task('enforcement');
          parts.push({ code: 'illegal-enforced', summary: '违法建设逾期未改正，已依法强制执行' });
          break;
        default:
          unreachable(order);
      }
    }
    const outcome: MatterOutcome = parts.length === 1 ? safety : { code: parts.map((p) => p.code).join('/'), summary: parts.map((p) => p.summary).join('；') };

    await m.stage('closing');
    await m.task('closing.ledger');
    await m.publish(outcome);
    return outcome;
  });
}
