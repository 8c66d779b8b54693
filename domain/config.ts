import { z } from 'zod';

/**
 * Every environment variable the service reads, in one place. `loadConfig` is pure (it takes the
 * environment as an argument) so it can be unit-tested and so docker-compose.yml can be checked
 * against `configKeys`. A bad value stops the process with a message naming the variable.
 */
const port = z.coerce.number().int().min(1).max(65535);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  /** Temporal frontend (gRPC) the API and worker connect to. */
  TEMPORAL_ADDRESS: z.string().regex(/^[\w.-]+:\d+$/, 'expected host:port').default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('integrated-supervision'),
  /** Public address of the Temporal Web UI, used to build links to matters and tasks. */
  TEMPORAL_UI_URL: z.url().default('http://localhost:8233'),

  /** PostgreSQL connection string. Unset under `npm start`: an embedded PostgreSQL is started. */
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://…').optional(),
  PG_POOL_MAX: z.coerce.number().int().min(1).max(10).default(10),
  PG_CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  PG_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(15000),

  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  /** Largest request body accepted, in bytes (evidence is referenced by hash, never uploaded). */
  API_BODY_LIMIT: z.coerce.number().int().min(1024).max(10 * 1024 * 1024).default(256 * 1024),
  /** How long the API waits for a workflow to take and finish an Update before answering 503. */
  UPDATE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),

  /** Prebuilt workflow bundle (production). When unset the worker bundles `workflows/` at start. */
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  /** Run migrations when the process starts (API and worker both may; they are idempotent). */
  MIGRATE_ON_START: bool.default(true),

  /** Webhook delivery (worker process): poll interval, attempts before `dead`, request timeout. */
  WEBHOOK_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(12),
  WEBHOOK_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),

  /** `npm start` only: where the dev stack keeps its state, and its ports. */
  DATA_DIR: z.string().min(1).default('.data'),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  PG_PORT: port.default(5433),
  /** Paths to tools the dev stack would otherwise find or build (see scripts/provision.ts). */
  TEMPORAL_CLI: z.string().min(1).optional(),
  TEMPORAL_TEST_SERVER: z.string().min(1).optional(),
});

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
  const cleaned = Object.fromEntries(
    configKeys.map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    );
  }
  return result.data;
}
