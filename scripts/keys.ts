/**
 * API keys against the same database the service uses.
 *
 *   npm run keys -- create --county 610124 [--department housing] --role officer [--role supervisor] [--label "…"]
 *
 * Prints the new key alone on the last line of stdout (shown once; only its hash is stored).
 * Uses DATABASE_OWNER_URL (the runtime role may only read keys), else DATABASE_URL, else the
 * embedded PostgreSQL of `npm start` (started for the moment if it is not running).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createKey } from '../db/keys.js';
import { migrateDatabase } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { ConfigError, loadConfig } from '../domain/config.js';
import { countySchema, departmentSchema } from '../domain/departments.js';
import { roleSchema } from '../domain/principal.js';
import { canConnect, localDatabaseUrl, localRuntimeUrl, startLocalPostgres } from './local-db.js';

const usage = 'usage: npm run keys -- create --county <6 digits> [--department <code>] --role <operator|officer|head|supervisor|arbiter|admin|auditor|platform> [--role …] [--label <text>]';

const argsSchema = z.object({
  county: countySchema,
  department: departmentSchema.optional(),
  role: z.array(roleSchema).min(1, 'at least one --role'),
  label: z.string().max(200).optional(),
});

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      county: { type: 'string' },
      department: { type: 'string' },
      role: { type: 'string', multiple: true },
      label: { type: 'string' },
    },
  });
  if (positionals[0] !== 'create') throw new Error(usage);
  const parsed = argsSchema.safeParse({ ...values, role: values.role ?? [] });
  if (!parsed.success) {
    throw new Error(`${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\n${usage}`);
  }
  const a = parsed.data;
  // Officers and heads act for one department: without one their key would see nothing (the API
  // refuses it), so it is refused here.
  for (const r of ['officer', 'head'] as const) {
    if (a.role.includes(r) && !a.department) throw new Error(`a ${r} key needs --department\n${usage}`);
  }

  const config = loadConfig(process.env);
  let url = config.DATABASE_URL;
  let ownerUrl = config.DATABASE_OWNER_URL;
  let stopLocal: (() => Promise<void>) | undefined;
  if (!url) {
    url = localRuntimeUrl(config);
    ownerUrl = localDatabaseUrl(config);
    if (!(await canConnect(ownerUrl))) {
      process.stderr.write(`starting the embedded PostgreSQL in ${config.DATA_DIR}/pg for a moment…\n`);
      const local = await startLocalPostgres({ ...config, DATA_DIR: path.resolve(config.DATA_DIR) });
      stopLocal = () => local.stop();
      ownerUrl = local.appUrl;
    }
  }
  await migrateDatabase({ ...config, DATABASE_URL: url, DATABASE_OWNER_URL: ownerUrl }).catch(async (err: unknown) => {
    await stopLocal?.();
    throw err;
  });
  const pool = createPool({ ...config, DATABASE_URL: ownerUrl ?? url });
  try {
    const { keyId, key } = await createKey(pool, {
      county: a.county, roles: a.role,
      ...(a.department ? { department: a.department } : {}),
      ...(a.label ? { label: a.label } : {}),
    });
    process.stdout.write(`created key ${keyId} for county ${a.county}${a.department ? ` department ${a.department}` : ''} roles ${a.role.join(',')} (shown once, stored hashed):\n${key}\n`);
  } finally {
    await pool.end();
    await stopLocal?.();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
  process.exit(2);
});
