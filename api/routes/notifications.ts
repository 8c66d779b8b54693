import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listNotifications } from '../../db/notifications.js';
import type { AppDeps } from '../app.js';
import { errorBodySchema } from '../errors.js';
import { decodeCursor, encodeCursor } from '../idempotency.js';

const notificationSchema = z.object({
  id: z.string().describe('Stable id: receivers can deduplicate on it'),
  createdAt: z.string(),
  kind: z.string().describe('e.g. `task.assigned`, `ladder.chase`, `ladder.red-card`'),
  title: z.string(),
  body: z.string(),
  objectId: z.string().describe('Workflow id of the task or matter it is about'),
  to: z.object({ county: z.string(), department: z.string().nullable(), role: z.string().nullable() }),
  readAt: z.string().nullable(),
});

export const notificationRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  app.get('/notifications', {
    schema: {
      summary: 'What was sent to the caller’s department, or to one of their roles, in their division (newest first)',
      tags: ['notifications'],
      querystring: z.object({
        limit: z.coerce.number().int().min(1).max(200).default(50),
        cursor: z.string().max(400).optional(),
        objectId: z.string().max(200).optional().describe('Only notifications about this task or matter (URL id or workflow id)'),
      }),
      response: {
        200: z.object({ items: z.array(notificationSchema), nextCursor: z.string().nullable() }),
        400: errorBodySchema, 401: errorBodySchema, 503: errorBodySchema,
      },
    },
  }, async (req) => {
    const before = req.query.cursor ? decodeCursor(req.query.cursor, { createdAt: 'time', id: 'string' }) as { createdAt: string; id: string } : undefined;
    const limit = req.query.limit;
    const rows = await listNotifications(deps.pool, req.principal, {
      limit: limit + 1,
      ...(before ? { before } : {}),
      ...(req.query.objectId ? { objectId: req.query.objectId.replaceAll('~', '/') } : {}),
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page,
      nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
    };
  });
};
