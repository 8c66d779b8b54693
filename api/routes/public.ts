import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listPublicResults } from '../../db/matters.js';
import { countySchema } from '../../domain/departments.js';
import { scenarioIdSchema } from '../../domain/scenarios/schema.js';
import type { AppDeps } from '../app.js';
import { errorBodySchema } from '../errors.js';
import { cursorOf, keysetPage, pageQuery, shanghaiDayRange } from '../plumbing.js';
import { presentPublicResult } from '../presenters.js';
import { isoDateSchema } from '../schemas.js';

/** What a result is about: a pilot scenario's matter, or a joint inspection (双随机). */
const publicScenarioSchema = z.union([scenarioIdSchema, z.literal('joint-inspection').describe('A (joint) random inspection’s result (双随机、一公开)')]);

const resultSchema = z.object({
  resultId: z.string(),
  county: z.string(),
  countyName: z.string(),
  scenario: publicScenarioSchema,
  scenarioName: z.string(),
  subject: z.string().describe('An organisation with its credit code, or a neutral label: never a person’s name'),
  resultCode: z.string(),
  summary: z.string(),
  inspectedBy: z.array(z.string()).describe('Departments that took part (谁检查、谁公开)'),
  publishedAt: z.string(),
  kind: z.enum(['inspection', 'penalty']).describe('An inspection result or a penalty decision (DOMAIN §9)'),
  version: z.number().int().describe('The current version: a later one replaced the check’s result with the final one, or corrected it'),
  updatedAt: z.string().optional().describe('When the current version replaced an earlier one'),
});

/** 一公开: published results, readable by anyone without a key. */
export const publicRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/results',
      {
        schema: {
          summary: 'Published inspection results and penalty decisions, current versions, withdrawn ones left out (no key needed, no personal data)',
          tags: ['public'],
          security: [],
          querystring: z.object({
            county: countySchema.optional().describe('A county, or a city code for all its counties'),
            scenario: publicScenarioSchema.optional(),
            from: isoDateSchema.optional().describe('Published on or after this date (Asia/Shanghai)'),
            to: isoDateSchema.optional().describe('Published on or before this date (Asia/Shanghai)'),
            ...pageQuery(),
          }),
          response: { 200: z.object({ items: z.array(resultSchema), nextCursor: z.string().nullable() }), 400: errorBodySchema, 503: errorBodySchema },
        },
      },
      async (req) => {
        const q = req.query;
        const before = cursorOf(q.cursor, { publishedAt: 'time', resultId: 'string' });
        const rows = await listPublicResults(deps.pool, {
          ...(q.county ? { county: q.county } : {}),
          ...(q.scenario ? { scenario: q.scenario } : {}),
          ...shanghaiDayRange(q.from, q.to),
          limit: q.limit + 1,
          ...(before ? { before } : {}),
        });
        const page = keysetPage(rows, q.limit, (last) => ({ publishedAt: last.publishedAt, resultId: last.resultId }));
        return {
          items: page.rows.map(presentPublicResult),
          nextCursor: page.nextCursor,
        };
      },
    );
  };
