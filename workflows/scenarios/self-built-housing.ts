import type { MatterInput, MatterView } from '../../domain/matter.js';
import { businessTrades, selfBuiltHousingFacts } from '../../domain/scenarios/facts.js';
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
      m.task('survey.locality'),
      m.task('survey.housing'),
      m.task('survey.planning'),
      businessRegulator ? m.task('survey.business', { department: businessRegulator }) : Promise.resolve(undefined),
    ]);
    const illegal = planning.submission?.outcome === 'illegal';
    m.finding('legality', illegal ? 'illegal' : 'legal');
    if (business) m.finding('businessSafety', business.submission?.outcome ?? 'unknown');

    const suspected = facts.reportedHazard
      || locality.submission?.outcome === 'hazard-suspected'
      || housing.submission?.outcome === 'appraisal-needed';
    let grade = 'A';
    if (suspected) {
      await m.stage('appraisal');
      grade = (await m.task('appraisal')).submission?.outcome ?? 'A';
    }
    m.finding('grade', grade);

    let outcome: MatterOutcome;
    if (grade === 'D') {
      await m.stage('emergency');
      await m.task('emergency.evacuate');
      if (illegal) {
        await m.stage('demolition');
        const order = await m.task('demolition.order');
        if (order.submission?.outcome !== 'demolished') {
          await m.stage('enforcement');
          await m.task('enforcement');
        }
        outcome = { code: 'D-demolished', summary: 'D级危房：已撤离封控；违法建设，已依法拆除' };
      } else {
        outcome = { code: 'D-sealed', summary: 'D级危房：已撤离人员、停止使用并封控' };
      }
    } else if (grade === 'B' || grade === 'C' || business?.submission?.outcome === 'violation') {
      const r = await m.rectify({ notice: 'rectification.notice', reinspection: 'reinspection', enforcement: 'enforcement' }, defaultDays);
      m.finding('rectification', r);
      outcome = r === 'rectified'
        ? { code: `${grade}-rectified`, summary: `${grade}级：一般隐患已整改到位` }
        : { code: `${grade}-enforced`, summary: `${grade}级：逾期未整改，已依法强制处置` };
    } else {
      outcome = { code: 'A-safe', summary: 'A级：未发现安全隐患' };
    }

    await m.stage('closing');
    await m.task('closing.ledger');
    await m.publish(outcome);
    return outcome;
  });
}
