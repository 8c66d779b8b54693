import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listPublicResults } from '../../db/matters.js';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { countySchema, departmentName, divisionName } from '../../domain/departments.js';
import { scenarioIdSchema } from '../../domain/scenarios/schema.js';
import { catalogue } from '../../domain/scenarios/catalogue.js';
import { safeText } from '../../domain/text.js';
import type { AppDeps } from '../app.js';
import { errorBodySchema } from '../errors.js';
import { decodeCursor, pageOf } from '../idempotency.js';
import { isoDateSchema } from '../schemas.js';

const resultSchema = z.object({
  resultId: z.string(),
  county: z.string(),
  countyName: z.string(),
  scenario: scenarioIdSchema,
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
export const publicRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  app.get('/results', {
    schema: {
      summary: 'Published inspection results and penalty decisions, current versions, withdrawn ones left out (no key needed, no personal data)',
      tags: ['public'],
      security: [],
      querystring: z.object({
        county: countySchema.optional().describe('A county, or a city code for all its counties'),
        scenario: scenarioIdSchema.optional(),
        from: isoDateSchema.optional().describe('Published on or after this date (Asia/Shanghai)'),
        to: isoDateSchema.optional().describe('Published on or before this date (Asia/Shanghai)'),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        cursor: safeText().max(400).optional(),
      }),
      response: { 200: z.object({ items: z.array(resultSchema), nextCursor: z.string().nullable() }), 400: errorBodySchema, 503: errorBodySchema },
    },
  }, async (req) => {
    const q = req.query;
    const before = q.cursor ? decodeCursor(q.cursor, { publishedAt: 'time', resultId: 'string' }) as { publishedAt: string; resultId: string } : undefined;
    const rows = await listPublicResults(deps.pool, {
      ...(q.county ? { county: q.county } : {}),
      ...(q.scenario ? { scenario: q.scenario } : {}),
      ...(q.from ? { from: `${q.from}T00:00:00+08:00` } : {}),
      ...(q.to ? { to: new Date(Date.parse(`${q.to}T00:00:00+08:00`) + 86_400_000).toISOString() } : {}),
      limit: q.limit + 1,
      ...(before ? { before } : {}),
    });
    const page = pageOf(rows, q.limit, (last) => ({ publishedAt: last.publishedAt, resultId: last.resultId }));
    return {
      items: page.rows.map((r) => ({
        resultId: r.resultId, county: r.county, countyName: divisionName(r.county), scenario: r.scenario as keyof typeof catalogue,
        scenarioName: catalogue[r.scenario as keyof typeof catalogue]?.name.zh ?? r.scenario, subject: r.subjectLabel,
        resultCode: r.resultCode, summary: r.summary, inspectedBy: r.inspectedBy.map(departmentName),
        publishedAt: toShanghaiIso(Date.parse(r.publishedAt)),
        kind: r.kind, version: r.version, ...(r.updatedAt ? { updatedAt: toShanghaiIso(Date.parse(r.updatedAt)) } : {}),
      })),
      nextCursor: page.nextCursor,
    };
  });
};
