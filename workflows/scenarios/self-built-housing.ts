import type { MatterInput, MatterView } from '../../domain/matter.js';
import { businessTrades, selfBuiltHousingFacts } from '../../domain/scenarios/facts.js';
import { housingOutcomes as codes, unreachable } from '../../domain/scenarios/outcomes.js';
import { openMatter, parseFacts, type MatterOutcome } from '../matter-kit.js';

/**
 * 自建房安全 (DOMAIN §3.2): survey by the township, housing and planning (and the regulator of a
 * business use) → safety appraisal A/B/C/D when a hazard is suspected → classified disposal:
 * D: evacuate, stop use, seal (hours), and a demolition order when also illegal;
 * B/C or a business-safety violation: rectification notice with its period → re-inspection,
 * looped, then enforcement → close the ledger entry (销号) → publish.
 */
export async function selfBuiltHousingMatter(input: MatterInput): Promise<MatterView> {
  const m = openMatter(input);
  const facts = parseFacts(selfBuiltHousingFacts, input.facts);
  const defaultDays = Number(input.definition.settings.defaultRectifyWithinDays ?? 30);

  return m.run(async (): Promise<MatterOutcome> => {
    await m.stage('survey');
    const businessRegulator = facts.businessUse ? businessTrades[facts.businessUse.trade] : undefined;
    const [locality, housing, planning, business] = await Promise.all([
      m.task('survey.locality').then((r) => m.outcome(r, codes['survey.locality'])),
      m.task('survey.housing').then((r) => m.outcome(r, codes['survey.housing'])),
      m.task('survey.planning').then((r) => m.outcome(r, codes['survey.planning'])),
      businessRegulator
        ? m.task('survey.business', { department: businessRegulator }).then((r) => m.outcome(r, codes['survey.business']))
        : Promise.resolve(undefined),
    ]);
    const illegal = planning === 'illegal';
    m.finding('legality', planning);
    if (business) m.finding('businessSafety', business);

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
