import { z } from 'zod';
import { parsePayloadKeys } from './payload-keys.js';

/**
 * Every environment variable the service reads, in one place. `loadConfig` is pure (it takes the
 * environment as an argument) so it can be unit-tested and so docker-compose.yml can be checked
 * against `configKeys`. A bad value stops the process with a message naming the variable.
 */
const port = z.coerce.number().int().min(1).max(65535);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://…');
/** The user a connection string names (percent-decoded), or '' when it names none. */
const userOf = (url: string) => {
  try {
    return decodeURIComponent(new URL(url).username);
  } catch {
    return '';
  }
};

/** The worker's sticky-cache bound when WORKER_MAX_CACHED_WORKFLOWS is unset (why 100: its comment below). */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 100;

const orderedTimeouts = ['PG_STATEMENT_TIMEOUT_MS', 'PG_QUERY_TIMEOUT_MS', 'API_REQUEST_TIMEOUT_MS', 'UPDATE_TIMEOUT_MS'];

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    /** Temporal frontend (gRPC) the API and worker connect to. */
    TEMPORAL_ADDRESS: z
      .string()
      .regex(/^[\w.-]+:\d+$/, 'expected host:port')
      .default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('integrated-supervision'),
    /**
     * The service's token for a Temporal server that authorizes callers (production: the server's
     * JWT authorizer; a token from the platform's identity provider whose permissions claim grants
     * `<namespace>:write`). Sent as `Authorization: Bearer …` by the API and the worker. Unset for
     * the dev server, which authorizes nobody.
     */
    TEMPORAL_API_KEY: z.string().min(16).max(8192).optional(),
    /** Local time (Asia/Shanghai, HH:MM) of the daily audit-trail verification (a Temporal Schedule). */
    AUDIT_VERIFY_AT: z
      .string()
      .regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM')
      .default('02:30'),
    /**
     * Keys of the payload codec (PIPL: personal data is AES-256-GCM ciphertext in Temporal's history,
     * UI and database): `id:base64,id:base64…`, each 32 random bytes (`openssl rand -base64 32`).
     * Rotation: add a key and make it current; keep the old ones listed while histories sealed with
     * them exist. The API and the worker refuse to start without it in production; `npm start` makes
     * one per data directory.
     */
    PAYLOAD_KEYS: z.string().max(8192).optional(),
    /** The key new payloads are sealed with (default: the last one in PAYLOAD_KEYS). */
    PAYLOAD_KEY_ID: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,32}$/)
      .optional(),
    /**
     * Origins allowed to call the codec endpoint (`/v1/codec/decode`) from a browser: the Temporal
     * Web UI's address(es), comma-separated. Default: the dev server's UI.
     */
    CODEC_CORS_ORIGINS: z
      .string()
      .max(2000)
      .default('http://localhost:8233,http://127.0.0.1:8233')
      .transform((s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    /**
     * The identity provider whose access tokens the codec endpoint accepts besides API keys (the
     * production Web UI passes its user's token): its JWKS address, issuer and audience. The token's
     * `county` claim is the user's division and `roles` their roles (domain/principal.ts).
     */
    CODEC_JWKS_URL: z.url().optional(),
    CODEC_JWT_ISSUER: z.string().min(1).max(500).optional(),
    CODEC_JWT_AUDIENCE: z.string().min(1).max(500).optional(),
    /** Public address of the Temporal Web UI, used to build links to matters and tasks. */
    TEMPORAL_UI_URL: z.url().default('http://localhost:8233'),

    /**
     * PostgreSQL connection string of the API and the worker: the service's runtime role, which owns
     * nothing and may only SELECT and INSERT the audit log (db/roles.ts). Unset under `npm start`:
     * an embedded PostgreSQL is started, with the runtime role `supervision_app`.
     */
    DATABASE_URL: postgresUrl.optional(),
    /**
     * Connection string of the owner role that runs the migrations (`npm run migrate`, the compose
     * `migrate` job, MIGRATE_ON_START): it owns the tables, creates DATABASE_URL's role if missing
     * (it needs CREATEROLE for that) and grants it the runtime privileges. Unset: DATABASE_URL's role
     * migrates and uses the tables alone (one role).
     */
    DATABASE_OWNER_URL: postgresUrl.optional(),
    PG_POOL_MAX: z.coerce.number().int().min(1).max(10).default(10),
    /**
     * How long to wait for a connection: a free one from the pool, or a new one's handshake (a frozen
     * server accepts the TCP connection and never answers).
     */
    PG_CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
    /** `statement_timeout`: PostgreSQL itself cancels a statement running longer (SQLSTATE 57014). */
    PG_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
    /**
     * `query_timeout`: the client gives up on a query PostgreSQL has not answered (a frozen server
     * cancels nothing) and drops its connection. Longer than PG_STATEMENT_TIMEOUT_MS, so a server that
     * still answers cancels first and the connection stays usable.
     */
    PG_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(6000),

    API_HOST: z.string().min(1).default('127.0.0.1'),
    API_PORT: port.default(3000),
    /** Largest request body accepted, in bytes (evidence is referenced by hash, never uploaded). */
    API_BODY_LIMIT: z.coerce
      .number()
      .int()
      .min(1024)
      .max(10 * 1024 * 1024)
      .default(256 * 1024),
    /**
     * Longest time the API takes over a request (routing, authentication, handler, answer): past it
     * the answer is 503 `unavailable` with Retry-After (Fastify's `handlerTimeout`).
     */
    API_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).default(10_000),
    /**
     * Rows one `POST /v1/subjects/import` reads at most (issue 14 §1: thousands per request; a
     * county's whole registry, 10^5, fits in one): the rest are refused unread (`truncated`).
     */
    IMPORT_MAX_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(100_000),
    /**
     * How long the API waits for a workflow to take and finish an Update before answering 503.
     * Shorter than API_REQUEST_TIMEOUT_MS, which bounds the whole request.
     */
    UPDATE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(8_000),
    /**
     * Refused API keys per client IP: a bucket of AUTH_FAILURE_BURST tokens, refilled at
     * AUTH_FAILURES_PER_MINUTE. Each `Bearer` key refused (401) takes one; an IP whose bucket is empty
     * gets 429 with Retry-After, without a key lookup in PostgreSQL, until a token is back.
     */
    AUTH_FAILURE_BURST: z.coerce.number().int().min(1).max(10_000).default(20),
    AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(60_000).default(60),
    /**
     * Request rates, each a token bucket per API process (a burst, refilled per minute); past one the
     * answer is 429 `too_many_requests` with Retry-After. Per client IP on every route but the health
     * checks (an IP may be a whole office behind one NAT: generous); per API key under /v1; stricter
     * on the unauthenticated public results (per IP) and on calls that start workflows (per key:
     * launching a matter, assigning a task, a supervision order).
     */
    RATE_LIMIT_IP_BURST: z.coerce.number().int().min(1).max(1_000_000).default(600),
    RATE_LIMIT_IP_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(3000),
    RATE_LIMIT_KEY_BURST: z.coerce.number().int().min(1).max(1_000_000).default(200),
    RATE_LIMIT_KEY_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(1200),
    RATE_LIMIT_PUBLIC_BURST: z.coerce.number().int().min(1).max(1_000_000).default(30),
    RATE_LIMIT_PUBLIC_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(120),
    RATE_LIMIT_START_BURST: z.coerce.number().int().min(1).max(1_000_000).default(60),
    RATE_LIMIT_START_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(300),

    /**
     * Where the worker serves the Temporal SDK's metrics for Prometheus (`host:port`, scraped at
     * `/metrics`), e.g. `0.0.0.0:9464`. Unset: not served. The API's own metrics are `GET /metrics`
     * on API_PORT.
     */
    WORKER_METRICS_ADDRESS: z
      .string()
      .regex(/^[\w.-]+:\d{1,5}$/, 'expected host:port')
      .optional(),
    /**
     * How many workflow runs one worker keeps in its sticky cache (the SDK's `maxCachedWorkflows`);
     * the least recently used idle one is evicted past it and replayed from its history when it next
     * wakes. Memory, not time, sets the bound: each cached run holds its own evaluation of its
     * workflow type's modules (the SDK's reusable V8 context keeps a module cache per run; the
     * bundle's entry, worker/workflow-entry.cjs, loads one type's), at most about 4 MiB of live heap
     * a run, the figure measured when every run loaded the whole domain (BENCHMARKS.md
     * `bench:open-matters`; the worker's peak RSS fell from 911 to 674 MiB since). 100 runs ≤ 400 MiB, which fits the
     * worker's 640 MiB heap cap (`--max-old-space-size=640` in its start command: without a cap V8
     * lets garbage grow past 1.8 GiB of RSS whatever the cache holds) with room for the SDK and for
     * garbage, so the worker stays under 1 GiB of RSS at any number of open matters. 100 is still more
     * than twice the 40 workflow tasks a worker runs at once, so the runs in the middle of an exchange
     * (an action, its recording activity, the next workflow task: seconds) stay cached; a department
     * task sleeps for hours or days between wake-ups, so a bigger cache buys little. Raise it only
     * together with the heap cap; 0 turns the cache off (every workflow task replays the history).
     */
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(DEFAULT_MAX_CACHED_WORKFLOWS),
    /**
     * How log lines are written: `json` (one JSON object a line, for a log collector) or `pretty`
     * (a short readable line). Default: pretty under `npm start`, json everywhere else.
     */
    LOG_FORMAT: z.enum(['json', 'pretty']).optional(),

    /** Prebuilt workflow bundle (production). When unset the worker bundles `workflows/` at start. */
    WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
    /** Run migrations when the process starts (API and worker both may; they are idempotent). */
    MIGRATE_ON_START: bool.default(true),

    /** Webhook delivery (worker process): poll interval, attempts before `dead`, request timeout. */
    WEBHOOK_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(12),
    WEBHOOK_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
    /**
     * Webhook receivers that may be on a non-public address (loopback, private, link-local…): a
     * comma-separated list of host names, IP addresses or CIDR blocks, e.g. `hooks.internal,10.8.0.0/16`.
     * Every other URL must resolve to public addresses only, at registration and at each delivery.
     */
    WEBHOOK_ALLOWED_HOSTS: z
      .string()
      .max(4000)
      .default('')
      .transform((s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      )
      .refine((list) => list.every((h) => /^[0-9A-Za-z.:-]+(?:\/\d{1,3})?$/.test(h)), 'expected host names, IP addresses or CIDR blocks, comma-separated'),

    /** `npm start` only: where the dev stack keeps its state, and its ports. */
    DATA_DIR: z.string().min(1).default('.data'),
    TEMPORAL_PORT: port.default(7233),
    TEMPORAL_UI_PORT: port.default(8233),
    PG_PORT: port.default(5433),
    /** Paths to tools the dev stack would otherwise find or build (see scripts/provision.ts). */
    TEMPORAL_CLI: z.string().min(1).optional(),
    TEMPORAL_TEST_SERVER: z.string().min(1).optional(),
  })
  .superRefine(
    (c, ctx) => {
      // Timeouts that only make sense in order; each problem names the variable to change.
      if (c.PG_QUERY_TIMEOUT_MS <= c.PG_STATEMENT_TIMEOUT_MS) {
        ctx.addIssue({ code: 'custom', path: ['PG_QUERY_TIMEOUT_MS'], message: `must be longer than PG_STATEMENT_TIMEOUT_MS (${c.PG_STATEMENT_TIMEOUT_MS})` });
      }
      if (c.UPDATE_TIMEOUT_MS >= c.API_REQUEST_TIMEOUT_MS) {
        ctx.addIssue({ code: 'custom', path: ['UPDATE_TIMEOUT_MS'], message: `must be shorter than API_REQUEST_TIMEOUT_MS (${c.API_REQUEST_TIMEOUT_MS})` });
      }
    },
    {
      // Only between values that are valid themselves: a bad one is already named on its own.
      when: (payload) => !payload.issues.some((i) => orderedTimeouts.includes(String(i.path?.[0]))),
    },
  )
  .superRefine((c, ctx) => {
    // Personal data never goes to Temporal in clear in production.
    if (c.PAYLOAD_KEYS) {
      try {
        parsePayloadKeys(c.PAYLOAD_KEYS, c.PAYLOAD_KEY_ID);
      } catch (err) {
        const m = (err as Error).message;
        ctx.addIssue({
          code: 'custom',
          path: [m.startsWith('PAYLOAD_KEY_ID') ? 'PAYLOAD_KEY_ID' : 'PAYLOAD_KEYS'],
          message: m.replace(/^PAYLOAD_KEY(?:S|_ID): /, ''),
        });
      }
    }
    if (c.PAYLOAD_KEY_ID && !c.PAYLOAD_KEYS) ctx.addIssue({ code: 'custom', path: ['PAYLOAD_KEY_ID'], message: 'set with PAYLOAD_KEYS' });
  })
  .superRefine(
    (c, ctx) => {
      // Two roles: the owner migrates, DATABASE_URL's role (the runtime role) is granted what it needs.
      if (!c.DATABASE_OWNER_URL) return;
      if (!c.DATABASE_URL) {
        ctx.addIssue({
          code: 'custom',
          path: ['DATABASE_URL'],
          message: 'required with DATABASE_OWNER_URL: the runtime role the API and the worker connect as',
        });
        return;
      }
      const runtime = userOf(c.DATABASE_URL);
      if (!runtime) {
        ctx.addIssue({
          code: 'custom',
          path: ['DATABASE_URL'],
          message: 'must name the runtime role (postgres://role:password@host/database) when DATABASE_OWNER_URL is set',
        });
      } else if (runtime === userOf(c.DATABASE_OWNER_URL)) {
        ctx.addIssue({
          code: 'custom',
          path: ['DATABASE_OWNER_URL'],
          message: `must name another role than DATABASE_URL (${runtime}): the runtime role may not own the tables`,
        });
      }
    },
    {
      when: (payload) => !payload.issues.some((i) => ['DATABASE_URL', 'DATABASE_OWNER_URL'].includes(String(i.path?.[0]))),
    },
  );

export type Config = z.infer<typeof configSchema>;
export const configKeys = Object.keys(configSchema.shape) as (keyof Config)[];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset": docker-compose and shells often pass VAR= for optional values.
  const cleaned = Object.fromEntries(configKeys.map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return result.data;
}
