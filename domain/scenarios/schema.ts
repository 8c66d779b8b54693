import { z } from 'zod';
import { timeLimitRuleSchema } from '../calendar/rules.js';
import { departmentSchema } from '../departments.js';
import { departmentTaskInputSchema, ladderSchema } from '../task.js';
import { disputeSettingsSchema } from '../dispute.js';
import { safeText } from '../text.js';

/**
 * The matter catalogue (跨部门综合监管事项清单): per scenario, who leads and cooperates (by role),
 * the department tasks of each stage with their time limits, the ladder, and the compliance guide
 * told to businesses once (一业一册). Data, validated here; the process itself is code
 * (workflows/scenarios/*). A county may override who plays a role and the time limits; the
 * definition resolved for the county is a snapshot in the matter's input, so later catalogue edits
 * never change a running matter.
 */
export const scenarioIds = ['refined-oil', 'self-built-housing', 'prepaid-card'] as const;
export const scenarioIdSchema = z.enum(scenarioIds).describe('Pilot scenario (国办发〔2023〕1号 §18)');
export type ScenarioId = z.infer<typeof scenarioIdSchema>;

/** The workflow type that runs each scenario (workflows/scenarios/*). */
export const scenarioWorkflowTypes: Record<ScenarioId, string> = {
  'refined-oil': 'refinedOilMatter',
  'self-built-housing': 'selfBuiltHousingMatter',
  'prepaid-card': 'prepaidCardMatter',
};

export const taskSpecSchema = z.object({
  role: z.string().min(1).describe('Scenario role that does it, e.g. `lead`, `locality`, `planning`; resolved to a department'),
  title: z.string().min(1).max(120),
  instructions: z.string().max(2000).default(''),
  limits: z.object({ signFor: timeLimitRuleSchema, handle: timeLimitRuleSchema }),
  outcomes: z
    .array(z.string().regex(/^[a-z0-9-]+$|^[A-D]$/))
    .optional()
    .describe('Outcome codes the department must choose from when it submits (drives the next stage)'),
  maxExtensionWorkingDays: z.number().int().min(0).max(30).optional().describe('Total extension that may be approved (default 10 working days)'),
  decidedBy: departmentTaskInputSchema.shape.decidedBy,
  extension: departmentTaskInputSchema.shape.extension,
  review: departmentTaskInputSchema.shape.review,
  requires: departmentTaskInputSchema.shape.requires,
  ladderScale: departmentTaskInputSchema.shape.ladderScale,
  returnable: departmentTaskInputSchema.shape.returnable,
});
export type TaskSpec = z.infer<typeof taskSpecSchema>;

export const scenarioDefinitionSchema = z.object({
  id: scenarioIdSchema,
  version: z.number().int().min(1),
  name: z.object({ zh: z.string(), en: z.string() }),
  legalBases: z.array(z.string()).min(1),
  roles: z.record(z.string(), departmentSchema).describe('Role → department. `locality` is filled from the matter’s township'),
  roleNames: z.record(z.string(), z.string()),
  stages: z.array(z.object({ key: z.string(), name: z.string() })).min(2),
  tasks: z.record(z.string(), taskSpecSchema),
  ladder: ladderSchema,
  settings: z
    .object({
      maxRectificationRounds: z.number().int().min(1).max(10).default(2),
      publishWithin: timeLimitRuleSchema,
    })
    .catchall(z.union([z.number(), z.string(), z.boolean()])),
  guide: z.string().min(1).describe('一业一册: what a business must comply with, told once'),
  disputes: disputeSettingsSchema.optional().describe('Jurisdiction-dispute ladder settings (default: DOMAIN §5)'),
});
export type ScenarioDefinition = z.infer<typeof scenarioDefinitionSchema>;

/** What a county may change (PUT /v1/counties/{county}/scenarios/{id}). */
export const scenarioOverrideSchema = z
  .object({
    roles: z.record(safeText(), departmentSchema).optional().describe('e.g. `{ "lead": "market" }` for a county where 市场监管 leads refined oil'),
    limits: z
      .record(safeText(), z.object({ signFor: timeLimitRuleSchema.optional(), handle: timeLimitRuleSchema.optional() }))
      .optional()
      .describe('Per task key, replacement time limits'),
    ladder: ladderSchema.optional(),
    settings: z.record(safeText(), z.union([z.number(), safeText(), z.boolean()])).optional(),
    disputes: disputeSettingsSchema.optional().describe('Who coordinates disputes and the clocks of each rung'),
  })
  .strict();
export type ScenarioOverride = z.infer<typeof scenarioOverrideSchema>;

/** Problems of an override against its scenario (unknown roles or task keys), as field paths. */
export function checkOverride(def: ScenarioDefinition, o: ScenarioOverride): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  for (const role of Object.keys(o.roles ?? {})) {
    if (!(role in def.roles) || role === 'locality') issues.push({ path: ['roles', role], message: `unknown or fixed role for ${def.id}: ${role}` });
  }
  for (const key of Object.keys(o.limits ?? {})) {
    if (!(key in def.tasks)) issues.push({ path: ['limits', key], message: `unknown task for ${def.id}: ${key}` });
  }
  for (const [key, value] of Object.entries(o.settings ?? {})) {
    const current = (def.settings as Record<string, unknown>)[key];
    if (!(key in def.settings)) issues.push({ path: ['settings', key], message: `unknown setting for ${def.id}: ${key}` });
    else if (typeof value !== typeof current)
      issues.push({ path: ['settings', key], message: `expected a ${typeof current}, like the catalogue's ${JSON.stringify(current)}` });
  }
  if (o.ladder?.length === 0) issues.push({ path: ['ladder'], message: 'at least one rung: an empty ladder chases nobody' });
  if (issues.length) return issues;
  // Then the county's scenario as a whole, by the catalogue's own schema (e.g. a round count of 0),
  // with each issue named where the override set it.
  const whole = scenarioDefinitionSchema.safeParse(resolveScenario(def, o));
  for (const i of whole.success ? [] : whole.error.issues) {
    const path = i.path.map(String);
    issues.push({ path: path[0] === 'tasks' ? ['limits', path[1]!, ...path.slice(3)] : path, message: i.message });
  }
  return issues;
}

/** The definition as it applies in one county: defaults with the county's override laid over. */
export function resolveScenario(
  def: ScenarioDefinition,
  o: ScenarioOverride | undefined,
  overrideVersion = 0,
): ScenarioDefinition & { countyOverrideVersion: number } {
  const tasks: ScenarioDefinition['tasks'] = {};
  for (const [key, spec] of Object.entries(def.tasks)) {
    const l = o?.limits?.[key];
    tasks[key] = l ? { ...spec, limits: { signFor: l.signFor ?? spec.limits.signFor, handle: l.handle ?? spec.limits.handle } } : spec;
  }
  return {
    ...def,
    roles: { ...def.roles, ...(o?.roles ?? {}) },
    tasks,
    ladder: o?.ladder ?? def.ladder,
    ...((o?.disputes ?? def.disputes) ? { disputes: o?.disputes ?? def.disputes } : {}),
    settings: { ...def.settings, ...(o?.settings ?? {}) } as ScenarioDefinition['settings'],
    countyOverrideVersion: overrideVersion,
  };
}
export type ResolvedScenario = ReturnType<typeof resolveScenario>;
