import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../app.js';
import { exposition, type Family, type HttpMetrics } from '../metrics.js';
import { readBusinessFigures, type BusinessFigures } from '../../db/metrics.js';

/**
 * How long PostgreSQL may spend on the business figures of one scrape: well inside Prometheus's
 * default scrape timeout (10 s), and short enough that a slow database costs a scrape, not the pool.
 */
export const businessQueryTimeoutMs = 2000;

/** The business figures as gauges; `up` says whether they could be read at all. */
export function businessFamilies(f: BusinessFigures | undefined, now: Date): Family[] {
  const up: Family = {
    name: 'supervision_business_metrics_up',
    help: '1 when this scrape read the business figures from PostgreSQL, 0 when it could not (they are then left out)',
    type: 'gauge',
    samples: [{ labels: {}, value: f ? 1 : 0 }],
  };
  if (!f) return [up];
  const families: Family[] = [
    up,
    {
      name: 'supervision_tasks_open',
      help: 'Open department tasks (not completed, returned, cancelled or reassigned), by county, department and state',
      type: 'gauge',
      samples: f.openTasks.map((r) => ({ labels: { county: r.county, department: r.department, state: r.state }, value: r.count })),
    },
    {
      name: 'supervision_tasks_overdue',
      help: 'Open department tasks past a deadline (超期), by county and department',
      type: 'gauge',
      samples: f.overdueTasks.map((r) => ({ labels: { county: r.county, department: r.department }, value: r.count })),
    },
    {
      name: 'supervision_tasks_escalation_level',
      help: 'Open department tasks by the rung of the chasing ladder reached (domain/task.ts rungLevel: 0 none, 1 reminder, 2 chase, 3 yellow card, 4 red card, 5 escalated), by county',
      type: 'gauge',
      samples: f.escalationLevels.map((r) => ({ labels: { county: r.county, level: String(r.level) }, value: r.count })),
    },
    {
      name: 'supervision_webhook_deliveries_pending',
      help: 'Webhook deliveries not yet delivered (nor dead): the backlog',
      type: 'gauge',
      samples: [{ labels: {}, value: f.webhookPending.count }],
    },
    {
      name: 'supervision_webhook_oldest_pending_age_seconds',
      help: 'Age of the oldest pending webhook delivery, in seconds (0 when none is pending)',
      type: 'gauge',
      samples: [{ labels: {}, value: f.webhookPending.oldestAt ? Math.max(0, (now.getTime() - f.webhookPending.oldestAt.getTime()) / 1000) : 0 }],
    },
  ];
  if (f.lastAuditVerification) {
    families.push(
      {
        name: 'supervision_audit_verification_last_timestamp_seconds',
        help: 'When the last daily verification of the audit trail ran (Unix time, seconds)',
        type: 'gauge',
        samples: [{ labels: {}, value: f.lastAuditVerification.at.getTime() / 1000 }],
      },
      {
        name: 'supervision_audit_verification_last_ok',
        help: '1 when the last verification of the audit trail found every county chain intact, 0 when not',
        type: 'gauge',
        samples: [{ labels: {}, value: f.lastAuditVerification.ok ? 1 : 0 }],
      },
    );
  }
  return families;
}

/**
 * `GET /metrics`: Prometheus's text format, on the API port without a key (the usual for a scrape
 * target; restrict it by network, README "Observability"). Labels are codes and route templates:
 * nothing personal, no id. Rate-limited per IP like every route but the health checks.
 */
export const metricsRoutes =
  (deps: AppDeps, http: HttpMetrics): FastifyPluginAsyncZod =>
  async (app) => {
    // Scrapes that arrive together share one read of the business figures.
    let reading: Promise<BusinessFigures | undefined> | undefined;
    const figures = () =>
      (reading ??= readBusinessFigures(deps.pool, businessQueryTimeoutMs)
        .catch((err: unknown) => {
          app.log.warn({ err }, 'metrics: business figures unavailable');
          return undefined;
        })
        .finally(() => {
          reading = undefined;
        }));

    app.get(
      '/metrics',
      {
        schema: {
          summary: 'Prometheus metrics: HTTP requests, open and overdue tasks, escalations, webhook backlog, the last audit verification',
          description:
            'The Prometheus text exposition format (version 0.0.4). HTTP requests by method, route template and status (a counter and a duration histogram in seconds); gauges read from PostgreSQL at each scrape (open tasks by county, department and state; overdue tasks; tasks by escalation level; pending webhook deliveries; the last audit verification). Labels are codes and route templates only: no ids, no names. No key: restrict it by network. The worker serves the Temporal SDK’s own metrics on WORKER_METRICS_ADDRESS.',
          tags: ['health'],
          response: {
            200: {
              description: 'The metrics (text/plain; version=0.0.4)',
              content: { 'text/plain': { schema: z.string().describe('Prometheus text exposition format') } },
            },
          },
        },
        logLevel: 'warn',
      },
      async (_req, reply) => {
        const body = exposition([...http.families(), ...businessFamilies(await figures(), new Date())]);
        return reply.type('text/plain; version=0.0.4; charset=utf-8').send(body as never);
      },
    );
  };
