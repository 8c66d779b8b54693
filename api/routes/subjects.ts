import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../db/events.js';
import { inTransaction } from '../../db/sql.js';
import { appendAudit } from '../../db/events.js';
import {
  creditHistory,
  isUniqueViolation,
  putRegistrySettings,
  registryRecord,
  registrySettings,
  writeSubjects,
  type WriteOutcome,
} from '../../db/subject-registry.js';
import { eraseSubject, getSubject, mattersOfSubject, SubjectInUse } from '../../db/subjects.js';
import { toUrlId } from '../../domain/ids.js';
import { canSeeSubject, canWriteRegistry } from '../../db/visibility.js';
import { countySchema } from '../../domain/departments.js';
import { hasRole, type Principal } from '../../domain/principal.js';
import { registrySubjectSchema } from '../../domain/registry.js';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { safeText } from '../../domain/text.js';
import { requireRole } from '../auth.js';
import type { AppDeps } from '../app.js';
import { ApiError, forbidden, invalidField, notFound } from '../errors.js';
import { adminAudit, auditEventId, errorResponses } from '../plumbing.js';
import { presentErasure as present } from '../presenters.js';
import { erasureSchema } from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404, 409, 503);
const params = z.object({ subjectId: z.string().regex(/^s-[0-9a-f]{32}$/, 'expected a subject id (s-…)') });

const iso = (t: string) => toShanghaiIso(Date.parse(t));

const creditHistorySchema = z
  .array(
    z.object({
      grade: z.string(),
      from: z.string().nullable().describe('The grade before (null at registration)'),
      reason: z.string(),
      at: z.string(),
    }),
  )
  .describe('Every grade the subject has had, oldest first');

/** A subject as the registry keeps it (null fields: not given). */
export const registrySchema = z.object({
  name: z.string().describe('Personal data for a person or a sole trader'),
  kind: z.string(),
  creditCode: z.string().nullable(),
  township: z.string(),
  trade: z.string(),
  tags: z.array(z.string()),
  creditGrade: z.string(),
  address: z.string().nullable(),
  registeredAt: z.string(),
  updatedAt: z.string(),
});

async function registryOf(pool: AppDeps['pool'], subjectId: string) {
  const r = await registryRecord(pool, subjectId);
  if (!r) return { registry: null, creditHistory: [] };
  return {
    registry: {
      name: r.name,
      kind: r.kind,
      creditCode: r.creditCode,
      township: r.township,
      trade: r.trade,
      tags: r.tags,
      creditGrade: r.creditGrade,
      address: r.address,
      registeredAt: iso(r.registeredAt),
      updatedAt: iso(r.updatedAt),
    },
    creditHistory: (await creditHistory(pool, subjectId)).map((h) => ({ ...h, at: iso(h.at) })),
  };
}

/** A grade the county does not use (E where it grades A–D only). */
export const gradeNotUsed = (path: string) => invalidField(path, '本县信用等级为 A–D，未启用 E 级（严重失信）');

/** Why a row was not written, as a 4xx of a PUT. */
export function refusalOf(o: Extract<WriteOutcome, { outcome: 'refused' }>): ApiError {
  if (o.reason === 'other-county') return notFound('主体');
  if (o.reason === 'erased') return new ApiError(409, 'subject_erased', '该主体的个人信息已依法删除，不能再登记');
  return new ApiError(409, 'subject_exists', `已有同一主体（统一社会信用代码，或类型、名称和地址相同）：${o.existing}`);
}

async function visibleSubject(pool: AppDeps['pool'], p: Principal, subjectId: string) {
  const s = await getSubject(pool, subjectId);
  if (!s || !canSeeSubject(p, s)) throw notFound('主体');
  return s;
}

/**
 * A matter's subject (its id is on the matter: `subjectId`), and the erasure of its personal data
 * from the record (PIPL art. 47) by the county's administrator.
 */
export const subjectRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/subjects/:subjectId',
      {
        schema: {
          summary: 'A subject: its county, kind, matters, its registry record and credit history, and its erasure if any (admin, supervisor, auditor)',
          tags: ['subjects'],
          params,
          response: {
            200: z.object({
              subjectId: z.string(),
              county: z.string(),
              kind: z.string(),
              matters: z.array(z.string()),
              erasure: erasureSchema.nullable(),
              registry: registrySchema.nullable().describe('The object registry’s record (null: a matter’s subject not registered)'),
              creditHistory: creditHistorySchema,
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        requireRole(req, 'admin', 'supervisor', 'auditor');
        const s = await visibleSubject(deps.pool, req.principal, req.params.subjectId);
        const matters = (await mattersOfSubject(deps.pool, s.subjectId)).map(toUrlId);
        return {
          subjectId: s.subjectId,
          county: s.county,
          kind: s.kind,
          matters,
          erasure: s.erasure ? present(s.erasure) : null,
          ...(await registryOf(deps.pool, s.subjectId)),
        };
      },
    );

    app.post(
      '/subjects/:subjectId/erase',
      {
        schema: {
          summary: 'Erase a subject’s personal data from the record (admin; PIPL art. 47): audit texts, timelines, notifications, read model',
          description:
            'Refused (409 subject_in_use) while one of its matters is open. The audit chain still verifies: ' +
            'erased texts were kept outside it, under a salted digest. Public results stay (publication is required by law). ' +
            'Temporal keeps the encrypted histories until its retention ends. Sent again, answers the first erasure.',
          tags: ['subjects'],
          params,
          body: z.object({ reason: safeText().trim().min(2).max(500).describe('Why (e.g. the person’s request under PIPL art. 47, its reference)') }),
          response: { 200: erasureSchema, ...errors },
        },
      },
      async (req) => {
        requireRole(req, 'admin');
        const s = await visibleSubject(deps.pool, req.principal, req.params.subjectId);
        try {
          return present(await inTransaction(deps.pool, (client) => eraseSubject(client, s.subjectId, actorOf(req.principal), req.body.reason)));
        } catch (err) {
          if (err instanceof SubjectInUse) throw new ApiError(409, 'subject_in_use', '该主体仍有未办结的事项，办结后方可删除其个人信息');
          throw err;
        }
      },
    );
    const putAnswer = z.object({ subjectId: z.string(), county: z.string(), registry: registrySchema, creditHistory: creditHistorySchema });
    app.put(
      '/subjects/:subjectId',
      {
        schema: {
          summary: 'Register a subject in the object registry, or change its record (the county’s admin): tags, credit grade (its history kept)',
          description:
            'The id is the caller’s (a matter’s subject keeps its own; a new one: `s-` and 32 random hex digits, no personal data). ' +
            'A subject already registered under another id with the same credit code (or kind, name and address) is 409 `subject_exists`; an erased one 409 `subject_erased`. ' +
            'A new grade adds to the credit history with `creditReason`. E only where the county grades E (`/counties/{county}/registry-settings`).',
          tags: ['subjects'],
          params,
          body: registrySubjectSchema,
          response: { 200: putAnswer, 201: putAnswer, ...errors },
        },
      },
      async (req, reply) => {
        const p = req.principal;
        const body = req.body;
        if (!canWriteRegistry(p, body.county)) throw forbidden('只有本县管理员可以维护监管对象库');
        if (body.creditGrade === 'E' && !(await registrySettings(deps.pool, body.county)).gradeE) throw gradeNotUsed('body.creditGrade');
        const subjectId = req.params.subjectId;
        let outcome: WriteOutcome | undefined;
        for (let attempt = 0; !outcome; attempt++) {
          try {
            outcome = await inTransaction(deps.pool, async (client) => {
              const [o] = await writeSubjects(client, body.county, [{ subjectId, subject: body }], p.keyId, '管理员登记');
              if (o!.outcome !== 'refused') {
                await appendAudit(client, {
                  eventId: auditEventId(`subject:${subjectId}`),
                  at: new Date().toISOString(),
                  county: body.county,
                  ...actorOf(p),
                  action: o!.outcome === 'created' ? 'subject.registered' : 'subject.updated',
                  objectId: subjectId,
                  // No name or address in the chain: the grade and, as free text (erasable), its reason.
                  details: {
                    kind: body.kind,
                    creditGrade: body.creditGrade,
                    tags: body.tags.length,
                    ...(o!.regraded && body.creditReason ? { reason: body.creditReason } : {}),
                  },
                });
              }
              return o!;
            });
          } catch (err) {
            if (!isUniqueViolation(err) || attempt >= 2) throw err;
          }
        }
        if (outcome.outcome === 'refused') throw refusalOf(outcome);
        void reply.code(outcome.outcome === 'created' ? 201 : 200);
        const r = await registryOf(deps.pool, subjectId);
        return { subjectId, county: body.county, registry: r.registry!, creditHistory: r.creditHistory };
      },
    );

    const countyParams = z.object({ county: countySchema });
    const settingsAnswer = z.object({
      county: z.string(),
      creditGradeE: z.boolean().describe('The county grades E (严重失信) besides A–D'),
      creditGrades: z.array(z.string()).describe('The grades a subject of the county may have'),
      updatedAt: z.string().optional(),
    });
    const settingsOf = (county: string, s: { gradeE: boolean; updatedAt?: string }) => ({
      county,
      creditGradeE: s.gradeE,
      creditGrades: s.gradeE ? ['A', 'B', 'C', 'D', 'E'] : ['A', 'B', 'C', 'D'],
      ...(s.updatedAt ? { updatedAt: iso(s.updatedAt) } : {}),
    });

    app.get(
      '/counties/:county/registry-settings',
      {
        schema: {
          summary: 'The county’s object-registry settings: the credit grades it uses (A–D, or A–E)',
          tags: ['subjects'],
          params: countyParams,
          response: { 200: settingsAnswer, ...errors },
        },
      },
      async (req) => {
        const p = req.principal;
        if (!canSeeSubject(p, { county: req.params.county }) || !hasRole(p, 'admin', 'supervisor', 'auditor')) {
          throw forbidden('无权查看该县的监管对象库设置');
        }
        return settingsOf(req.params.county, await registrySettings(deps.pool, req.params.county));
      },
    );

    app.put(
      '/counties/:county/registry-settings',
      {
        schema: {
          summary: 'Set the county’s credit grades (admin): E (严重失信) besides A–D, as some provinces grade; audited',
          description: 'E cannot be given up while a subject of the county is graded E: 409 `grade_in_use`.',
          tags: ['subjects'],
          params: countyParams,
          body: z.object({ creditGradeE: z.boolean().describe('Grade E (严重失信) besides A–D (default false)') }),
          response: { 200: settingsAnswer, ...errors },
        },
      },
      async (req) => {
        const p = req.principal;
        const { county } = req.params;
        if (!canWriteRegistry(p, county)) throw forbidden('只有本县管理员可以修改监管对象库设置');
        const done = await adminAudit(
          deps,
          p,
          (client) => putRegistrySettings(client, county, req.body.creditGradeE, p.keyId),
          (r) =>
            r === 'ok'
              ? {
                  eventId: auditEventId(`registry-settings:${county}`),
                  county,
                  action: 'registry-settings.put',
                  objectId: `registry-settings:${county}`,
                  details: { creditGradeE: req.body.creditGradeE },
                }
              : undefined,
        );
        if (done === 'in_use') throw new ApiError(409, 'grade_in_use', '本县仍有 E 级主体，不能停用 E 级');
        return settingsOf(county, await registrySettings(deps.pool, county));
      },
    );
  };
