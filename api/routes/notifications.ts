import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listNotifications, markNotificationRead } from '../../db/notifications.js';
import { safeText } from '../../domain/text.js';
import type { AppDeps } from '../app.js';
import { errorBodySchema, notFound } from '../errors.js';
import { cursorOf, keysetPage, pageQuery } from '../plumbing.js';
import { boolQuery, notificationSchema } from '../schemas.js';

export const notificationRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/notifications',
      {
        schema: {
          summary: 'What was sent to the caller’s department, or to one of their roles, in their division (newest first)',
          tags: ['notifications'],
          querystring: z.object({
            ...pageQuery(),
            objectId: safeText().max(200).optional().describe('Only notifications about this task or matter (URL id or workflow id)'),
            unread: boolQuery.optional().describe('`true`: only those not marked read yet'),
          }),
          response: {
            200: z.object({ items: z.array(notificationSchema), nextCursor: z.string().nullable() }),
            400: errorBodySchema,
            401: errorBodySchema,
            503: errorBodySchema,
          },
        },
      },
      async (req) => {
        const before = cursorOf(req.query.cursor, { createdAt: 'time', id: 'string' });
        const limit = req.query.limit;
        const rows = await listNotifications(deps.pool, req.principal, {
          limit: limit + 1,
          ...(before ? { before } : {}),
          ...(req.query.objectId ? { objectId: req.query.objectId.replaceAll('~', '/') } : {}),
          ...(req.query.unread ? { unread: true } : {}),
        });
        const page = keysetPage(rows, limit, (last) => ({ createdAt: last.createdAt, id: last.id }));
        return { items: page.rows, nextCursor: page.nextCursor };
      },
    );

    app.post(
      '/notifications/:id/read',
      {
        schema: {
          summary: 'Mark a notification read (its recipients only); marking it again keeps the first read time',
          description: [
            'Notification ids contain `#`, `/` and `:` (e.g. `task:610124:housing:2026-0001#1#0`): send the id URL-encoded as one path segment,',
            'i.e. `encodeURIComponent(id)` → `/v1/notifications/task%3A610124%3Ahousing%3A2026-0001%231%230/read`.',
            '`~` may stand for `/`, as in task and matter URL ids.',
            'Read state belongs to the notification, i.e. to its recipient department or role in the division, not to one key.',
            'A notification that does not exist and one addressed to someone else both answer 404.',
          ].join(' '),
          tags: ['notifications'],
          params: z.object({
            id: safeText().min(1).max(240).describe('The notification id, URL-encoded (`encodeURIComponent`)'),
          }),
          response: { 200: notificationSchema, 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema, 503: errorBodySchema },
        },
      },
      async (req) => {
        // Workflow ids never contain `~`, so reading it as `/` is unambiguous.
        const n = await markNotificationRead(deps.pool, req.principal, req.params.id.replaceAll('~', '/'));
        if (!n) throw notFound('通知');
        return n;
      },
    );
  };
