/**
 * API keys against the same database the service uses.
 *
 *   npm run keys -- create --county 610124 [--department housing] --role officer [--role …] --name 王执法 [--certificate ZF-001]
 *   npm run keys -- create --county 610124 --role operator --system "12345 热线平台"
 *   npm run keys -- create … --principal p-<id>     another key of the same person or system
 *   npm run keys -- list [--county 610124] [--live]
 *   npm run keys -- revoke <keyId>                  refused (401) from the next request on
 *   npm run keys -- rotate <keyId>                  a new key, same principal and scope; the old one revoked
 *
 * A key belongs to a principal: a person (name, optional 执法证号) or a system; every action taken
 * with it names that principal. create and rotate print the new key alone on the last line of
 * stdout (shown once; only its hash is stored). Each change is in the audit trail.
 * Uses DATABASE_OWNER_URL (the runtime role may only read keys), else DATABASE_URL, else the
 * embedded PostgreSQL of `npm start` (started for the moment if it is not running).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type pg from 'pg';
import { appendAudit } from '../db/events.js';
import { createKey, listKeys, revokeKey, rotateKey } from '../db/keys.js';
import { migrateDatabase } from '../db/migrate.js';
import { createPool, inTransaction } from '../db/pool.js';
import { ConfigError, loadConfig } from '../domain/config.js';
import { countySchema, departmentSchema, divisionPrefix } from '../domain/departments.js';
import { roleSchema } from '../domain/principal.js';
import { canConnect, localDatabaseUrl, localRuntimeUrl, startLocalPostgres } from './local-db.js';

const usage = [
  'usage: npm run keys -- create --county <6 digits> [--department <code>] --role <operator|officer|head|supervisor|arbiter|admin|auditor|platform> [--role …]',
  '                              (--name <person> [--certificate <执法证号>] | --system <system name> | --principal <principal id>) [--label <text>]',
  '       npm run keys -- list [--county <division>] [--live]',
  '       npm run keys -- revoke <keyId>',
  '       npm run keys -- rotate <keyId>',
].join('\n');

const createSchema = z
  .object({
    county: countySchema,
    department: departmentSchema.optional(),
    role: z.array(roleSchema).min(1, 'at least one --role'),
    label: z.string().max(200).optional(),
    name: z.string().trim().min(1).max(100).optional(),
    certificate: z.string().trim().min(1).max(40).optional(),
    system: z.string().trim().min(1).max(100).optional(),
    principal: z
      .string()
      .regex(/^p-[0-9a-z-]{4,60}$/)
      .optional(),
  })
  .refine((a) => [a.name, a.system, a.principal].filter(Boolean).length === 1, { message: 'exactly one of --name, --system, --principal', path: ['name'] })
  .refine((a) => !a.certificate || a.name, { message: "a certificate number (执法证号) is a person's: use it with --name", path: ['certificate'] });
const keyIdSchema = z.string().regex(/^[0-9a-z-]{4,40}$/, 'expected a key id (the part after isk_)');

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      county: { type: 'string' },
      department: { type: 'string' },
      role: { type: 'string', multiple: true },
      label: { type: 'string' },
      name: { type: 'string' },
      certificate: { type: 'string' },
      system: { type: 'string' },
      principal: { type: 'string' },
      live: { type: 'boolean' },
    },
  });
  const command = positionals[0];
  if (!command || !['create', 'list', 'revoke', 'rotate'].includes(command)) throw new Error(usage);
  const fail = (issues: z.core.$ZodIssue[]) => new Error(`${issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\n${usage}`);
  let create: z.infer<typeof createSchema> | undefined;
  let keyId: string | undefined;
  if (command === 'create') {
    const parsed = createSchema.safeParse({ ...values, role: values.role ?? [] });
    if (!parsed.success) throw fail(parsed.error.issues);
    create = parsed.data;
    // Officers and heads act for one department: without one their key would see nothing (the API
    // refuses it), so it is refused here.
    for (const r of ['officer', 'head'] as const) {
      if (create.role.includes(r) && !create.department) throw new Error(`a ${r} key needs --department\n${usage}`);
    }
  } else if (command !== 'list') {
    const parsed = keyIdSchema.safeParse(positionals[1] ?? '');
    if (!parsed.success) throw new Error(`${command}: ${parsed.error.issues[0]!.message}\n${usage}`);
    keyId = parsed.data;
  }
  if (values.county !== undefined && command === 'list' && !/^\d{6}$/.test(values.county))
    throw new Error(`--county: expected a 6-digit division code\n${usage}`);

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
  const out = (line: string) => process.stdout.write(`${line}\n`);
  // Every change to keys is in the audit trail of the key's county, by the operator of this
  // command (the machine's user is not known to the service: the entry says `keys-cli`).
  const audit = (client: pg.PoolClient, county: string, action: string, id: string, details: Record<string, unknown>) =>
    appendAudit(client, {
      eventId: `${action}:${id}`,
      at: new Date().toISOString(),
      county,
      actorKeyId: null,
      actorDepartment: null,
      action,
      objectId: `key:${id}`,
      details: { ...details, by: 'keys-cli' },
    });
  try {
    if (create) {
      const a = create;
      const made = await inTransaction(pool, async (client) => {
        const r = await createKey(client, {
          county: a.county,
          roles: a.role,
          ...(a.department ? { department: a.department } : {}),
          ...(a.label ? { label: a.label } : {}),
          ...(a.principal ? { principalId: a.principal } : a.system ? { kind: 'system' as const, name: a.system } : { kind: 'person' as const, name: a.name! }),
          ...(a.certificate ? { certificateNo: a.certificate } : {}),
        });
        await audit(client, a.county, 'key.created', r.keyId, { principalId: r.principalId, department: a.department ?? null, roles: a.role });
        return r;
      }).catch((err: unknown) => {
        if ((err as { code?: string }).code === '23503') throw new Error(`no principal ${a.principal}: see npm run keys -- list`);
        throw err;
      });
      out(
        `created key ${made.keyId} of principal ${made.principalId} for county ${a.county}${a.department ? ` department ${a.department}` : ''} roles ${a.role.join(',')} (shown once, stored hashed):`,
      );
      out(made.key);
    } else if (command === 'list') {
      const rows = await listKeys(pool, { ...(values.county ? { countyPrefix: divisionPrefix(values.county) } : {}), includeRevoked: !values.live });
      out(['key', 'principal', 'kind', 'name', '执法证号', 'county', 'department', 'roles', 'created', 'revoked', 'replaces'].join('\t'));
      for (const k of rows) {
        out(
          [
            k.keyId,
            k.principalId,
            k.kind,
            k.name,
            k.certificateNo ?? '-',
            k.county,
            k.department ?? '-',
            k.roles.join(','),
            k.createdAt,
            k.revokedAt ?? '-',
            k.rotatedFrom ?? '-',
          ].join('\t'),
        );
      }
    } else if (command === 'revoke') {
      const done = await inTransaction(pool, async (client) => {
        const k = (await listKeys(client)).find((x) => x.keyId === keyId);
        if (!k || !(await revokeKey(client, keyId!))) return false;
        await audit(client, k.county, 'key.revoked', keyId!, { principalId: k.principalId });
        return true;
      });
      if (!done) throw new Error(`no live key ${keyId}`);
      out(`revoked key ${keyId}: it is refused (401) from now on`);
    } else {
      const made = await inTransaction(pool, async (client) => {
        const k = (await listKeys(client)).find((x) => x.keyId === keyId);
        const r = k ? await rotateKey(client, keyId!) : undefined;
        if (!k || !r) return undefined;
        await audit(client, k.county, 'key.rotated', keyId!, { principalId: k.principalId, replacedBy: r.keyId });
        return r;
      });
      if (!made) throw new Error(`no live key ${keyId}`);
      out(`rotated key ${keyId}: revoked now; new key ${made.keyId} of principal ${made.principalId}, same scope (shown once, stored hashed):`);
      out(made.key);
    }
  } finally {
    await pool.end();
    await stopLocal?.();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
  process.exit(2);
});
