import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import type { Tracer } from '@opentelemetry/api';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Pool } from '../db/pool.js';
import type { Config } from '../domain/config.js';
import { factsSchemas } from '../domain/scenarios/facts.js';
import { z } from 'zod';
import { AuthFailureThrottle, requireApiKey, TokenBuckets } from './auth.js';
import { anyRequestErrors, errorBodySchema, keyedRequestErrors, registerErrorHandler, tooManyRequests } from './errors.js';
import { pgErrorSummary } from '../db/errors.js';
import { calendarRoutes } from './routes/calendar.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { HttpMetrics } from './metrics.js';
import { notificationRoutes } from './routes/notifications.js';
import { taskRoutes } from './routes/tasks.js';
import { matterRoutes } from './routes/matters.js';
import { publicRoutes } from './routes/public.js';
import { scenarioRoutes } from './routes/scenarios.js';
import { disputeRoutes } from './routes/disputes.js';
import { transferRoutes } from './routes/transfers.js';
import { resultRoutes } from './routes/results.js';
import { auditRoutes } from './routes/audit.js';
import { supervisionRoutes } from './routes/supervision.js';
import { webhookRoutes } from './routes/webhooks.js';
import { codecRoutes } from './routes/codec.js';
import { subjectRoutes } from './routes/subjects.js';
import { riskWarningRoutes } from './routes/risk-warnings.js';
import { clueRoutes } from './routes/clues.js';
import { reportRoutes } from './routes/reports.js';
import { evaluationRoutes } from './routes/evaluation.js';
import { approvalRoutes } from './routes/approvals.js';
import { inspectionItemPublicRoutes, inspectionItemRoutes } from './routes/inspection-items.js';
import { inspectionSettingsPublicRoutes, inspectionSettingsRoutes } from './routes/inspection-settings.js';
import { subjectImportRoutes, importMediaTypes } from './routes/subject-import.js';
import { inspectorRoutes } from './routes/inspectors.js';
import { planRoutes } from './routes/plans.js';
import { inspectionRoutes } from './routes/inspections.js';
import { inspectionReportRoutes } from './routes/inspection-report.js';
import { traceRequests } from './http-tracing.js';
import { roundRoutes } from './routes/rounds.js';

type RateLimitSetting = `RATE_LIMIT_${'IP' | 'KEY' | 'PUBLIC' | 'START'}_${'BURST' | 'PER_MINUTE'}`;

/** Calls that start a workflow: the strict per-key rate (RATE_LIMIT_START_*). */
const startingRoutes = new Set([
  'POST /v1/matters',
  'POST /v1/tasks',
  'POST /v1/matters/:matterId/supervision-orders',
  'POST /v1/clues',
  'POST /v1/approvals',
  'POST /v1/inspections',
]);

export interface AppDeps {
  config: Pick<
    Config,
    | 'API_BODY_LIMIT'
    | 'API_REQUEST_TIMEOUT_MS'
    | 'IMPORT_MAX_ROWS'
    | 'AUTH_FAILURE_BURST'
    | 'AUTH_FAILURES_PER_MINUTE'
    | 'LOG_LEVEL'
    | 'TEMPORAL_TASK_QUEUE'
    | 'TEMPORAL_NAMESPACE'
    | 'TEMPORAL_UI_URL'
    | 'UPDATE_TIMEOUT_MS'
    | 'WEBHOOK_ALLOWED_HOSTS'
    | RateLimitSetting
    | 'NODE_ENV'
    | 'PAYLOAD_KEYS'
    | 'PAYLOAD_KEY_ID'
    | 'CODEC_CORS_ORIGINS'
    | 'CODEC_JWKS_URL'
    | 'CODEC_JWT_ISSUER'
    | 'CODEC_JWT_AUDIENCE'
  >;
  pool: Pool;
  temporal: Client;
  /** Test runs pass false to keep output quiet. */
  logger?: boolean;
  /** Where log lines go instead of standard output (tests that check what is logged). */
  logStream?: { write(line: string): void };
  /** A span per request (api/http-tracing.ts) when tracing is on (worker/tracing.ts); none otherwise. */
  tracer?: Tracer;
}

/**
 * The HTTP API as a Fastify instance: Zod validation and serialisation on every route, OpenAPI at
 * /openapi.json and /docs, one error handler, Bearer-key authentication on everything under /v1.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      deps.logger === false
        ? false
        : {
            level: deps.config.LOG_LEVEL,
            // Keys and bodies never reach the log; URLs carry only readable ids (no personal data).
            redact: ['req.headers.authorization', 'req.headers["idempotency-key"]'],
            // An error is logged by its kind and code, never its stack; a PostgreSQL error by its SQLSTATE
            // only (its message and detail quote row contents). Also covers what Fastify logs itself,
            // e.g. a handler that fails after its request has already been answered 503.
            // (Fastify's type for an err serializer insists on a `stack`, which is the point to leave out.)
            serializers: { err: logSafeError as never },
            ...(deps.logStream ? { stream: deps.logStream } : {}),
          },
    bodyLimit: deps.config.API_BODY_LIMIT,
    // Every request is answered within API_REQUEST_TIMEOUT_MS: past it Fastify sends
    // FST_ERR_HANDLER_TIMEOUT through the error handler, which answers 503 `unavailable` with
    // Retry-After (a frozen database, a stuck dependency). The handler's own work is not stopped;
    // what it finishes later is discarded. (Fastify's `requestTimeout` and `connectionTimeout` are
    // socket-level limits on receiving a request and on idle sockets: neither answers a slow handler.)
    handlerTimeout: deps.config.API_REQUEST_TIMEOUT_MS,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{8,64}$/.test(given) ? given : crypto.randomUUID();
    },
    requestIdHeader: false,
    // Ids may be up to 200 characters (api/schemas.ts urlIdSchema); longer ones are refused there.
    routerOptions: { maxParamLength: 256 },
    // Errors the router raises before any route runs (a bad URL encoding, an over-long parameter)
    // get the same error body as everything else, and never echo the path back.
    // What Node's HTTP parser refuses before Fastify sees a request (headers over the limit: 431,
    // a malformed request: 400) gets the same error body as everything else, not Node's own.
    clientErrorHandler: (err, socket) => {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      const tooLarge = e.code === 'HPE_HEADER_OVERFLOW';
      const body = JSON.stringify({
        error: tooLarge ? { code: 'headers_too_large', message: '请求头过大' } : { code: 'bad_request', message: '请求格式错误' },
      });
      socket.end(
        `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
    frameworkErrors: (err, _req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
      void (reply as FastifyReply).code(status).send({ error: { code: 'bad_request', message: '请求地址格式错误' } });
    },
  }).withTypeProvider<ZodTypeProvider>();

  // First of all hooks: the request's span is the parent of everything the request does.
  if (deps.tracer) traceRequests(app, deps.tracer);

  // The route plumbing every route shares: the error statuses any request can get are declared on
  // every operation (so the OpenAPI document is the contract), and the routes that need no key
  // (health, the public results) say so.
  app.addHook('onRoute', (route) => {
    const url = route.url;
    const schema = (route.schema ??= {}) as { response?: Record<string | number, unknown>; security?: unknown[]; hide?: boolean };
    // Open: outside /v1, or a route that says so (`security: []`, the public results); the
    // supervisors' routes under /v1/public (correct, withdraw) need a key like the rest of /v1.
    const open = !url.startsWith('/v1/') || (Array.isArray(schema.security) && schema.security.length === 0);
    if (schema.hide) return;
    const statuses = [...anyRequestErrors, ...(open ? [] : keyedRequestErrors)];
    schema.response = { ...Object.fromEntries(statuses.map((st) => [st, errorBodySchema])), ...(schema.response ?? {}) };
    if (open) schema.security = [];
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);
  app.addHook('onSend', async (req, reply) => {
    void reply.header('x-request-id', req.id);
  });
  // Every answered request, by its route template (never the URL: ids stay out of the labels).
  const httpMetrics = new HttpMetrics();
  app.addHook('onResponse', async (req, reply) => {
    httpMetrics.observe(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
  });

  // Rates per client IP, before anything else runs (no key lookup, no query): every route but
  // the health checks; the unauthenticated public results on a stricter bucket of their own.
  const c = deps.config;
  const perIp = new TokenBuckets(c.RATE_LIMIT_IP_BURST, c.RATE_LIMIT_IP_PER_MINUTE);
  const publicPerIp = new TokenBuckets(c.RATE_LIMIT_PUBLIC_BURST, c.RATE_LIMIT_PUBLIC_PER_MINUTE);
  app.addHook('onRequest', async (req) => {
    const url = req.routeOptions.url ?? '';
    if (url === '/healthz' || url === '/readyz') return;
    const wait = Math.max(
      perIp.take(req.ip),
      req.method === 'GET' &&
        ((url.startsWith('/v1/public/results') && !url.includes(':resultId/versions')) ||
          ((url === '/v1/counties/:county/inspection-items' || url === '/v1/counties/:county/inspection-settings') && !req.headers.authorization))
        ? publicPerIp.take(req.ip)
        : 0,
    );
    if (wait > 0) throw tooManyRequests('请求过于频繁，请稍后再试', wait / 1000);
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: '综合监管一件事 API',
        description: 'Cross-department integrated supervision (国办发〔2023〕1号) run as durable Temporal workflows.',
        version: '1.0.0',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: (doc) => ('openapiObject' in doc ? publishImportBody(noContentIsEmpty(publishFactsSchemas(doc.openapiObject))) : doc.swaggerObject),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes(deps));
  await app.register(metricsRoutes(deps, httpMetrics));
  await app.register(publicRoutes(deps), { prefix: '/v1/public' });
  // The county's published list of items is public too (a key, when sent, shows more), and so is its yearly cap.
  await app.register(inspectionItemPublicRoutes(deps), { prefix: '/v1' });
  await app.register(inspectionSettingsPublicRoutes(deps), { prefix: '/v1' });
  // Outside the key-checked scope: browsers send CORS preflights without a key; it authenticates itself.
  await app.register(codecRoutes(deps), { prefix: '/v1/codec' });
  await app.register(
    async (v1) => {
      requireApiKey(v1, deps.pool, new AuthFailureThrottle(deps.config.AUTH_FAILURE_BURST, deps.config.AUTH_FAILURES_PER_MINUTE));
      // Rates per key, once the key is known (the hook after authentication's).
      const perKey = new TokenBuckets(c.RATE_LIMIT_KEY_BURST, c.RATE_LIMIT_KEY_PER_MINUTE);
      const startsPerKey = new TokenBuckets(c.RATE_LIMIT_START_BURST, c.RATE_LIMIT_START_PER_MINUTE);
      v1.addHook('onRequest', async (req) => {
        const key = req.principal.keyId;
        const starting = startingRoutes.has(`${req.method} ${req.routeOptions.url ?? ''}`);
        const wait = Math.max(perKey.take(key), starting ? startsPerKey.take(key) : 0);
        if (wait > 0) throw tooManyRequests(starting ? '发起过于频繁，请稍后再试' : '请求过于频繁，请稍后再试', wait / 1000);
      });
      await v1.register(taskRoutes(deps));
      await v1.register(notificationRoutes(deps));
      await v1.register(calendarRoutes(deps));
      await v1.register(matterRoutes(deps));
      await v1.register(scenarioRoutes(deps));
      await v1.register(transferRoutes(deps));
      await v1.register(resultRoutes(deps));
      await v1.register(auditRoutes(deps));
      await v1.register(disputeRoutes(deps));
      await v1.register(supervisionRoutes(deps));
      await v1.register(webhookRoutes(deps));
      await v1.register(subjectRoutes(deps));
      await v1.register(clueRoutes(deps));
      await v1.register(riskWarningRoutes(deps));
      await v1.register(roundRoutes(deps));
      await v1.register(reportRoutes(deps));
      await v1.register(evaluationRoutes(deps));
      await v1.register(approvalRoutes(deps));
      await v1.register(inspectionItemRoutes(deps));
      await v1.register(inspectionSettingsRoutes(deps));
      await v1.register(inspectorRoutes(deps));
      await v1.register(subjectImportRoutes(deps));
      await v1.register(planRoutes(deps));
      await v1.register(inspectionRoutes(deps));
      await v1.register(inspectionReportRoutes(deps));
    },
    { prefix: '/v1' },
  );

  return app;
}

/** What a log line may say about an error: its kind and code (the SQLSTATE for PostgreSQL), no stack. */
export function logSafeError(err: unknown): Record<string, unknown> {
  const pgError = pgErrorSummary(err);
  if (pgError) return { ...pgError };
  // Already a summary (the error handler logs `{ name, code }` or a PgErrorSummary): as it is.
  if (err && typeof err === 'object' && !(err instanceof Error)) return err as Record<string, unknown>;
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | null | undefined;
  return {
    type: typeof e?.name === 'string' ? e.name : typeof err,
    ...(typeof e?.code === 'string' || typeof e?.code === 'number' ? { code: e.code } : {}),
    ...(typeof e?.message === 'string' ? { message: e.message.slice(0, 200) } : {}),
  };
}

/**
 * `facts` of `POST /v1/matters` (and of a clue's `POST /v1/clues/{clueId}/matter`) as they are checked: the route validates them against the
 * scenario's own schema (domain/scenarios/facts.ts), so the document lists those schemas, one per
 * scenario (the one named by `scenario` applies), instead of "any object".
 */
/** A 204 has no body (the route sends none): the document says so instead of `application/json` null. */
function noContentIsEmpty<D extends { paths?: unknown }>(doc: D): D {
  for (const ops of Object.values((doc.paths ?? {}) as Record<string, Record<string, { responses?: Record<string, { content?: unknown }> }>>)) {
    for (const op of Object.values(ops)) {
      if (op.responses?.['204']) delete op.responses['204'].content;
    }
  }
  return doc;
}

/**
 * The import reads its body as a stream (no JSON schema validates it): the document names the
 * two media types it takes, each a text of rows.
 */
function publishImportBody<D extends { paths?: unknown }>(doc: D): D {
  const op = (doc.paths as Record<string, Record<string, { requestBody?: unknown }>> | undefined)?.['/v1/subjects/import']?.post;
  if (op) {
    op.requestBody = {
      required: true,
      content: Object.fromEntries(
        importMediaTypes.map((t) => [
          t,
          {
            schema: {
              type: 'string',
              description: t === 'text/csv' ? 'A header row, then one subject per record (RFC 4180)' : 'One subject per line, a JSON object',
            },
          },
        ]),
      ),
    };
  }
  return doc;
}

function publishFactsSchemas<D extends { paths?: unknown }>(doc: D): D {
  type Body = { properties?: Record<string, unknown> };
  const paths = doc.paths as Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Body }> } }>> | undefined;
  // A matter launched directly, or opened from a clue by its lead: the same facts.
  for (const path of ['/v1/matters', '/v1/clues/{clueId}/matter']) {
    const body = paths?.[path]?.post?.requestBody?.content?.['application/json']?.schema;
    if (!body?.properties?.facts) continue;
    body.properties.facts = {
      description: 'Scenario-specific facts: the schema of the scenario named by `scenario` applies',
      anyOf: Object.entries(factsSchemas).map(([scenario, schema]) => {
        const { $schema: _drop, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
        return { title: scenario, ...json };
      }),
    };
  }
  return doc;
}
