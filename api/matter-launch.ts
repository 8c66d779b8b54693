/**
 * What launching a matter needs before it starts, wherever it is launched from (POST /v1/matters,
 * or a clue's lead through POST /v1/clues/{clueId}/matter): the scenario's facts checked (a 400
 * naming `body.facts.…`), the scenario as resolved for the county (its override laid over the
 * catalogue: the snapshot the matter keeps for life), and the next id of the county's scenario
 * and year. domain/matter.ts `matterStartOptions` then says how it starts.
 */
import { nextSeq } from '../db/ids.js';
import { getScenarioOverride, reserveMatterLaunch } from '../db/matters.js';
import type { Pool } from '../db/pool.js';
import { shanghaiDate } from '../domain/calendar/index.js';
import { catalogueMatterFacts } from '../domain/clue.js';
import { matterIdPrefix, matterWorkflowId, SEQ_WIDTH } from '../domain/ids.js';
import { catalogue } from '../domain/scenarios/catalogue.js';
import { factsSchemas } from '../domain/scenarios/facts.js';
import { resolveScenario, type ResolvedScenario, type ScenarioId } from '../domain/scenarios/schema.js';
import { ApiError } from './errors.js';
import { priorResource, requestHashes } from './idempotency.js';

/** The facts as the scenario reads them (defaults filled in), or a 400 with each field's path. */
export function checkedFacts(scenario: ScenarioId, facts: Record<string, unknown> | undefined): Record<string, unknown> {
  const parsed = factsSchemas[scenario].safeParse(facts ?? {});
  if (!parsed.success) {
    throw new ApiError(
      400,
      'validation_failed',
      `${catalogue[scenario].name.zh}事项的 facts 不符合要求`,
      parsed.error.issues.map((i) => ({ path: ['body', 'facts', ...i.path.map(String)].join('.'), message: i.message })),
    );
  }
  return parsed.data as Record<string, unknown>;
}

/** The scenario as it applies in the county now. */
export async function countyDefinition(pool: Pool, county: string, scenario: ScenarioId): Promise<ResolvedScenario> {
  const override = await getScenarioOverride(pool, county, scenario);
  return resolveScenario(catalogue[scenario], override?.override, override?.version ?? 0);
}

/** `matter:<county>:<scenario>:<year>-<seq>`, the next of the county's scenario this year (Asia/Shanghai). */
export async function newMatterId(pool: Pool, county: string, scenario: ScenarioId): Promise<string> {
  const year = Number(shanghaiDate(Date.now()).slice(0, 4));
  return matterWorkflowId(county, scenario, year, await nextSeq(pool, `matter:${county}:${scenario}:${year}`));
}

/**
 * `POST /v1/matters` before it starts the workflow: the id it acts on (with an Idempotency-Key,
 * reserved under the key, so a retry, even after a crash between reserving and starting, lands on
 * the same matter; `created` is false for a retry; the same key with another body is a 409) and the
 * county's scenario. One database round trip (db/matters.ts `reserveMatterLaunch`), where
 * `reserveWorkflowId` with `newMatterId` and `countyDefinition` took three queries.
 */
export async function reserveMatter(
  pool: Pool,
  o: { county: string; scenario: ScenarioId; key: string | undefined; body: unknown },
): Promise<{ workflowId: string; created: boolean; definition: ResolvedScenario }> {
  const year = Number(shanghaiDate(Date.now()).slice(0, 4));
  const hashes = o.key ? requestHashes(o.body) : undefined;
  const r = await reserveMatterLaunch(pool, {
    counter: `matter:${o.county}:${o.scenario}:${year}`,
    prefix: matterIdPrefix(o.county, o.scenario, year),
    width: SEQ_WIDTH,
    county: o.county,
    scenario: o.scenario,
    ...(o.key && hashes ? { claim: { scope: `matter:${o.county}`, key: o.key, requestHash: hashes.canonical } } : {}),
  });
  const definition = resolveScenario(catalogue[o.scenario], r.override?.override, r.override?.version ?? 0);
  if (!r.prior) return { workflowId: r.candidate, created: true, definition };
  return { workflowId: priorResource(r.prior, hashes!), created: false, definition };
}

/**
 * A dispatch rule's matter, prepared at intake for the clue workflow to open at dispatch: its id,
 * its facts (the clue's township and trade, then the rule's) as the scenario reads them, the
 * county's scenario; or why it cannot be opened (no subject, facts the scenario refuses), and the
 * lead then handles the clue as usual.
 */
export async function catalogueMatter(
  pool: Pool,
  county: string,
  rule: { scenario: ScenarioId; facts?: Record<string, unknown> | undefined },
  clue: { subject?: unknown; township?: string | undefined; trade?: string | undefined },
) {
  const { scenario } = rule;
  if (!clue.subject) return { scenario, refused: '线索没有涉及对象' };
  const parsed = factsSchemas[scenario].safeParse(catalogueMatterFacts(clue, rule.facts));
  if (!parsed.success) return { scenario, refused: `事项 facts 不全：${[...new Set(parsed.error.issues.map((i) => i.path.join('.')))].join('、')}` };
  return {
    scenario,
    matterId: await newMatterId(pool, county, scenario),
    facts: parsed.data as Record<string, unknown>,
    definition: await countyDefinition(pool, county, scenario),
  };
}
