/**
 * The inspector registry (执法检查人员库, DOMAIN §7; issue 14 §1): only holders of an enforcement
 * certificate inspect (国办发〔2024〕54号), so an inspector without a 执法证号 is refused. The
 * county's admin keeps every department's inspectors, a department's head its own department's.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getInspector, knownSubjects, listInspectors, putInspector, type Inspector } from '../../db/inspectors.js';
import { isUniqueViolation } from '../../db/subject-registry.js';
import { canSeeInspector, canWriteInspector } from '../../db/visibility.js';
import { departmentInCounty, departmentSchema } from '../../domain/departments.js';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { hasRole } from '../../domain/principal.js';
import { inspectorBodySchema, inspectorIdSchema } from '../../domain/registry.js';
import type { AppDeps } from '../app.js';
import { ApiError, forbidden, invalidField, notFound, townshipOfAnotherCounty } from '../errors.js';
import { adminAudit, auditEventId, cursorOf, errorResponses, keysetPage, officerScope, pageQuery } from '../plumbing.js';
import { boolQuery } from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404, 409, 503);
const params = z.object({ inspectorId: inspectorIdSchema });

const inspectorSchema = z.object({
  inspectorId: z.string(),
  county: z.string(),
  department: z.string(),
  name: z.string(),
  certificateNo: z.string().describe('执法证号'),
  qualifications: z.array(z.string()),
  specialties: z.array(z.string()),
  active: z.boolean(),
  conflicts: z.array(z.string()).describe('Subjects it declared a conflict with'),
  version: z.number().int().describe('1 when registered, one more at each change'),
  updatedAt: z.string(),
});
const present = (i: Inspector) => ({ ...i, updatedAt: toShanghaiIso(Date.parse(i.updatedAt)) });

export const inspectorRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.put(
      '/inspectors/:inspectorId',
      {
        schema: {
          summary: 'Register an inspector, or change the record (the county’s admin, or the head of the inspector’s department): certificate required',
          description:
            'The inspector belongs to the caller’s county. A certificate number held by another inspector is 409 `certificate_in_use`; a conflict naming a subject the county does not have is 400. ' +
            'A head may not move an inspector to or from another department.',
          tags: ['inspectors'],
          params,
          body: inspectorBodySchema,
          response: { 200: inspectorSchema, 201: inspectorSchema, ...errors },
        },
      },
      async (req, reply) => {
        const p = req.principal;
        const b = req.body;
        const county = p.county;
        const existing = await getInspector(deps.pool, req.params.inspectorId);
        if (existing && !canSeeInspector(p, existing)) throw notFound('检查人员');
        if (existing && !canWriteInspector(p, existing)) throw forbidden('只有本县管理员或该部门负责人可以修改检查人员');
        if (!canWriteInspector(p, { county, department: b.department })) throw forbidden('只有本县管理员或该部门负责人可以登记检查人员');
        if (!departmentInCounty(b.department, county)) throw townshipOfAnotherCounty('body.department', county);
        const known = await knownSubjects(deps.pool, county, b.conflicts);
        const unknown = b.conflicts.findIndex((s) => !known.has(s));
        if (unknown >= 0) throw invalidField(`body.conflicts.${unknown}`, '本县没有这个监管对象');
        try {
          const { inspector, created } = await adminAudit(
            deps,
            p,
            (client) => putInspector(client, { inspectorId: req.params.inspectorId, county, body: b, by: p.keyId }),
            (r) => ({
              eventId: auditEventId(`inspector:${r.inspector.inspectorId}`),
              county,
              action: r.created ? 'inspector.registered' : 'inspector.updated',
              objectId: `inspector:${r.inspector.inspectorId}`,
              // The department and what it may do; no name in the chain.
              details: { department: b.department, active: b.active, version: r.inspector.version, conflicts: b.conflicts.length },
            }),
          );
          void reply.code(created ? 201 : 200);
          return present(inspector);
        } catch (err) {
          if (isUniqueViolation(err)) throw new ApiError(409, 'certificate_in_use', '该执法证号已登记在其他检查人员名下');
          throw err;
        }
      },
    );

    app.get(
      '/inspectors',
      {
        schema: {
          summary: 'Inspectors the caller may see, by id: admins, supervisors and auditors every department’s; a department its own',
          tags: ['inspectors'],
          querystring: z.object({
            department: departmentSchema.optional(),
            active: boolQuery.optional().describe('Only active (true) or inactive (false) inspectors'),
            ...pageQuery(),
          }),
          response: { 200: z.object({ items: z.array(inspectorSchema), nextCursor: z.string().nullable() }), ...errors },
        },
      },
      async (req) => {
        const p = req.principal;
        const q = req.query;
        const broad = hasRole(p, 'admin', 'supervisor', 'auditor');
        const { department } = officerScope(p, q.department, { noDepartment: '该密钥未绑定部门', otherDepartment: '只能查看本部门的检查人员' }, !broad);
        const after = cursorOf(q.cursor, { inspectorId: 'string' })?.inspectorId;
        const rows = await listInspectors(deps.pool, p, { department, active: q.active, limit: q.limit + 1, after });
        const page = keysetPage(rows, q.limit, (last) => ({ inspectorId: last.inspectorId }));
        return { items: page.rows.map(present), nextCursor: page.nextCursor };
      },
    );
  };
