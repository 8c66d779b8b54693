/**
 * The production topology of scripts/cluster-topology.ts on one machine, real parts only: an
 * embedded PostgreSQL, the real Temporal server (two processes forming one cluster through ringpop,
 * persistence and visibility on PostgreSQL), the namespace with our search attributes, the
 * application database migrated by its owner, two workers and two API replicas connected as the
 * runtime role. The one-shot steps run the very scripts docker-compose.yml runs
 * (deploy/postgres/init/10-roles.sh, deploy/temporal/setup-schema.sh,
 * deploy/temporal/register-search-attributes.sh, scripts/migrate.ts) and the nodes read the same
 * dynamic config (deploy/temporal/dynamicconfig/production-sql.yaml).
 *
 * Every long-lived process can be killed (SIGKILL, as a crash) and restarted on the same ports:
 * the cluster tier (test/cluster) does that under load. Used by `npm run stack:cluster` too.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import {
  clusterTopology,
  localPorts,
  allLocalPorts,
  appEnvironment,
  temporalServicePorts,
  type AppProcess,
  type LocalPorts,
  type TemporalService,
} from './cluster-topology.js';
import { searchAttributeRegistrations } from '../domain/search-attributes.js';
import { portIsFree, waitForFrontend, waitForPort } from './dev-stack.js';
import { findTemporalCli, findTemporalServer } from './provision.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Local-only passwords, like the dev stack's (scripts/local-db.ts): the server listens on 127.0.0.1. */
const passwords = { postgres: 'postgres', temporal: 'temporal', owner: 'supervision', runtime: 'supervision_app' };

export interface ClusterOptions {
  /** State: PostgreSQL's files, the nodes' configuration, the workflow bundle, one log per process. */
  dir: string;
  basePort: number;
  /** Keep PostgreSQL durable across restarts (`npm run stack:cluster`); a test cluster is throwaway. */
  persistent: boolean;
  /** Settings added to every worker's and API replica's environment (e.g. the tests' rate limits). */
  appEnv?: Record<string, string>;
  log?: (line: string) => void;
}

/** A process of the cluster that can crash (`kill9`) and come back (`restart`) on the same ports. */
export interface ClusterProcess {
  readonly name: string;
  readonly pid: number | undefined;
  /** SIGKILL, no goodbye; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** Starts it again and resolves once it serves. */
  restart(): Promise<void>;
  /** SIGTERM (SIGKILL after 20 s). */
  stop(): Promise<void>;
}

export interface Cluster {
  ports: LocalPorts;
  namespace: string;
  taskQueue: string;
  /** The application database as its owner (migrations, API keys) and as the runtime role. */
  ownerUrl: string;
  runtimeUrl: string;
  /** Frontend addresses, by node. */
  frontends: Record<string, string>;
  /** Base URLs of the API replicas, in topology order. */
  apiUrls: string[];
  temporalNodes: ClusterProcess[];
  workers: ClusterProcess[];
  apis: ClusterProcess[];
  logDir: string;
  stop(): Promise<void>;
}

/**
 * Temporal keeps each node's membership port in a PostgreSQL `smallint` (cluster_membership.rpc_port):
 * a port above 32767 stops the node at start (`value "32886" is out of range for type smallint`).
 */
export const highestBasePort = 32_767 - 50;

/** A base port whose whole block (PostgreSQL, both nodes, the APIs) is free, below highestBasePort. */
export async function freeBasePort(from = 20_000 + 50 * Math.floor(Math.random() * 200)): Promise<number> {
  for (let base = from; base <= highestBasePort; base += 50) {
    const free = await Promise.all(allLocalPorts(localPorts(base)).map((p) => portIsFree(p)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no free block of 50 ports from ${from} to ${highestBasePort}`);
}

/** Spawns `command` with its output appended to `logFile`; `ready` resolves once it serves. */
function managed(
  name: string,
  logFile: string,
  start: () => { child: ChildProcess; ready: (child: ChildProcess, logOffset: number) => Promise<void> },
  all: Set<ChildProcess>,
): ClusterProcess & { start(): Promise<void> } {
  let child: ChildProcess | undefined;
  const launch = async () => {
    const offset = existsSync(logFile) ? statSync(logFile).size : 0;
    const s = start();
    child = s.child;
    all.add(child);
    child.once('exit', () => all.delete(s.child));
    try {
      await s.ready(child, offset);
    } catch (err) {
      child.kill('SIGKILL');
      const tail = readFileSync(logFile, 'utf8').slice(offset).split('\n').slice(-30).join('\n');
      throw new Error(`${name} did not start: ${(err as Error).message}\n--- ${logFile} (last lines)\n${tail}`);
    }
  };
  const ended = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
  const waitExit = (c: ChildProcess) => (ended(c) ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())));
  return {
    name,
    get pid() {
      return child?.pid;
    },
    start: launch,
    async kill9() {
      if (!child || ended(child)) return;
      const c = child;
      c.kill('SIGKILL');
      await waitExit(c);
    },
    async restart() {
      if (child && !ended(child)) throw new Error(`${name} is still running (pid ${child.pid})`);
      await launch();
    },
    async stop() {
      if (!child || ended(child)) return;
      const c = child;
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 20_000);
      await waitExit(c);
      clearTimeout(timer);
    },
  };
}

/** Resolves once `needle` appears in `file` after `offset` (a process's own log line). */
async function logLine(file: string, offset: number, needle: RegExp, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode})`);
    if (needle.test(readFileSync(file, 'utf8').slice(offset))) return;
    if (Date.now() > deadline) throw new Error(`no ${needle} in its log after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function httpOk(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode})`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 2xx within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A one-shot step (a deploy/ script, a migration); its output goes to its log. */
async function oneShot(what: string, file: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  try {
    const { stdout, stderr } = await run(file, args, { env, cwd: root, maxBuffer: 16 * 1024 * 1024 });
    writeFileSync(logFile, stdout + stderr, { flag: 'a' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    writeFileSync(logFile, `${e.stdout ?? ''}${e.stderr ?? ''}`, { flag: 'a' });
    throw new Error(`${what} failed: ${e.message.split('\n')[0]}\n${(e.stderr ?? e.stdout ?? '').split('\n').slice(-15).join('\n')}`);
  }
}

/** The configuration of node `node`: the module's development-postgres12.yaml with its ports moved. */
function nodeConfig(node: string, ports: LocalPorts, pgPort: number): string {
  const p = ports.nodes[node]!;
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${pgPort}`,
      connectProtocol: 'tcp',
      user: 'temporal',
      password: passwords.temporal,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (s: TemporalService) => ({
    rpc: { grpcPort: p[s].grpc, membershipPort: p[s].membership, bindOnLocalHost: true, ...(s === 'frontend' ? { httpPort: p.frontendHttp } : {}) },
  });
  const first = ports.nodes[clusterTopology.temporalNodes[0]!]!;
  const config = {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: clusterTopology.localHistoryShards,
      datastores: { 'postgres-default': store('temporal', 10), 'postgres-visibility': store('temporal_visibility', 2) },
    },
    // Nodes find each other through the cluster_membership table and talk on their membership ports.
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: Object.fromEntries((Object.keys(temporalServicePorts) as TemporalService[]).map((s) => [s, rpc(s)])),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${first.frontend.grpc}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: path.join(root, 'deploy/temporal/dynamicconfig/production-sql.yaml'), pollInterval: '10s' },
  };
  return `# Generated by scripts/cluster.ts for ${node} (JSON is YAML).\n${JSON.stringify(config, null, 2)}\n`;
}

/** The cluster's payload key: made once per state directory, so a persistent cluster reads its old payloads. */
function payloadKeys(dir: string): string {
  const file = path.join(dir, 'payload-keys');
  if (!existsSync(file)) writeFileSync(file, `cluster:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const log = opts.log ?? (() => {});
  const dir = path.resolve(opts.dir);
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  if (opts.basePort > highestBasePort) throw new Error(`base port ${opts.basePort}: at most ${highestBasePort} (Temporal stores membership ports as smallint)`);
  const ports = localPorts(opts.basePort);
  const busy = [];
  for (const p of allLocalPorts(ports)) if (!(await portIsFree(p))) busy.push(p);
  if (busy.length) throw new Error(`port(s) in use: ${busy.join(', ')}: is another cluster running? Choose another base port.`);

  const [tools, cli] = await Promise.all([findTemporalServer(), findTemporalCli({ allowDownloadFallback: false })]);
  const children = new Set<ChildProcess>();
  const started: ClusterProcess[] = [];
  // A parent that dies (a failed test run, Ctrl-C twice) leaves no server behind.
  const killAll = () => {
    for (const c of children) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const stopAll = async () => {
    for (const p of [...started].reverse()) await p.stop();
    process.removeListener('exit', killAll);
  };

  try {
    // ---- PostgreSQL (a process of its own: see scripts/pg-server.ts)
    const pgLog = path.join(logDir, 'postgresql.log');
    const postgres = managed(
      'postgresql',
      pgLog,
      () => {
        const out = openSync(pgLog, 'a');
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            path.join(root, 'scripts/pg-server.ts'),
            path.join(dir, 'pg'),
            String(ports.postgres),
            ...(opts.persistent ? ['--persistent'] : []),
            // Two nodes × four services' pools, four app pools (compose sets the same).
            '--max-connections=200',
          ],
          { stdio: ['pipe', out, out], cwd: root },
        );
        closeSync(out);
        return { child, ready: (c, offset) => logLine(pgLog, offset, /^ready /m, c, 120_000) };
      },
      children,
    );
    await postgres.start();
    started.push(postgres);
    const pgHost = { PGHOST: '127.0.0.1', PGPORT: String(ports.postgres) };
    const ownerUrl = `postgres://supervision:${passwords.owner}@127.0.0.1:${ports.postgres}/supervision`;
    const runtimeUrl = `postgres://supervision_app:${passwords.runtime}@127.0.0.1:${ports.postgres}/supervision`;
    log(`PostgreSQL on 127.0.0.1:${ports.postgres}`);

    // ---- Roles (first start only, as the postgres image runs its init scripts), Temporal's schemas
    const setupLog = path.join(logDir, 'setup.log');
    const hasRoles = await run('psql', ['-At', '-U', 'postgres', '-d', 'postgres', '-c', "SELECT 1 FROM pg_roles WHERE rolname = 'temporal'"], {
      env: { ...process.env, ...pgHost, PGPASSWORD: passwords.postgres },
    }).then((r) => r.stdout.trim() === '1');
    if (!hasRoles) {
      await oneShot(
        'deploy/postgres/init/10-roles.sh',
        'bash',
        [path.join(root, 'deploy/postgres/init/10-roles.sh')],
        {
          ...process.env,
          ...pgHost,
          PGPASSWORD: passwords.postgres,
          POSTGRES_USER: 'postgres',
          POSTGRES_DB: 'postgres',
          TEMPORAL_DB_PASSWORD: passwords.temporal,
          APP_DB_OWNER_PASSWORD: passwords.owner,
        },
        setupLog,
      );
    }
    const bundle = path.join(dir, 'workflow-bundle.js');
    const bundling = oneShot('the workflow bundle', process.execPath, ['--import', 'tsx', 'scripts/build-workflow-bundle.ts', bundle], process.env, setupLog);
    // setup-schema.sh calls `temporal-sql-tool` by name, as the admin-tools image has it.
    await oneShot(
      'deploy/temporal/setup-schema.sh',
      'sh',
      [path.join(root, 'deploy/temporal/setup-schema.sh')],
      {
        ...process.env,
        PATH: `${path.dirname(tools.sqlTool)}${path.delimiter}${process.env.PATH ?? ''}`,
        SQL_PLUGIN: 'postgres12',
        SQL_HOST: '127.0.0.1',
        SQL_PORT: String(ports.postgres),
        SQL_USER: 'temporal',
        SQL_PASSWORD: passwords.temporal,
        SCHEMA_DIR: tools.schemaDir,
      },
      setupLog,
    );
    // Awaited after the nodes are up; a failure meanwhile must not be an unhandled rejection.
    bundling.catch(() => {});
    const migrating = oneShot(
      'scripts/migrate.ts',
      process.execPath,
      ['--import', 'tsx', 'scripts/migrate.ts'],
      { ...process.env, NODE_ENV: 'production', DATABASE_OWNER_URL: ownerUrl, DATABASE_URL: runtimeUrl },
      setupLog,
    );
    migrating.catch(() => {});

    // ---- Two Temporal server nodes
    const temporalRoot = path.join(dir, 'temporal');
    mkdirSync(path.join(temporalRoot, 'config'), { recursive: true });
    const frontends: Record<string, string> = {};
    const temporalNodes = clusterTopology.temporalNodes.map((node) => {
      writeFileSync(path.join(temporalRoot, 'config', `${node}.yaml`), nodeConfig(node, ports, ports.postgres));
      const address = `127.0.0.1:${ports.nodes[node]!.frontend.grpc}`;
      frontends[node] = address;
      const file = path.join(logDir, `${node}.log`);
      return managed(
        node,
        file,
        () => {
          const out = openSync(file, 'a');
          const child = spawn(tools.server, ['--root', temporalRoot, '--config', 'config', '--env', node, '--allow-no-auth', 'start'], {
            stdio: ['ignore', out, out],
          });
          closeSync(out);
          return {
            child,
            ready: async (c) => {
              await waitForPort(ports.nodes[node]!.frontend.grpc, '127.0.0.1', 180_000, c);
              await waitForFrontend(address, 180_000, c);
            },
          };
        },
        children,
      );
    });
    // One after the other: the first node of a new cluster writes its metadata, and a second one
    // starting at the same moment fails on the same row (SaveClusterMetadata: duplicate key).
    for (const n of temporalNodes) {
      await n.start();
      started.push(n);
    }
    log(`Temporal cluster: ${clusterTopology.temporalNodes.map((n) => `${n} ${frontends[n]}`).join(', ')}`);

    // ---- The namespace and its search attributes, with the CLI (docker-compose's temporal-search-attributes)
    const saArgs = searchAttributeRegistrations.map((sa) => `${sa.name}=${sa.type}`);
    await oneShot(
      'deploy/temporal/register-search-attributes.sh',
      'sh',
      [path.join(root, 'deploy/temporal/register-search-attributes.sh'), ...saArgs],
      {
        ...process.env,
        PATH: `${path.dirname(cli!)}${path.delimiter}${process.env.PATH ?? ''}`,
        TEMPORAL_ADDRESS: frontends[clusterTopology.temporalNodes[0]!]!,
        TEMPORAL_NAMESPACE: clusterTopology.namespace,
      },
      setupLog,
    );
    await Promise.all([bundling, migrating]);

    // ---- Two workers and two API replicas, as compose runs them
    const shared = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATABASE_URL: runtimeUrl,
      PAYLOAD_KEYS: payloadKeys(dir),
      WORKFLOW_BUNDLE_PATH: bundle,
      PG_POOL_MAX: '5',
      API_HOST: '127.0.0.1',
      ...opts.appEnv,
    };
    const app = (a: AppProcess) => {
      const file = path.join(logDir, `${a.service}.log`);
      const env = { ...process.env, ...shared, ...appEnvironment(a, { frontendAddress: (n) => frontends[n]!, apiPort: (x) => ports.apis[x.service]! }) };
      return managed(
        a.service,
        file,
        () => {
          const out = openSync(file, 'a');
          const child = spawn(
            process.execPath,
            a.kind === 'api' ? ['--import', 'tsx', 'api/server.ts'] : [...clusterTopology.workerNodeFlags, '--import', 'tsx', 'worker/main.ts'],
            {
              stdio: ['ignore', out, out],
              cwd: root,
              env,
            },
          );
          closeSync(out);
          return {
            child,
            ready: (c, offset) =>
              a.kind === 'api'
                ? httpOk(`http://127.0.0.1:${ports.apis[a.service]}/healthz`, c, 120_000)
                : logLine(file, offset, /worker: task queue/, c, 180_000),
          };
        },
        children,
      );
    };
    const workers = clusterTopology.apps.filter((a) => a.kind === 'worker').map(app);
    const apis = clusterTopology.apps.filter((a) => a.kind === 'api').map(app);
    await Promise.all([...workers, ...apis].map((p) => p.start()));
    started.push(...workers, ...apis);

    return {
      ports,
      namespace: clusterTopology.namespace,
      taskQueue: clusterTopology.taskQueue,
      ownerUrl,
      runtimeUrl,
      frontends,
      apiUrls: apis.map((a) => `http://127.0.0.1:${ports.apis[a.name]}`),
      temporalNodes,
      workers,
      apis,
      logDir,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll().catch(() => {});
    killAll();
    throw err;
  }
}
