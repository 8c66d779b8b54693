/**
 * The county's list of integrated-supervision items (事项清单, DOMAIN §7; issue 14 §1): its admin
 * keeps it, one version per change (audited; `baseVersion` refuses an edit of a stale copy), and
 * what is published is public (一公开), readable without a key. Plans and inspections name only
 * published items (db/inspection-items.ts `publishedItem`).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { currentItems, putItem } from '../../db/inspection-items.js';
import { canSeeItem } from '../../db/visibility.js';
import { countySchema, departmentInCounty, divisionName } from '../../domain/departments.js';
import { hasRole, type Principal } from '../../domain/principal.js';
import { inspectionItemBodySchema, itemIdSchema, type InspectionItem } from '../../domain/registry.js';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import type { AppDeps } from '../app.js';
import { AuthFailureThrottle, authenticateRequest } from '../auth.js';
import { ApiError, errorBodySchema, forbidden, invalidField, townshipOfAnotherCounty } from '../errors.js';
import { adminAudit, errorResponses } from '../plumbing.js';
import { boolQuery } from '../schemas.js';

const countyParams = z.object({ county: countySchema });

const itemSchema = z.object({
  county: z.string(),
  itemId: z.string(),
  version: z.number().int().describe('Each change is a new version; the newest is in force'),
  field: z.string().describe('监管领域'),
  lead: z.string().describe('牵头单位'),
  cooperating: z.array(z.string()).describe('配合单位'),
  what: z.string().describe('监管事项'),
  basis: z.array(z.object({ statute: z.string(), article: z.string() })).describe('设定依据'),
  objectKind: z.string().describe('监管对象'),
  category: z.enum(['key', 'general']).describe('事项类别'),
  method: z.enum(['on-site', 'off-site', 'written']).describe('检查方式'),
  level: z.enum(['national', 'provincial', 'city', 'county']).describe('监管层级'),
  published: z.boolean(),
  updatedAt: z.string().describe('When this version was made (+08:00)'),
});

const present = (i: InspectionItem) => ({
  county: i.county,
  itemId: i.itemId,
  version: i.version,
  field: i.field,
  lead: i.lead,
  cooperating: i.cooperating,
  what: i.what,
  basis: i.basis,
  objectKind: i.objectKind,
  category: i.category,
  method: i.method,
  level: i.level,
  published: i.published,
  updatedAt: toShanghaiIso(Date.parse(i.updatedAt)),
});

/**
 * `GET /v1/counties/{county}/inspection-items`: the published list for anyone; with a key, the
 * unpublished items too for those who may see them (db/visibility.ts `canSeeItem`). Outside the
 * key-checked scope, so it authenticates a key itself when one is sent (a bad one is 401).
 */
export const inspectionItemPublicRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const throttle = new AuthFailureThrottle(deps.config.AUTH_FAILURE_BURST, deps.config.AUTH_FAILURES_PER_MINUTE);
    app.get(
      '/counties/:county/inspection-items',
      {
        schema: {
          summary:
            'The county’s list of integrated-supervision items (事项清单): the published items without a key; with a key, also those the caller may see unpublished',
          description:
            'No key: the published items (一公开), as in force. A key of the county’s admins, or of supervisors and auditors of a covering division, also lists unpublished items; a department’s key those it leads or cooperates in. `published` filters.',
          tags: ['inspection-items'],
          security: [],
          params: countyParams,
          querystring: z.object({ published: boolQuery.optional().describe('Only published (true) or only unpublished (false) items') }),
          response: {
            200: z.object({ county: z.string(), countyName: z.string(), items: z.array(itemSchema) }),
            400: errorBodySchema,
            401: errorBodySchema,
            429: errorBodySchema,
            503: errorBodySchema,
          },
        },
      },
      async (req) => {
        const p: Principal | undefined = req.headers.authorization ? await authenticateRequest(req, deps.pool, throttle) : undefined;
        const { county } = req.params;
        const items = (await currentItems(deps.pool, county)).filter(
          (i) => canSeeItem(p, i) && (req.query.published === undefined || i.published === req.query.published),
        );
        return { county, countyName: divisionName(county), items: items.map(present) };
      },
    );
  };

/** `PUT /v1/counties/{county}/inspection-items/{itemId}`: the county's admin. */
export const inspectionItemRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.put(
      '/counties/:county/inspection-items/:itemId',
      {
        schema: {
          summary: 'Put an item on the county’s list, or change it (admin): a new version each time, audited',
          description:
            '`baseVersion` is the version edited (0 for a new item): an item changed meanwhile answers 409 `stale_version` and nothing is written. `published: true` makes it public and plannable; only published items may be planned or inspected (国办发〔2024〕54号).',
          tags: ['inspection-items'],
          params: countyParams.extend({ itemId: itemIdSchema }),
          body: inspectionItemBodySchema,
          response: { 200: itemSchema, 201: itemSchema, ...errorResponses(400, 401, 403, 404, 409, 503) },
        },
      },
      async (req, reply) => {
        const p = req.principal;
        const { county, itemId } = req.params;
        if (!hasRole(p, 'admin') || p.county !== county) throw forbidden('只有本县管理员可以修改事项清单');
        const b = req.body;
        if (!departmentInCounty(b.lead, county)) throw townshipOfAnotherCounty('body.lead', county);
        const i = b.cooperating.findIndex((d) => !departmentInCounty(d, county));
        if (i >= 0) throw invalidField(`body.cooperating.${i}`, `该乡镇不属于 ${county}`);
        const result = await adminAudit(
          deps,
          p,
          (client) => putItem(client, { county, itemId, body: b, createdBy: p.keyId }),
          (r) =>
            r === 'stale'
              ? undefined
              : {
                  eventId: `inspection-item:${county}:${itemId}:v${r.version}`,
                  county,
                  action: 'inspection-item.put',
                  objectId: `inspection-item:${county}:${itemId}`,
                  details: { version: r.version, published: r.published, category: r.category, method: r.method, lead: r.lead },
                },
        );
        if (result === 'stale') throw new ApiError(409, 'stale_version', '该事项已被他人修改，请刷新后重试');
        void reply.code(result.version === 1 ? 201 : 200);
        return present(result);
      },
    );
  };
