import { z } from 'zod';
import type { ScenarioId } from './schema.js';

/**
 * What a matter starts from, per scenario (validated at the edge: a 400 with field paths, and
 * nothing starts). Facts carry no personal data: the subject's name stays out of ids, search
 * attributes and logs, and is published only for organisations (with a credit code).
 */
const township = z
  .string()
  .regex(/^\d{9,12}$/, 'expected a 9–12 digit township (乡镇/街道) code')
  .describe('Township / sub-district code of the subject’s location (属地), e.g. 610124100');

/** Trade of a business use of a self-built house → the department that regulates it. */
export const businessTrades = {
  catering: 'market',
  retail: 'market',
  lodging: 'culture-tourism',
  entertainment: 'culture-tourism',
  education: 'education',
  health: 'health',
  'elderly-care': 'civil-affairs',
} as const;

export const selfBuiltHousingFacts = z.object({
  township,
  storeys: z.number().int().min(1).max(30).optional(),
  businessUse: z
    .object({ trade: z.enum(Object.keys(businessTrades) as [keyof typeof businessTrades, ...(keyof typeof businessTrades)[]]) })
    .optional()
    .describe('Present when the house is used for business: its regulator joins the survey'),
  reportedHazard: z.boolean().default(false).describe('A hazard was reported (owner self-check, 12345): evacuation starts at once'),
  planningArea: z
    .enum(['rural', 'urban'])
    .default('rural')
    .describe('乡村规划区 (the township government orders correction or demolition, 城乡规划法 art. 65) or 城市、镇规划区 (the planning authority, art. 64)'),
});

export const refinedOilFacts = z.object({
  township,
  stationKind: z
    .enum(['licensed-station', 'suspected-black-station', 'mobile-refuelling', 'own-tank'])
    .describe('加油站 / 疑似黑加油站点 / 流动加油 / 自有油罐'),
  participants: z
    .array(z.enum(['safety', 'quality', 'tax', 'ecology']))
    .min(1)
    .default(['safety', 'quality'])
    .describe('Roles joining the lead in the one joint visit (进一次门、查多项事)'),
});

/** Trade of a card issuer → its sector regulator (DOMAIN §3.3). */
export const cardTrades = {
  education: 'education',
  'culture-tourism': 'culture-tourism',
  sports: 'sports',
  commerce: 'commerce',
  transport: 'transport',
} as const;

export const prepaidCardFacts = z.object({
  trade: z.enum(Object.keys(cardTrades) as [keyof typeof cardTrades, ...(keyof typeof cardTrades)[]]).describe('Trade of the card issuer'),
  signal: z.enum(['complaint', 'store-closing', 'absconding']).describe('投诉 / 门店关闭 / 卷款跑路'),
  amountYuan: z.number().nonnegative().max(1e10).optional(),
  consumers: z.number().int().min(0).max(1e7).optional(),
});

export const factsSchemas = {
  'self-built-housing': selfBuiltHousingFacts,
  'refined-oil': refinedOilFacts,
  'prepaid-card': prepaidCardFacts,
} satisfies Record<ScenarioId, z.ZodType>;

export type SelfBuiltHousingFacts = z.infer<typeof selfBuiltHousingFacts>;
export type RefinedOilFacts = z.infer<typeof refinedOilFacts>;
export type PrepaidCardFacts = z.infer<typeof prepaidCardFacts>;
