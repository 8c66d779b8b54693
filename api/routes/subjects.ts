import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../db/events.js';
import { inTransaction } from '../../db/sql.js';
import { eraseSubject, getSubject, mattersOfSubject, SubjectInUse } from '../../db/subjects.js';
import { toUrlId } from '../../domain/ids.js';
import { canSeeSubject } from '../../db/visibility.js';
import type { Principal } from '../../domain/principal.js';
import { safeText } from '../../domain/text.js';
import { requireRole } from '../auth.js';
import type { AppDeps } from '../app.js';
import { ApiError, notFound } from '../errors.js';
import { errorResponses } from '../plumbing.js';
import { presentErasure as present } from '../presenters.js';
import { erasureSchema } from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404, 409, 503);
const params = z.object({ subjectId: z.string().regex(/^s-[0-9a-f]{32}$/, 'expected a subject id (s-…)') });

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
          summary: 'A subject: its county, kind, matters, and its erasure if any (admin, supervisor, auditor)',
          tags: ['subjects'],
          params,
          response: {
            200: z.object({ subjectId: z.string(), county: z.string(), kind: z.string(), matters: z.array(z.string()), erasure: erasureSchema.nullable() }),
            ...errors,
          },
        },
      },
      async (req) => {
        requireRole(req, 'admin', 'supervisor', 'auditor');
        const s = await visibleSubject(deps.pool, req.principal, req.params.subjectId);
        const matters = (await mattersOfSubject(deps.pool, s.subjectId)).map(toUrlId);
        return { subjectId: s.subjectId, county: s.county, kind: s.kind, matters, erasure: s.erasure ? present(s.erasure) : null };
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
  };
