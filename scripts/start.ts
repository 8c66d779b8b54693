/**
 * `npm start`: the whole service on one machine, with embedded defaults.
 *
 *   1. PostgreSQL: DATABASE_URL, or an embedded server with its files in .data/pg
 *   2. Temporal dev server with the Web UI, state in .data/temporal.db, search attributes registered
 *   3. migrations as the owner (DATABASE_OWNER_URL, or the embedded server's `postgres`), which
 *      also grant the runtime role its privileges, and demo API keys (kept in .data/demo-keys.json,
 *      printed at every start)
 *   4. the worker and the API as child processes, connected as the runtime role (DATABASE_URL, or
 *      the embedded server's `supervision_app`), without the owner's credentials
 *
 * Ctrl-C (SIGINT) or SIGTERM stops every process it started, in reverse order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKey, ensureKey } from '../db/keys.js';
import { migrateDatabase } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { ConfigError, loadConfig } from '../domain/config.js';
import { portIsFree, startTemporalDevServer, waitForPort, type Stoppable } from './dev-stack.js';
import { startLocalPostgres } from './local-db.js';
import { seedDemo } from './demo.js';
import { newPayloadKeySpec } from '../worker/payload-codec.js';
import type { Role } from '../domain/principal.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (m: string) => process.stdout.write(`${m}\n`);

interface DemoKey {
  label: string;
  county: string;
  department?: string;
  roles: Role[];
  key: string;
}

/** Demo principals for 周至县 (610124) and its city 西安市 (610100). */
const demoPrincipals: Omit<DemoKey, 'key'>[] = [
  { label: '周至县 运营 (operator)', county: '610124', roles: ['operator'] },
  { label: '周至县 专班督办 (supervisor)', county: '610124', roles: ['supervisor'] },
  { label: '周至县 住建局 (officer)', county: '610124', department: 'housing', roles: ['officer'] },
  { label: '周至县 自然资源局 (officer)', county: '610124', department: 'natural-resources', roles: ['officer'] },
  { label: '周至县 市场监管局 (officer)', county: '610124', department: 'market', roles: ['officer'] },
  { label: '周至县 某镇政府 (officer)', county: '610124', department: 'township:610124100', roles: ['officer'] },
  { label: '周至县 应急管理局 (officer)', county: '610124', department: 'emergency', roles: ['officer'] },
  { label: '周至县 体育局 (officer)', county: '610124', department: 'sports', roles: ['officer'] },
  { label: '周至县 商务局 (officer)', county: '610124', department: 'commerce', roles: ['officer'] },
  { label: '周至县 商务局 正职负责人 (head)', county: '610124', department: 'commerce', roles: ['head'] },
  { label: '周至县 公安局 (officer)', county: '610124', department: 'police', roles: ['officer'] },
  { label: '周至县 司法局 (arbiter)', county: '610124', department: 'justice', roles: ['arbiter'] },
  { label: '周至县 管理员 (admin)', county: '610124', roles: ['admin'] },
  { label: '西安市 督办 (supervisor)', county: '610100', roles: ['supervisor'] },
];

async function main() {
  const config = loadConfig(process.env);
  const dataDir = path.resolve(root, config.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  const started: (Stoppable & { name: string })[] = [];
  let stopping = false;

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('\nstopping…');
    for (const s of started.reverse()) {
      try {
        await s.stop();
        say(`  stopped ${s.name}`);
      } catch (err) {
        say(`  ${s.name}: ${(err as Error).message}`);
      }
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const busy: string[] = [];
    const ports: [string, number][] = [
      ['TEMPORAL_PORT', config.TEMPORAL_PORT],
      ['TEMPORAL_UI_PORT', config.TEMPORAL_UI_PORT],
      ['API_PORT', config.API_PORT],
    ];
    if (!config.DATABASE_URL) ports.push(['PG_PORT', config.PG_PORT]);
    for (const [name, port] of ports) if (!(await portIsFree(port))) busy.push(`${name}=${port}`);
    if (busy.length) {
      throw new Error(`port(s) in use: ${busy.join(', ')}. Is another \`npm start\` running? Set the variable(s) to free ports.`);
    }

    // The runtime role's connection (worker, API) and the owner's (migrations, demo keys).
    let databaseUrl = config.DATABASE_URL;
    let ownerUrl = config.DATABASE_OWNER_URL;
    if (!databaseUrl) {
      say(`PostgreSQL: starting embedded server (${path.join(config.DATA_DIR, 'pg')}, port ${config.PG_PORT})…`);
      const pg = await startLocalPostgres({ ...config, DATA_DIR: dataDir });
      started.push({ name: 'PostgreSQL', stop: () => pg.stop() });
      databaseUrl = pg.runtimeUrl;
      ownerUrl = pg.appUrl;
    } else if (!ownerUrl) {
      say('PostgreSQL: DATABASE_URL without DATABASE_OWNER_URL: one role migrates and runs the service (set DATABASE_OWNER_URL for two).');
    }

    const api = `http://${config.API_HOST === '0.0.0.0' ? 'localhost' : config.API_HOST}:${config.API_PORT}`;
    say(`Temporal: starting dev server (${path.join(config.DATA_DIR, 'temporal.db')}, port ${config.TEMPORAL_PORT}, UI ${config.TEMPORAL_UI_PORT})…`);
    const temporal = await startTemporalDevServer({
      port: config.TEMPORAL_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      dbFile: path.join(dataDir, 'temporal.db'),
      namespace: config.TEMPORAL_NAMESPACE,
      uiCodecEndpoint: `${api}/v1/codec`,
    });
    started.push({ name: 'Temporal dev server', stop: () => temporal.stop() });

    const applied = await migrateDatabase({ ...config, DATABASE_URL: databaseUrl, DATABASE_OWNER_URL: ownerUrl });
    if (applied.length) say(`migrations applied: ${applied.join(', ')}`);
    // API keys are made by the owner: the runtime role may only read them.
    const pool = createPool({ ...config, DATABASE_URL: ownerUrl ?? databaseUrl });
    const keys = await demoKeys(pool, path.join(dataDir, 'demo-keys.json'));
    await pool.end();

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_UI_URL: process.env.TEMPORAL_UI_URL ?? `http://localhost:${config.TEMPORAL_UI_PORT}`,
      MIGRATE_ON_START: 'false',
      // A person reads these lines: readable ones, unless asked for JSON (LOG_FORMAT=json).
      LOG_FORMAT: process.env.LOG_FORMAT || 'pretty',
      // Payloads are encrypted here too (PIPL), with a key made once per data directory.
      ...(config.PAYLOAD_KEYS ? {} : { PAYLOAD_KEYS: devPayloadKeys(path.join(dataDir, 'payload-keys')) }),
      // The dev UI calls the codec endpoint from its own origin.
      CODEC_CORS_ORIGINS: process.env.CODEC_CORS_ORIGINS ?? `http://localhost:${config.TEMPORAL_UI_PORT},http://127.0.0.1:${config.TEMPORAL_UI_PORT}`,
    };
    // The worker and the API run as the runtime role only.
    delete env.DATABASE_OWNER_URL;
    started.push(child('worker', spawnTsx('worker/main.ts', env), () => void stopAll(1)));
    started.push(child('API', spawnTsx('api/server.ts', env), () => void stopAll(1)));
    await waitForPort(config.API_PORT, config.API_HOST === '0.0.0.0' ? '127.0.0.1' : config.API_HOST, 60_000);

    say('');
    say('综合监管一件事 is running:');
    say(`  API              ${api}`);
    say(`  API docs         ${api}/docs   (OpenAPI: ${api}/openapi.json)`);
    say(`  Temporal Web UI  ${temporal.uiUrl}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows`);
    say(`  Temporal gRPC    ${temporal.address}`);
    say(`  Codec endpoint   ${api}/v1/codec   (payloads are encrypted; a supervisor's key decodes their county's)`);
    say(`  PostgreSQL       ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}${ownerUrl ? `   (migrations as ${new URL(ownerUrl).username || 'the owner'})` : ''}`);
    say('');
    say('Demo API keys (Authorization: Bearer <key>):');
    for (const k of keys) say(`  ${k.label.padEnd(28)} ${k.key}`);
    say('');
    say(`Try: curl -H "Authorization: Bearer ${keys.find((k) => k.department === 'housing')?.key}" ${api}/v1/tasks`);
    if (process.argv.includes('--demo')) {
      say('Seeding demo matters (--demo)…');
      await seedDemo(api, keys, (m) => say(m));
    } else {
      say('Demo matters: npm run demo (or npm start -- --demo).');
    }
    say('Ctrl-C stops everything.');
  } catch (err) {
    process.stderr.write(`npm start: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    await stopAll(1);
  }
}

/** The dev stack's payload key: made once per data directory, kept beside the demo keys. */
function devPayloadKeys(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const spec = newPayloadKeySpec(`dev-${new Date().toISOString().slice(0, 10)}`);
  writeFileSync(file, `${spec}\n`, { mode: 0o600 });
  return spec;
}

/** Demo keys are made once per data directory and stored hashed; the plaintext stays in .data/. */
async function demoKeys(pool: ReturnType<typeof createPool>, file: string): Promise<DemoKey[]> {
  const stored: DemoKey[] = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DemoKey[]) : [];
  const keys: DemoKey[] = [];
  for (const p of demoPrincipals) {
    const known = stored.find((k) => k.label === p.label);
    if (known) {
      await ensureKey(pool, known.key, known);
      keys.push(known);
    } else {
      const { key } = await createKey(pool, { ...p, label: `demo: ${p.label}` });
      keys.push({ ...p, key });
    }
  }
  writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  return keys;
}

function spawnTsx(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, entry)], { cwd: root, env, stdio: 'inherit' });
}

/** A child process we own: if it dies on its own, everything stops (no half-running stack). */
function child(name: string, proc: ChildProcess, onUnexpectedExit: () => void): Stoppable & { name: string } {
  let expected = false;
  proc.once('exit', (code) => {
    if (!expected) {
      process.stderr.write(`${name} exited unexpectedly (code ${code})\n`);
      onUnexpectedExit();
    }
  });
  return {
    name,
    async stop() {
      expected = true;
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

await main();
