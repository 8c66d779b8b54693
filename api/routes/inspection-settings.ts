/**
 * The county's published yearly cap of inspections per enterprise (国办发〔2024〕54号; DOMAIN §7;
 * issue 14 §4). The county's admin sets it (audited, one version per change); what is set is the
 * published cap, public like the list of items and read afresh by the next draw and the next ad-hoc
 * inspection (db/inspection-settings.ts `yearlyCap`): a subject at the cap is left out of draws and
 * an ad-hoc inspection of it answers 409 `recently_inspected`.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { inspectionSettings, putInspectionSettings, type InspectionSettings } from '../../db/inspection-settings.js';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { countySchema, divisionName } from '../../domain/departments.js';
import { hasRole } from '../../domain/principal.js';
import { safeText } from '../../domain/text.js';
import type { AppDeps } from '../app.js';
import { AuthFailureThrottle, authenticateRequest } from '../auth.js';
import { ApiError, errorBodySchema, forbidden } from '../errors.js';
import { adminAudit, errorResponses } from '../plumbing.js';

const countyParams = z.object({ county: countySchema });

/** At most one inspection a day: a bound that keeps any cap a county could mean. */
const maxYearlyCap = 366;

const settingsBodySchema = z.object({
  yearlyCap: z
    .number()
    .int()
    .min(1)
    .max(maxYearlyCap)
    .nullable()
    .describe('Inspections of one enterprise a year at most (国办发〔2024〕54号), counted over every department’s; null: no cap'),
  basis: safeText().trim().min(1).max(200).optional().describe('The county’s published document the cap comes from, e.g. `周政办发〔2025〕3号`'),
  baseVersion: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('The version edited (0: none set yet): a version made meanwhile answers 409 `stale_version` and nothing is written'),
});

const settingsSchema = z.object({
  county: z.string(),
  countyName: z.string(),
  yearlyCap: z.number().int().nullable().describe('Inspections of one enterprise a year at most; null: no cap'),
  basis: z.string().optional().describe('The county’s published document the cap comes from'),
  version: z.number().int().describe('Each change is a new version; 0 when the county never set one'),
  updatedAt: z.string().nullable().describe('When the version in force was made (+08:00); null when never set'),
});

const present = (s: InspectionSettings) => ({
  county: s.county,
  countyName: divisionName(s.county),
  yearlyCap: s.yearlyCap,
  ...(s.basis !== undefined ? { basis: s.basis } : {}),
  version: s.version,
  updatedAt: s.updatedAt ? toShanghaiIso(Date.parse(s.updatedAt)) : null,
});

/**
 * `GET /v1/counties/{county}/inspection-settings`: public (一公开), the same answer with or without
 * a key. Outside the key-checked scope like the county's list of items, so it authenticates a key
 * itself when one is sent (a bad one is 401).
 */
export const inspectionSettingsPublicRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const throttle = new AuthFailureThrottle(deps.config.AUTH_FAILURE_BURST, deps.config.AUTH_FAILURES_PER_MINUTE);
    app.get(
      '/counties/:county/inspection-settings',
      {
        schema: {
          summary: 'The county’s published yearly cap of inspections per enterprise (国办发〔2024〕54号), readable without a key',
          description:
            'The cap in force: a subject inspected that many times this year is left out of the draws (the reason recorded) and an ad-hoc inspection of it answers 409 `recently_inspected`, unless a clue or risk warning requires the check. `yearlyCap: null`: no cap.',
          tags: ['inspection-settings'],
          security: [],
          params: countyParams,
          response: {
            200: settingsSchema,
            400: errorBodySchema,
            401: errorBodySchema,
            429: errorBodySchema,
            503: errorBodySchema,
          },
        },
      },
      async (req) => {
        if (req.headers.authorization) await authenticateRequest(req, deps.pool, throttle);
        return present(await inspectionSettings(deps.pool, req.params.county));
      },
    );
  };

/** `PUT /v1/counties/{county}/inspection-settings`: the county's admin. */
export const inspectionSettingsRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.put(
      '/counties/:county/inspection-settings',
      {
        schema: {
          summary: 'Set (publish) the county’s yearly cap of inspections per enterprise (admin): a new version each change, audited',
          description:
            'What is set is the published cap: public at once, and read by the next draw’s snapshot and the next `POST /v1/inspections` (a round already drawn keeps the cap it recorded). `yearlyCap: null` removes the cap. The same values as in force write nothing (a retry); `baseVersion` guards an edit against one made meanwhile (409 `stale_version`).',
          tags: ['inspection-settings'],
          params: countyParams,
          body: settingsBodySchema,
          response: { 200: settingsSchema, ...errorResponses(400, 401, 403, 409, 503) },
        },
      },
      async (req) => {
        const p = req.principal;
        const { county } = req.params;
        if (!hasRole(p, 'admin') || p.county !== county) throw forbidden('只有本县管理员可以设置年度检查次数上限');
        const b = req.body;
        const result = await adminAudit(
          deps,
          p,
          (client) => putInspectionSettings(client, { county, yearlyCap: b.yearlyCap, basis: b.basis, baseVersion: b.baseVersion, by: p.keyId }),
          (r) =>
            r === 'stale' || !r.changed
              ? undefined
              : {
                  eventId: `inspection-settings:${county}:v${r.settings.version}`,
                  county,
                  action: 'inspection-settings.put',
                  objectId: `inspection-settings:${county}`,
                  details: {
                    version: r.settings.version,
                    yearlyCap: r.settings.yearlyCap,
                    ...(r.settings.basis !== undefined ? { basis: r.settings.basis } : {}),
                  },
                },
        );
        if (result === 'stale') throw new ApiError(409, 'stale_version', '年度检查次数上限已被他人修改，请刷新后重试');
        return present(result.settings);
      },
    );
  };
