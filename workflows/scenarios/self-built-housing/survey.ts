/**
 * The survey step of 自建房安全, shared by both processes of ../self-built-housing.ts (the earlier
 * one and the one as the law writes it).
 */
import { businessTrades, type SelfBuiltHousingFacts } from '../../../domain/scenarios/facts.js';
import { housingOutcomes as codes } from '../../../domain/scenarios/outcomes.js';
import type { MatterKit } from '../../matter-kit.js';

/**
 * The survey, in parallel: township, housing, planning, and the regulator of a business use.
 * `heard` sees the township's and the housing bureau's results as each arrives (the process as
 * the law writes it starts evacuation on a found hazard without waiting for the rest).
 */
export async function survey(m: MatterKit, facts: SelfBuiltHousingFacts, heard: <T extends string>(r: T) => T = (r) => r) {
  const businessRegulator = facts.businessUse ? businessTrades[facts.businessUse.trade] : undefined;
  const [locality, housing, planning, business] = await Promise.all([
    m.task('survey.locality').then((r) => heard(m.outcome(r, codes['survey.locality']))),
    m.task('survey.housing').then((r) => heard(m.outcome(r, codes['survey.housing']))),
    m.task('survey.planning').then((r) => m.outcome(r, codes['survey.planning'])),
    businessRegulator
      ? m.task('survey.business', { department: businessRegulator }).then((r) => m.outcome(r, codes['survey.business']))
      : Promise.resolve(undefined),
  ]);
  m.finding('legality', planning);
  if (business) m.finding('businessSafety', business);
  return { locality, housing, planning, business, illegal: planning === 'illegal' };
}
