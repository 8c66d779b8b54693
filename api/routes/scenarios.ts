import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getScenarioOverride, putScenarioOverride } from '../../db/matters.js';
import { countySchema } from '../../domain/departments.js';
import { coversCounty } from '../../domain/principal.js';
import { catalogue } from '../../domain/scenarios/catalogue.js';
import { checkOverride, resolveScenario, scenarioIdSchema, scenarioOverrideSchema } from '../../domain/scenarios/schema.js';
import { requireRole } from '../auth.js';
import type { AppDeps } from '../app.js';
import { ApiError, errorBodySchema, forbidden } from '../errors.js';
import { adminAudit } from '../plumbing.js';
import { presentScenario, presentScenarioSummary } from '../presenters.js';

const scenarioSummarySchema = z.object({
  id: scenarioIdSchema,
  version: z.number().int(),
  name: z.object({ zh: z.string(), en: z.string() }),
  leadDepartment: z.string(),
  leadDepartmentName: z.string(),
  countyOverrideVersion: z.number().int().describe('0 when the county uses the catalogue defaults'),
});

const scenarioDetailSchema = scenarioSummarySchema.extend({
  legalBases: z.array(z.string()),
  roles: z.array(z.object({ role: z.string(), roleName: z.string(), department: z.string(), departmentName: z.string() })),
  stages: z.array(z.object({ key: z.string(), name: z.string() })),
  tasks: z.array(
    z.object({
      key: z.string(),
      role: z.string(),
      title: z.string(),
      instructions: z.string(),
      limits: z.object({ signFor: z.unknown(), handle: z.unknown() }),
      outcomes: z.array(z.string()).optional(),
    }),
  ),
  ladder: z.array(z.object({ rung: z.string(), workingDaysAfterDeadline: z.number(), notify: z.array(z.string()) })),
  settings: z.record(z.string(), z.unknown()),
  guide: z.string().describe('一业一册: what a business must comply with'),
});

export const scenarioRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const resolved = async (county: string, id: keyof typeof catalogue) => {
      const o = await getScenarioOverride(deps.pool, county, id);
      return resolveScenario(catalogue[id], o?.override, o?.version ?? 0);
    };

    app.get(
      '/scenarios',
      {
        schema: {
          summary: 'The pilot scenarios, as they apply in the caller’s county',
          tags: ['scenarios'],
          response: { 200: z.object({ items: z.array(scenarioSummarySchema) }), 401: errorBodySchema, 503: errorBodySchema },
        },
      },
      async (req) => ({
        items: await Promise.all(scenarioIdSchema.options.map(async (id) => presentScenarioSummary(await resolved(req.principal.county, id)))),
      }),
    );

    app.get(
      '/scenarios/:id',
      {
        schema: {
          summary: 'One scenario resolved for the caller’s county: roles, stages, tasks and time limits, ladder, guide',
          tags: ['scenarios'],
          params: z.object({ id: scenarioIdSchema }),
          response: { 200: scenarioDetailSchema, 400: errorBodySchema, 401: errorBodySchema, 503: errorBodySchema },
        },
      },
      async (req) => presentScenario(await resolved(req.principal.county, req.params.id)),
    );

    app.put(
      '/counties/:county/scenarios/:id',
      {
        schema: {
          summary: 'Set a county’s override of a scenario (admin): who plays a role, time limits, ladder, settings',
          description: 'Stored as a new version. Matters already running keep the definition they started with.',
          tags: ['scenarios'],
          params: z.object({ county: countySchema, id: scenarioIdSchema }),
          body: scenarioOverrideSchema,
          response: { 200: scenarioDetailSchema, 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 503: errorBodySchema },
        },
      },
      async (req) => {
        requireRole(req, 'admin');
        const { county, id } = req.params;
        if (!coversCounty(req.principal, county)) throw forbidden('只能调整本辖区的事项目录');
        const issues = checkOverride(catalogue[id], req.body);
        if (issues.length) {
          throw new ApiError(
            400,
            'validation_failed',
            '事项目录调整不符合要求',
            issues.map((i) => ({ path: ['body', ...i.path].join('.'), message: i.message })),
          );
        }
        await adminAudit(
          deps,
          req.principal,
          (client) => putScenarioOverride(client, county, id, req.body, req.principal.keyId),
          (version) => ({
            eventId: `scenario-override:${county}:${id}:v${version}`,
            county,
            action: 'scenario.override',
            objectId: `scenario:${county}:${id}`,
            details: { version, override: req.body },
          }),
        );
        return presentScenario(await resolved(county, id));
      },
    );
  };
