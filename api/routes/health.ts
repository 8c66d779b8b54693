import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../app.js';
import { ping } from '../../db/pool.js';

const readySchema = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ temporal: z.enum(['ok', 'down']), postgres: z.enum(['ok', 'down']) }),
});

export const healthRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/healthz',
      {
        schema: { summary: 'Liveness: the process answers', tags: ['health'], response: { 200: z.object({ status: z.literal('ok') }) } },
        logLevel: 'warn',
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: { summary: 'Readiness: 503 unless Temporal and PostgreSQL answer', tags: ['health'], response: { 200: readySchema, 503: readySchema } },
        logLevel: 'warn',
      },
      async (_req, reply) => {
        const within = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())]);
        const [temporal, postgres] = await Promise.all([
          within(deps.temporal.workflowService.getSystemInfo({})).then(
            () => 'ok' as const,
            () => 'down' as const,
          ),
          within(ping(deps.pool)).then(
            () => 'ok' as const,
            () => 'down' as const,
          ),
        ]);
        const ready = temporal === 'ok' && postgres === 'ok';
        if (!ready) void reply.code(503).header('Retry-After', '5');
        return { status: ready ? ('ready' as const) : ('unavailable' as const), checks: { temporal, postgres } };
      },
    );
  };
