import { z } from 'zod';
import { timeLimitRuleSchema } from './calendar/rules.js';
import { countySchema, departmentSchema } from './departments.js';
import { principalSchema } from './principal.js';
import { safeText } from './text.js';

/**
 * 管辖争议 (DOMAIN §5): departments disagree on who must act. Negotiation between them, then
 * coordination by the justice bureau (disputes over applying the law) or the staffing office
 * (disputes over duties, 三定), then the common superior: the county government for departments
 * of one county, the city for different counties. Every rung has a deadline; an arbiter who does
 * not decide in time hands the dispute to the next rung.
 */
export const disputeKindSchema = z.enum(['law', 'duties']).describe('law: applying the law (→ justice bureau); duties: division of duties (→ staffing office)');

export const disputeRungSchema = z.object({
  rung: z.enum(['negotiation', 'coordination', 'county-government', 'city']),
  /** Who decides at this rung: the parties themselves, a department of the county, or the city. */
  arbiter: safeText().optional().describe('Department code of the arbiter; absent for negotiation and for the city (its supervisors and arbiters)'),
  within: timeLimitRuleSchema.describe('Time limit of the rung, from its start'),
});
export type DisputeRung = z.infer<typeof disputeRungSchema>;

/**
 * A county's settings for its dispute ladder (who coordinates, the clocks); anything left out
 * keeps the default. Set per county and scenario with PUT /v1/counties/{county}/scenarios/{id}.
 */
export const disputeSettingsSchema = z
  .object({
    negotiation: timeLimitRuleSchema.optional().describe('Time to agree (default 7 working days)'),
    coordination: z
      .object({
        lawArbiter: departmentSchema.optional().describe('Coordinates disputes over applying the law (default justice)'),
        dutiesArbiter: departmentSchema.optional().describe('Coordinates disputes over duties (default staffing-office)'),
        within: timeLimitRuleSchema.optional().describe('Time to review and decide (default 3 + 7 working days)'),
      })
      .optional(),
    countyGovernment: z
      .object({
        arbiter: departmentSchema.optional().describe('The common superior in the county (default county-government)'),
        within: timeLimitRuleSchema.optional(),
      })
      .optional(),
    city: z.object({ within: timeLimitRuleSchema.optional() }).optional(),
  })
  .strict();
export type DisputeSettings = z.infer<typeof disputeSettingsSchema>;

/** The ladder: 7 working days to agree, 3 + 7 to coordinate, 10 for the county government, then the city. */
/**
 * `skipCountyGovernment`: no county-government rung, the city decides after coordination: when the
 * dispute crosses counties, or when the county government is itself a party (a lead returning its
 * own task): nobody arbitrates their own dispute.
 */
export function defaultDisputeLadder(kind: z.infer<typeof disputeKindSchema>, skipCountyGovernment: boolean, settings: DisputeSettings = {}): DisputeRung[] {
  const wd = (amount: number) => ({ amount, unit: 'working_day' as const, startsFrom: 'previous-step' as const });
  const c = settings.coordination;
  const ladder: DisputeRung[] = [
    { rung: 'negotiation', within: settings.negotiation ?? wd(7) },
    {
      rung: 'coordination',
      arbiter: kind === 'law' ? (c?.lawArbiter ?? 'justice') : (c?.dutiesArbiter ?? 'staffing-office'),
      within: c?.within ?? wd(10),
    },
  ];
  if (!skipCountyGovernment) {
    ladder.push({
      rung: 'county-government',
      arbiter: settings.countyGovernment?.arbiter ?? 'county-government',
      within: settings.countyGovernment?.within ?? wd(10),
    });
  }
  ladder.push({ rung: 'city', within: settings.city?.within ?? wd(10) });
  return ladder;
}

/**
 * Who the parties are: a party is a department *of a county*. The first party (the returning
 * side) belongs to the dispute's county, the others to `otherCounty` when the dispute crosses
 * counties (跨区域), else to the same county. Two counties' departments of the same code are two
 * parties, and neither can speak for the other.
 */
export function disputeParties(d: { county: string; otherCounty?: string | undefined; parties: readonly string[] }): { county: string; department: string }[] {
  return d.parties.map((department, i) => ({ county: i === 0 ? d.county : (d.otherCounty ?? d.county), department }));
}

/** Whether the principal's department is one of the parties (department and county both). */
export function isParty(
  d: { county: string; otherCounty?: string | undefined; parties: readonly string[] },
  p: { county: string; department?: string | undefined },
): boolean {
  return !!p.department && disputeParties(d).some((x) => x.county === p.county && x.department === p.department);
}

export const disputeInputSchema = z.object({
  county: countySchema,
  matterId: safeText().max(200).optional(),
  taskKey: safeText().max(80),
  taskTitle: safeText().max(200),
  parties: z
    .array(departmentSchema)
    .min(2)
    .max(6)
    .describe('Departments concerned; the first is the returning side (of `county`), the others of `otherCounty` when set'),
  returnedBy: departmentSchema,
  reason: safeText().max(2000),
  kind: disputeKindSchema.default('duties'),
  /** Another county whose department is a party (跨区域): the city decides. */
  otherCounty: countySchema.optional(),
  ladder: z.array(disputeRungSchema).min(1).optional(),
  settings: disputeSettingsSchema.optional().describe('The county’s ladder settings, when no explicit ladder is given'),
});
export type DisputeInput = z.infer<typeof disputeInputSchema>;
export type DisputeInputDraft = z.input<typeof disputeInputSchema>;

export const positionBodySchema = z.object({
  position: z.enum(['accept', 'decline']).describe('accept: we will act; decline: not our remit'),
  reason: safeText().trim().min(1).max(2000),
});
export const positionInputSchema = positionBodySchema.extend({ actor: principalSchema });

export const decisionBodySchema = z.object({
  department: departmentSchema.describe('The department designated to act (指定管辖)'),
  reasoning: safeText().trim().min(1).max(4000),
  legalBasis: safeText().trim().max(500).optional(),
  temporary: z.boolean().default(false).describe('Emergency: designate a temporary lead at once; the dispute goes on to a final decision'),
});
export const decisionInputSchema = decisionBodySchema.extend({ actor: principalSchema });

export const disputeRungNames: Record<DisputeRung['rung'], string> = {
  negotiation: '部门协商',
  coordination: '协调',
  'county-government': '县政府决定',
  city: '市级指定管辖',
};

export const disputeStates = ['open', 'decided', 'ended'] as const;

/** The dispute as its workflow reports it (Query result, read model). */
export const disputeViewSchema = z.object({
  disputeId: z.string(),
  county: z.string(),
  matterId: z.string().optional(),
  taskKey: z.string(),
  taskTitle: z.string(),
  parties: z.array(z.string()),
  returnedBy: z.string(),
  reason: z.string(),
  kind: z.enum(['law', 'duties']),
  otherCounty: z.string().optional(),
  /** `ended`: closed without a decision, because its matter ended (or the run was cancelled). */
  state: z.enum(disputeStates),
  rung: disputeRungSchema.shape.rung,
  rungName: z.string(),
  /** Level of the rung reached (0 negotiation, 1 coordination, 2 superior, 3 city): the EscalationLevel. */
  level: z.number().int(),
  arbiter: z.object({ county: z.string(), department: z.string().optional() }).optional(),
  dueAt: z.string().optional(),
  positions: z.array(z.object({ department: z.string(), position: z.enum(['accept', 'decline']), reason: z.string(), at: z.string() })),
  temporaryLead: z.object({ department: z.string(), by: z.string(), at: z.string(), reasoning: z.string() }).optional(),
  decision: z
    .object({ department: z.string(), reasoning: z.string(), legalBasis: z.string().optional(), by: z.string(), rung: z.string(), at: z.string() })
    .optional(),
  ended: z.object({ reason: z.string(), at: z.string() }).optional(),
  history: z.array(z.object({ rung: z.string(), from: z.string(), to: z.string().optional(), outcome: z.string().optional() })),
  lastEventSeq: z.number().int(),
});
export type DisputeView = z.infer<typeof disputeViewSchema>;

export interface DisputeResult {
  disputeId: string;
  department: string;
  reasoning: string;
  legalBasis?: string;
  rung: string;
}
