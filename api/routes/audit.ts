import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listAudit, verifyAudit, withTexts } from '../../db/events.js';
import { auditEntryViewSchema } from '../../domain/records.js';
import { safeText } from '../../domain/text.js';
import { visibleCountyPrefix } from '../../db/visibility.js';
import { requireRole } from '../auth.js';
import type { AppDeps } from '../app.js';
import { badCursor, csvField, cursorOf, errorResponses, keysetPage, pageQuery, wantsCsv } from '../plumbing.js';
import { presentAuditEntry as present } from '../presenters.js';
import { isoDateTimeSchema } from '../schemas.js';

const errors = errorResponses(400, 401, 403, 503);

const entry = auditEntryViewSchema.shape;
const entrySchema = auditEntryViewSchema.extend({
  actor: entry.actor.describe('The person or system who acted (from the hashed details)'),
  details: entry.details.describe('Free text (summary, reason, comment…) is stored outside the chain, which holds its salted digest; an erased text is null'),
  erased: entry.erased.describe('Fields of `details` whose text was erased (POST /v1/subjects/{subjectId}/erase)'),
  chain: entry.chain.describe('The county whose hash chain holds the entry (null: written before per-county chains)'),
});

const csvColumns = ['id', 'eventId', 'at', 'county', 'actorKeyId', 'actorDepartment', 'action', 'objectId', 'details', 'chain', 'prevHash', 'hash'] as const;

/**
 * The audit trail (等保 2.0 level 3: audit, integrity), for supervisors, admins and auditors of a
 * division: every recorded action, and a verification that recomputes each county's hash chain.
 */
export const auditRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/audit',
      {
        schema: {
          summary: 'Audit entries of the caller’s division, oldest first (supervisor, admin, auditor); CSV with Accept: text/csv',
          tags: ['audit'],
          querystring: z.object({
            objectId: safeText().max(300).optional().describe('A workflow id (matter, task, dispute, transfer), `/` written `~`'),
            actor: safeText().max(64).optional().describe('An API key id, or a principal id (everything a person did, across their keys)'),
            from: isoDateTimeSchema.optional(),
            to: isoDateTimeSchema.optional(),
            ...pageQuery({ max: 1000, default: 100 }),
          }),
          response: { 200: z.object({ items: z.array(entrySchema), nextCursor: z.string().nullable() }), ...errors },
        },
      },
      async (req, reply) => {
        requireRole(req, 'supervisor', 'admin', 'auditor');
        const q = req.query;
        const after = cursorOf(q.cursor, { id: 'string' });
        if (after && !/^\d{1,18}$/.test(after.id)) throw badCursor();
        const rows = await listAudit(deps.pool, {
          countyPrefix: visibleCountyPrefix(req.principal),
          ...(q.objectId ? { objectId: q.objectId.replaceAll('~', '/') } : {}),
          ...(q.actor ? { actor: q.actor } : {}),
          ...(q.from ? { from: q.from } : {}),
          ...(q.to ? { to: q.to } : {}),
          limit: q.limit + 1,
          ...(after ? { afterId: Number(after.id) } : {}),
        });
        const { rows: shown, nextCursor } = keysetPage(rows, q.limit, (last) => ({ id: String(last.id) }));
        const page = await withTexts(deps.pool, shown);
        if (wantsCsv(req.headers.accept)) {
          const lines = [csvColumns.join(','), ...page.map((r) => csvColumns.map((c) => csvField(present(r)[c])).join(','))];
          if (nextCursor) void reply.header('x-next-cursor', nextCursor);
          return reply.type('text/csv; charset=utf-8').send(`${lines.join('\r\n')}\r\n` as never);
        }
        return { items: page.map(present), nextCursor };
      },
    );

    app.get(
      '/audit/verify',
      {
        schema: {
          summary: 'Recompute the hash chains of the caller’s division (supervisor, admin, auditor)',
          tags: ['audit'],
          querystring: z.object({ from: isoDateTimeSchema.optional(), to: isoDateTimeSchema.optional() }),
          response: {
            200: z.object({
              ok: z.boolean(),
              checked: z.number().int().describe('Entries checked before the first break (all when ok)'),
              chains: z.number().int().describe('County chains met'),
              firstBreak: z
                .object({
                  id: z.number().int(),
                  eventId: z.string(),
                  chain: z.string().nullable(),
                  reason: z
                    .enum(['hash', 'link', 'text'])
                    .describe('text: a free text that no longer matches its digest, or erased without a recorded erasure'),
                })
                .optional(),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        requireRole(req, 'supervisor', 'admin', 'auditor');
        return verifyAudit(deps.pool, {
          countyPrefix: visibleCountyPrefix(req.principal),
          ...(req.query.from ? { from: req.query.from } : {}),
          ...(req.query.to ? { to: req.query.to } : {}),
        });
      },
    );
  };
