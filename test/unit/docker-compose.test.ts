/**
 * Static checks of the production stack (docker-compose.yml, Dockerfile, .dockerignore, deploy/):
 * no Docker engine is needed. They keep compose in step with the code: the environment the api and
 * worker get must load through `loadConfig`, the search attributes registered in the namespace
 * must be exactly `searchAttributeRegistrations`, and the database is migrated by its owner while
 * api and worker connect as the runtime role (db/roles.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { configKeys, loadConfig, type Config } from '../../domain/config.js';
import { searchAttributeRegistrations } from '../../domain/search-attributes.js';
import { allLocalPorts, appEnvironment, clusterTopology, localPorts, temporalServicePorts } from '../../scripts/cluster-topology.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface DependsOn {
  condition?: string;
}
interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, DependsOn>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  volumes?: (string | { source?: string; target?: string })[];
  restart?: string;
}
interface Compose {
  services: Record<string, Service>;
}

const composeText = read('docker-compose.yml');
// `merge: true`: the api and worker share their environment through a YAML merge key (`<<`).
const compose = parse(composeText, { merge: true }) as Compose;

function service(name: string): Service {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
}

/** A service's `environment` as a map, in either of compose's two spellings. */
function rawEnv(s: Service): Record<string, string> {
  const env = s.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((line) => {
        const i = line.indexOf('=');
        return i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v == null ? '' : String(v)]));
}

// ------------------------------------------------------------- compose variable substitution

const reference = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

/** Names of the variables compose refuses to start without (`${VAR:?message}` / `${VAR?message}`). */
const requiredVariables = [...new Set([...composeText.matchAll(reference)].filter((m) => m[2]?.endsWith('?')).map((m) => m[1]!))];

/** Sample values for the required variables: URL-safe, like the hex passwords deploy/env.example asks for. */
const sampleEnv: Record<string, string> = {
  ...Object.fromEntries(requiredVariables.map((name) => [name, `sample${name.replace(/_/g, '').toLowerCase()}0123456789abcdef`])),
  // Values with a shape of their own, as deploy/env.example describes them.
  PAYLOAD_KEYS: `k202612:${Buffer.alloc(32, 3).toString('base64')}`,
  TEMPORAL_JWKS_URL: 'https://idp.example/realms/county/protocol/openid-connect/certs',
};

/**
 * Compose's interpolation, enough for this file: `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}`, `${VAR?message}`, and `$$` for a literal dollar.
 */
function substitute(value: string, vars: Record<string, string | undefined>): string {
  const out = value.replace(reference, (_m, name: string, op: string | undefined, arg: string | undefined) => {
    const v = vars[name];
    const unsetOrEmpty = v === undefined || v === '';
    switch (op) {
      case ':-':
        return unsetOrEmpty ? (arg ?? '') : v;
      case '-':
        return v === undefined ? (arg ?? '') : v;
      case ':?':
        if (unsetOrEmpty) throw new Error(`required variable ${name} is not set: ${arg ?? ''}`);
        return v;
      case '?':
        if (v === undefined) throw new Error(`required variable ${name} is not set: ${arg ?? ''}`);
        return v;
      default:
        return v ?? '';
    }
  });
  return out.replace(/\$\$/g, '$');
}

const envOf = (name: string, vars: Record<string, string | undefined> = sampleEnv) =>
  Object.fromEntries(Object.entries(rawEnv(service(name))).map(([k, v]) => [k, substitute(v, vars)]));

function dependsOn(name: string): Record<string, string | undefined> {
  const deps = service(name).depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([d, v]) => [d, v.condition ?? 'service_started']));
}

const asList = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : v.split(/\s+/));

// ------------------------------------------------------------------------------- the tests

/** What each process reads from its environment in production (domain/config.ts). */
const needed: Record<'api' | 'worker' | 'migrate', (keyof Config)[]> = {
  api: [
    'NODE_ENV',
    'LOG_LEVEL',
    'TEMPORAL_ADDRESS',
    'TEMPORAL_NAMESPACE',
    'TEMPORAL_TASK_QUEUE',
    'TEMPORAL_UI_URL',
    'TEMPORAL_API_KEY',
    'DATABASE_URL',
    'MIGRATE_ON_START',
    'API_HOST',
    'API_PORT',
    'PAYLOAD_KEYS',
    'CODEC_CORS_ORIGINS',
    'CODEC_JWKS_URL',
  ],
  worker: [
    'NODE_ENV',
    'LOG_LEVEL',
    'TEMPORAL_ADDRESS',
    'TEMPORAL_NAMESPACE',
    'TEMPORAL_TASK_QUEUE',
    'TEMPORAL_UI_URL',
    'TEMPORAL_API_KEY',
    'DATABASE_URL',
    'MIGRATE_ON_START',
    'WORKFLOW_BUNDLE_PATH',
    'PAYLOAD_KEYS',
  ],
  migrate: ['NODE_ENV', 'LOG_LEVEL', 'DATABASE_OWNER_URL', 'DATABASE_URL'],
};
/** Only for the local `npm start` dev stack: compose must not need them. */
const devStackOnly: (keyof Config)[] = ['DATA_DIR', 'TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'PG_PORT', 'TEMPORAL_CLI', 'TEMPORAL_TEST_SERVER'];

describe('docker-compose.yml', () => {
  test('the topology `npm run stack:cluster` runs (scripts/cluster-topology.ts): two Temporal nodes of one cluster, two workers, two API replicas, each on its node', () => {
    // The Temporal server nodes: the same image, settings and dynamic config, so they form one cluster.
    const servers = Object.entries(compose.services).filter(([, s]) => s.image?.startsWith('temporalio/server:'));
    expect(servers.map(([name]) => name).sort()).toEqual([...clusterTopology.temporalNodes].sort());
    const [first, ...others] = clusterTopology.temporalNodes;
    for (const node of others) {
      expect(service(node).image).toBe(service(first!).image);
      expect(envOf(node), node).toEqual(envOf(first!));
      expect(service(node).volumes).toEqual(service(first!).volumes);
      expect(dependsOn(node)).toEqual(dependsOn(first!));
    }
    // The app processes: exactly the topology's, by command; each gets the topology's environment,
    // talks to its own node and starts after it is healthy; the API replicas publish their ports.
    const appServices = Object.entries(compose.services).filter(
      ([, s]) => s.image === service('api').image && (s.command === undefined || /worker\/main\.ts$/.test(asList(s.command).join(' '))),
    );
    expect(appServices.map(([name]) => name).sort()).toEqual(clusterTopology.apps.map((a) => a.service).sort());
    for (const app of clusterTopology.apps) {
      const s = service(app.service);
      expect(asList(s.command).join(' '), app.service).toBe(
        app.kind === 'worker' ? ['node', ...clusterTopology.workerNodeFlags, '--import', 'tsx', 'worker/main.ts'].join(' ') : '',
      );
      const env = envOf(app.service);
      const expected = appEnvironment(app, {
        frontendAddress: (node) => `${node}:${temporalServicePorts.frontend.grpc}`,
        apiPort: () => clusterTopology.apiContainerPort,
      });
      expect(env, app.service).toMatchObject(expected);
      expect(clusterTopology.temporalNodes).toContain(app.temporalNode);
      expect(dependsOn(app.service)[app.temporalNode], `${app.service} waits for ${app.temporalNode}`).toBe('service_healthy');
      // Same settings otherwise: a replica differs from its twin only in the node it talks to.
      const twin = clusterTopology.apps.find((a) => a.kind === app.kind)!;
      const { TEMPORAL_ADDRESS: _a, ...rest } = env;
      const { TEMPORAL_ADDRESS: _b, ...twinRest } = envOf(twin.service);
      expect(rest, `${app.service} vs ${twin.service}`).toEqual(twinRest);
      if (app.kind === 'api') {
        expect((s as { ports?: string[] }).ports).toEqual([`${app.publishedPort}:${clusterTopology.apiContainerPort}`]);
        expect(loadConfig(env).API_PORT).toBe(clusterTopology.apiContainerPort);
      }
    }
    // Each node serves half of the app processes: losing one leaves a worker and an API replica.
    for (const node of clusterTopology.temporalNodes) {
      expect(
        clusterTopology.apps
          .filter((a) => a.temporalNode === node)
          .map((a) => a.kind)
          .sort(),
        node,
      ).toEqual(['api', 'worker']);
    }
    // On one machine every process's ports are distinct.
    const ports = allLocalPorts(localPorts(17300));
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports).toHaveLength(1 + clusterTopology.temporalNodes.length * 9 + 2);
  });

  test('every image is pinned to an explicit version tag (services with build: excepted)', () => {
    const checked: string[] = [];
    for (const [name, s] of Object.entries(compose.services)) {
      if (s.build !== undefined) continue;
      expect(s.image, `${name}: no image`).toBeTypeOf('string');
      const image = s.image!;
      expect(image, `${name}: image is a variable`).not.toMatch(/\$/);
      const withoutDigest = image.split('@')[0]!;
      const lastPart = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
      const tag = lastPart.includes(':') ? lastPart.slice(lastPart.indexOf(':') + 1) : '';
      expect(tag, `${name}: ${image} has no tag`).not.toBe('');
      expect(tag, `${name}: ${image} uses latest`).not.toMatch(/latest/i);
      // An explicit version: at least major.minor (a bare `16` or `1` floats across releases).
      expect(tag, `${name}: ${image} is not pinned to a version`).toMatch(/^v?\d+\.\d+/);
      checked.push(name);
    }
    expect(checked).toEqual(expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'temporal-schema', 'temporal-search-attributes']));
  });

  test('api and worker get every variable they need, all known to loadConfig, and it loads', () => {
    const loaded: Record<string, Config> = {};
    for (const name of ['api', 'worker'] as const) {
      const raw = rawEnv(service(name));
      for (const key of Object.keys(raw)) {
        expect(configKeys, `${name}: ${key} is not read by domain/config.ts`).toContain(key);
      }
      for (const key of needed[name]) expect(raw, `${name}: ${key} is not set`).toHaveProperty(key);
      for (const key of devStackOnly) expect(raw, `${name}: ${key} is for the dev stack only`).not.toHaveProperty(key);
      // They run as the runtime role: no owner credentials, and the migrate job has migrated.
      expect(raw, `${name}: the owner's connection is the migrate job's alone`).not.toHaveProperty('DATABASE_OWNER_URL');

      const env = envOf(name);
      const config = loadConfig(env);
      loaded[name] = config;
      expect(config.NODE_ENV).toBe('production');
      expect(config.MIGRATE_ON_START).toBe(false);

      // DATABASE_URL reaches the postgresql service, with the password from a required variable.
      const db = new URL(config.DATABASE_URL!);
      expect(db.hostname).toBe('postgresql');
      expect(db.port || '5432').toBe('5432');
      expect(db.pathname).toBe('/supervision');
      expect(raw.DATABASE_URL, `${name}: DATABASE_URL password`).toMatch(/:\$\{[A-Z_]+:\?[^}]*\}@/);
      expect(decodeURIComponent(db.password)).toBe(sampleEnv[/\$\{([A-Z_]+):\?/.exec(raw.DATABASE_URL!)![1]!]);

      // TEMPORAL_ADDRESS reaches the temporal service's gRPC frontend.
      expect(config.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(compose.services).toHaveProperty('temporal');

      // Compose refuses to start the service while a required variable (a password) is unset.
      const usedRequired = requiredVariables.filter((v) => Object.values(raw).some((value) => value.includes(`\${${v}:?`)));
      expect(usedRequired.length, `${name}: DATABASE_URL password is required`).toBeGreaterThan(0);
      for (const variable of usedRequired) {
        const missing = { ...sampleEnv, [variable]: '' };
        expect(() => envOf(name, missing), `${name} without ${variable}`).toThrow(variable);
      }
    }

    const api = loaded.api!;
    const worker = loaded.worker!;
    expect(api.API_HOST).toBe('0.0.0.0');
    expect(api.API_PORT).toBe(3000);
    expect(worker.WORKFLOW_BUNDLE_PATH).toMatch(/^\//);
    // Both sides of the task queue must agree, and use the namespace the job sets up.
    expect(worker.TEMPORAL_NAMESPACE).toBe(api.TEMPORAL_NAMESPACE);
    expect(worker.TEMPORAL_TASK_QUEUE).toBe(api.TEMPORAL_TASK_QUEUE);
    expect(worker.DATABASE_URL).toBe(api.DATABASE_URL);
    expect(envOf('temporal-search-attributes').TEMPORAL_NAMESPACE).toBe(api.TEMPORAL_NAMESPACE);
    expect(envOf('temporal-ui').TEMPORAL_DEFAULT_NAMESPACE).toBe(api.TEMPORAL_NAMESPACE);
    // Same image, different command.
    expect(asList(service('api').command)).toEqual([]);
    expect(asList(service('worker').command).join(' ')).toMatch(/worker\/main\.ts$/);
  });

  test('health checks and start order: postgresql → temporal → search attributes → api, worker', () => {
    for (const name of ['postgresql', 'temporal', 'api']) {
      const hc = service(name).healthcheck;
      expect(hc?.disable, `${name}: health check disabled`).not.toBe(true);
      const cmd = asList(hc?.test);
      expect(cmd.length, `${name}: no health check`).toBeGreaterThan(1);
      expect(cmd[0], `${name}: health check must run something`).toMatch(/^CMD(-SHELL)?$/);
    }
    expect(asList(service('postgresql').healthcheck?.test).join(' ')).toContain('pg_isready');
    expect(asList(service('temporal').healthcheck?.test).join(' ')).toContain('temporal operator cluster health');
    const apiCheck = asList(service('api').healthcheck?.test).join(' ');
    expect(apiCheck).toContain(`:${loadConfig(envOf('api')).API_PORT}/healthz`);
    expect(service('api').healthcheck?.test).toEqual([
      'CMD',
      'node',
      '-e',
      "fetch('http://127.0.0.1:3000/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))",
    ]);

    expect(dependsOn('temporal-schema')).toMatchObject({ postgresql: 'service_healthy' });
    expect(dependsOn('temporal')).toMatchObject({ postgresql: 'service_healthy', 'temporal-schema': 'service_completed_successfully' });
    expect(dependsOn('temporal-search-attributes')).toMatchObject({ temporal: 'service_healthy' });
    expect(dependsOn('temporal-ui')).toMatchObject({ temporal: 'service_healthy' });
    expect(dependsOn('migrate')).toMatchObject({ postgresql: 'service_healthy' });
    for (const name of ['api', 'worker']) {
      expect(dependsOn(name), name).toMatchObject({
        postgresql: 'service_healthy',
        migrate: 'service_completed_successfully',
        'temporal-search-attributes': 'service_completed_successfully',
      });
    }
    // One-shot jobs must be able to complete: a job that restarts itself never does.
    for (const name of ['temporal-schema', 'temporal-search-attributes', 'migrate']) {
      expect(['no', undefined], `${name}: restart`).toContain(service(name).restart);
    }
    // Every depends_on names an existing service, and the order has no cycle.
    const order: string[] = [];
    const visit = (name: string, trail: string[]) => {
      expect(trail, `dependency cycle through ${name}`).not.toContain(name);
      if (order.includes(name)) return;
      for (const dep of Object.keys(dependsOn(name))) visit(dep, [...trail, name]);
      order.push(name);
    };
    for (const name of Object.keys(compose.services)) visit(name, []);
    expect(order.indexOf('postgresql')).toBeLessThan(order.indexOf('temporal'));
    expect(order.indexOf('temporal')).toBeLessThan(order.indexOf('temporal-search-attributes'));
    expect(order.indexOf('temporal-search-attributes')).toBeLessThan(order.indexOf('api'));
    expect(order.indexOf('temporal-search-attributes')).toBeLessThan(order.indexOf('worker'));
    expect(order.indexOf('postgresql')).toBeLessThan(order.indexOf('migrate'));
    expect(order.indexOf('migrate')).toBeLessThan(order.indexOf('api'));
    expect(order.indexOf('migrate')).toBeLessThan(order.indexOf('worker'));
  });

  test('two database roles: the migrate job migrates as the owner, api and worker connect as the runtime role', () => {
    // The job runs scripts/migrate.ts from the app's image, once.
    const job = service('migrate');
    expect(job.build, 'migrate: built like api').toEqual(service('api').build);
    expect(job.image).toBe(service('api').image);
    const command = asList(job.command);
    expect(command.join(' ')).toMatch(/^node --import tsx scripts\/migrate\.ts$/);
    expect(existsSync(path.join(root, command.at(-1)!)), command.at(-1)).toBe(true);
    expect(['no', undefined], 'migrate: restart').toContain(job.restart);

    const raw = rawEnv(job);
    for (const key of Object.keys(raw)) expect(configKeys, `migrate: ${key} is not read by domain/config.ts`).toContain(key);
    for (const key of needed.migrate) expect(raw, `migrate: ${key} is not set`).toHaveProperty(key);
    for (const key of devStackOnly) expect(raw, `migrate: ${key} is for the dev stack only`).not.toHaveProperty(key);
    const config = loadConfig(envOf('migrate'));
    expect(config.NODE_ENV).toBe('production');

    // Owner and runtime role: two roles of the same database, passwords from two required variables.
    const owner = new URL(config.DATABASE_OWNER_URL!);
    const runtime = new URL(config.DATABASE_URL!);
    for (const url of [owner, runtime]) {
      expect(url.hostname).toBe('postgresql');
      expect(url.port || '5432').toBe('5432');
      expect(url.pathname).toBe('/supervision');
    }
    expect(owner.username).not.toBe('');
    expect(runtime.username).not.toBe('');
    expect(runtime.username, 'the runtime role is not the owner').not.toBe(owner.username);
    const passwordVariable = (value: string) => /:\$\{([A-Z0-9_]+):\?[^}]*\}@/.exec(value)?.[1];
    const ownerPassword = passwordVariable(raw.DATABASE_OWNER_URL!);
    const runtimePassword = passwordVariable(raw.DATABASE_URL!);
    expect(ownerPassword, 'DATABASE_OWNER_URL password').toBeDefined();
    expect(runtimePassword, 'DATABASE_URL password').toBeDefined();
    expect(ownerPassword).not.toBe(runtimePassword);
    expect(decodeURIComponent(owner.password)).toBe(sampleEnv[ownerPassword!]);
    expect(decodeURIComponent(runtime.password)).toBe(sampleEnv[runtimePassword!]);

    // The job grants exactly the role api and worker connect as, with the password they use.
    for (const name of ['api', 'worker']) {
      const env = envOf(name);
      expect(env.DATABASE_URL, `${name}: DATABASE_URL is the migrate job's runtime role`).toBe(config.DATABASE_URL);
      expect(Object.values(rawEnv(service(name))).join('\n'), `${name} holds the owner's password`).not.toContain(`\${${ownerPassword}`);
    }
    // Only the job and PostgreSQL's first-start script see the owner's password.
    const withOwnerPassword = Object.entries(compose.services)
      .filter(([, s]) => Object.values(rawEnv(s)).some((v) => v.includes(`\${${ownerPassword}`)))
      .map(([name]) => name)
      .sort();
    expect(withOwnerPassword).toEqual(['migrate', 'postgresql']);

    // PostgreSQL's first start creates the owner (CREATEROLE: the job creates the runtime role) and
    // its database, with the password of DATABASE_OWNER_URL; the runtime role is the job's to make.
    const initMount = (service('postgresql').volumes ?? [])
      .map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`))
      .map((v) => v.split(':'))
      .find(([, target]) => target === '/docker-entrypoint-initdb.d');
    expect(initMount, 'init scripts are mounted').toBeDefined();
    const init = read(path.join(initMount![0]!, '10-roles.sh'));
    const ownerRole = new RegExp(`CREATE ROLE ${owner.username}\\b([^;]*);`).exec(init);
    expect(ownerRole, `10-roles.sh creates ${owner.username}`).not.toBeNull();
    expect(ownerRole![1]).toMatch(/\bLOGIN\b/);
    expect(ownerRole![1]).toMatch(/\bCREATEROLE\b/);
    expect(ownerRole![1]).not.toMatch(/\bSUPERUSER\b/);
    expect(init).toMatch(new RegExp(`CREATE DATABASE supervision OWNER ${owner.username};`));
    expect(init, 'the runtime role is created by the migrate job').not.toMatch(new RegExp(`CREATE ROLE ${runtime.username}\\b`));
    const passedTo = Object.entries(rawEnv(service('postgresql'))).find(([, v]) => v === `\${${ownerPassword}:?set ${ownerPassword}}`)?.[0];
    expect(passedTo, `postgresql gets ${ownerPassword}`).toBeDefined();
    expect(init).toContain(`"$${passedTo}"`);
  });

  test('the search-attribute job registers exactly searchAttributeRegistrations', () => {
    const job = service('temporal-search-attributes');
    expect(job.image).toMatch(/^temporalio\/admin-tools:/);
    const listed = asList(job.command).map((arg) => {
      const [name, type, ...rest] = arg.split('=');
      expect(rest, `malformed ${arg}`).toEqual([]);
      return { name: name!, type: type! };
    });
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(listed.length, 'duplicates').toBe(new Set(listed.map((sa) => sa.name)).size);
    expect([...listed].sort(byName)).toEqual([...searchAttributeRegistrations].map(({ name, type }) => ({ name, type })).sort(byName));

    // The script the job runs creates the namespace if missing and each attribute by name and type.
    const entry = asList(job.entrypoint).join(' ');
    const mount = (job.volumes ?? [])
      .map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`))
      .map((v) => v.split(':'))
      .find(([, target]) => target !== undefined && entry.includes(target));
    expect(mount, 'the job runs a script mounted from deploy/').toBeDefined();
    const script = read(mount![0]!);
    expect(script).toContain('temporal operator cluster health');
    expect(script).toContain('temporal operator namespace describe');
    expect(script).toContain('temporal operator namespace create');
    expect(script).toMatch(/temporal operator search-attribute create[\s\S]*--name "\$name" --type "\$type"/);
    expect(script).toMatch(/for pair in "\$@"/);
  });

  test('the Temporal server runs on PostgreSQL with Updates enabled', () => {
    const env = envOf('temporal');
    expect(env).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql', BIND_ON_IP: '0.0.0.0' });
    const file = env.DYNAMIC_CONFIG_FILE_PATH!;
    const mount = (service('temporal').volumes ?? [])
      .map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`))
      .map((v) => v.split(':'))
      .find(([, target]) => target !== undefined && file.startsWith(`${target}/`));
    expect(mount, 'dynamic config file is mounted').toBeDefined();
    const local = path.join(mount![0]!, path.posix.relative(mount![1]!, file));
    expect(existsSync(path.join(root, local)), local).toBe(true);
    const dynamic = parse(read(local)) as Record<string, { value: unknown }[]>;
    // The API sends Workflow Updates (as the dev stack enables them in scripts/dev-stack.ts).
    expect(dynamic['frontend.enableUpdateWorkflowExecution']?.[0]?.value).toBe(true);
    expect(dynamic['system.forceSearchAttributesCacheRefreshOnRead'], 'a dev-only setting').toBeUndefined();
    // The schema job uses the same role and password as the server.
    expect(rawEnv(service('temporal-schema')).SQL_PASSWORD).toBe(rawEnv(service('temporal')).POSTGRES_PWD);
    expect(rawEnv(service('temporal-schema')).SQL_USER).toBe(rawEnv(service('temporal')).POSTGRES_USER);
  });

  test('the Temporal UI: OIDC login, write actions off; the server authorizes every call by JWT; the service and the setup job present tokens', () => {
    const ui = envOf('temporal-ui');
    expect(ui).toMatchObject({
      TEMPORAL_AUTH_ENABLED: 'true',
      TEMPORAL_DISABLE_WRITE_ACTIONS: 'true',
      TEMPORAL_SHOW_TEMPORAL_SYSTEM_NAMESPACE: 'false',
      TEMPORAL_AUTH_SCOPES: 'openid,profile,email',
      TEMPORAL_AUTH_CALLBACK_URL: 'http://localhost:8080/auth/sso/callback',
    });
    for (const v of ['TEMPORAL_UI_OIDC_PROVIDER_URL', 'TEMPORAL_UI_OIDC_CLIENT_ID', 'TEMPORAL_UI_OIDC_CLIENT_SECRET']) {
      expect(requiredVariables, `${v} is required: the UI never starts without login`).toContain(v);
    }
    const server = envOf('temporal');
    expect(server).toMatchObject({
      TEMPORAL_AUTH_AUTHORIZER: 'default',
      TEMPORAL_AUTH_CLAIM_MAPPER: 'default',
      TEMPORAL_JWT_PERMISSIONS_CLAIM: 'permissions',
      USE_INTERNAL_FRONTEND: 'true',
    });
    expect(server.SERVICES!.split(':')).toEqual(expect.arrayContaining(['frontend', 'internal-frontend', 'history', 'matching', 'worker']));
    expect(requiredVariables).toContain('TEMPORAL_JWKS_URL');
    expect(server.TEMPORAL_JWT_KEY_SOURCE1).toBe(sampleEnv.TEMPORAL_JWKS_URL);
    // The api and worker load the token through loadConfig and present it; so does the setup job.
    for (const name of ['api', 'worker'] as const) {
      const env = envOf(name);
      expect(env.TEMPORAL_API_KEY).toBe(sampleEnv.TEMPORAL_SERVICE_TOKEN);
      expect(loadConfig(env).TEMPORAL_API_KEY).toBe(sampleEnv.TEMPORAL_SERVICE_TOKEN);
    }
    expect(envOf('temporal-search-attributes').TEMPORAL_API_KEY).toBe(sampleEnv.TEMPORAL_ADMIN_TOKEN);
    // README says who can do what in the UI.
    const readme = read('README.md');
    expect(readme).toContain('### The Temporal Web UI in production');
    for (const s of ['TEMPORAL_DISABLE_WRITE_ACTIONS', 'supervision:read', 'temporal-system:admin', 'TEMPORAL_SERVICE_TOKEN']) expect(readme).toContain(s);
  });

  test('payloads encrypted: api and worker seal with the same required keys; the UI decodes through the API’s codec endpoint with its user’s token', () => {
    expect(requiredVariables).toContain('PAYLOAD_KEYS');
    const api = loadConfig(envOf('api'));
    const worker = loadConfig(envOf('worker'));
    expect(api.PAYLOAD_KEYS).toBe(sampleEnv.PAYLOAD_KEYS);
    expect(worker.PAYLOAD_KEYS).toBe(api.PAYLOAD_KEYS);
    const ui = envOf('temporal-ui');
    expect(ui.TEMPORAL_CODEC_ENDPOINT).toBe(`http://localhost:${api.API_PORT}/v1/codec`);
    expect(ui.TEMPORAL_CODEC_PASS_ACCESS_TOKEN).toBe('true');
    // The API lets the UI's origin call it and checks the UI users' tokens against the IdP's keys.
    expect(api.CODEC_CORS_ORIGINS).toEqual([api.TEMPORAL_UI_URL]);
    expect(api.CODEC_JWKS_URL).toBe(sampleEnv.TEMPORAL_JWKS_URL);
    const readme = read('README.md');
    for (const s of ['### Personal data in Temporal', 'PAYLOAD_KEYS', '/v1/codec/decode', '--ui-codec-endpoint']) expect(readme).toContain(s);
  });

  test('no hard-coded passwords: secrets come from required ${...} variables', () => {
    const secretKey = /pass|pwd|secret|token|(^|_)keys?$/i;
    // Settings whose names mention a token but hold none: the UI's switch to pass its user's token.
    const notSecrets = new Set(['TEMPORAL_CODEC_PASS_ACCESS_TOKEN']);
    const secretVariables = new Set<string>();
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [key, value] of Object.entries(rawEnv(s))) {
        if (secretKey.test(key) && !notSecrets.has(key)) {
          expect(value, `${name}.${key} must be exactly one required variable`).toMatch(/^\$\{[A-Z_][A-Z0-9_]*:\?[^}]*\}$/);
          secretVariables.add(/^\$\{([A-Z0-9_]+)/.exec(value)![1]!);
        }
        // Credentials inside connection strings.
        const userinfo = /^[a-z][a-z0-9+.-]*:\/\/[^/@:]*:([^@]*)@/i.exec(value);
        if (userinfo) {
          expect(userinfo[1], `${name}.${key}: password in URL`).toMatch(/^\$\{[A-Z_][A-Z0-9_]*:\?[^}]*\}$/);
          secretVariables.add(/^\$\{([A-Z0-9_]+)/.exec(userinfo[1]!)![1]!);
        }
      }
    }
    expect([...secretVariables].sort()).toEqual([
      'APP_DB_OWNER_PASSWORD',
      'APP_DB_PASSWORD',
      'PAYLOAD_KEYS',
      'POSTGRES_PASSWORD',
      'TEMPORAL_ADMIN_TOKEN',
      'TEMPORAL_DB_PASSWORD',
      'TEMPORAL_SERVICE_TOKEN',
      'TEMPORAL_UI_OIDC_CLIENT_SECRET',
    ]);
    // None of them may have a default (that would be a hard-coded password).
    for (const v of secretVariables) expect(composeText, v).not.toMatch(new RegExp(`\\$\\{${v}:?-`));
    // Nothing like `password: hunter2` / `PASSWORD=hunter2` anywhere in the text either.
    for (const line of composeText.split('\n').filter((l) => !l.trim().startsWith('#') && ![...notSecrets].some((k) => l.trim().startsWith(`${k}:`)))) {
      const m = /^\s*-?\s*["']?\w*(pass(word)?|pwd)\w*["']?\s*[:=]\s*["']?([^\s"'#]*)/i.exec(line);
      if (m?.[3]) expect(m[3], line).toMatch(/^\$\{/);
    }
    // deploy/env.example ships the secret names with empty values.
    const example = read('deploy/env.example');
    for (const v of secretVariables) expect(example, v).toMatch(new RegExp(`^${v}=$`, 'm'));
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  // Instructions with their continuation lines joined, comments dropped.
  const instructions = dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: string[][] = [];
  for (const line of instructions) {
    if (/^FROM\s/i.test(line)) stages.push([line]);
    else stages.at(-1)?.push(line);
  }

  test('glibc Node 20+ base, non-root USER, and it builds the workflow bundle the worker loads', () => {
    expect(stages.length, 'multi-stage').toBeGreaterThanOrEqual(2);
    for (const [from] of stages) {
      const image = from!.split(/\s+/)[1]!;
      expect(image, from).toMatch(/^node:/);
      expect(image, `${from}: Alpine (musl) cannot load the Temporal core bridge`).not.toMatch(/alpine/i);
      const tag = image.slice('node:'.length).split('@')[0]!;
      const m = /^(\d+)\.\d+\.\d+-(bookworm|trixie|bullseye)(-slim)?$/.exec(tag);
      expect(m, `${image}: pin an exact Node version on a Debian (glibc) base`).not.toBeNull();
      expect(Number(m![1]), image).toBeGreaterThanOrEqual(20);
    }

    const runtime = stages.at(-1)!;
    const users = runtime.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1]);
    expect(users.length, 'final stage sets USER').toBeGreaterThan(0);
    expect(['root', '0', '0:0'], 'runs as non-root').not.toContain(users.at(-1));
    expect(runtime).toContain('ENV NODE_ENV=production');
    const cmd = runtime.find((l) => /^CMD\s/i.test(l));
    expect(cmd, 'default command runs the API').toMatch(/api\/server\.ts/);

    // The bundle is built in a build stage, and the runtime stage copies it in at WORKFLOW_BUNDLE_PATH.
    const buildStage = stages.find((s) => s.some((l) => /scripts\/build-workflow-bundle\.ts/.test(l)));
    expect(buildStage, 'a stage runs scripts/build-workflow-bundle.ts').toBeDefined();
    expect(buildStage).not.toBe(runtime);
    const workdir = (stage: string[]) =>
      stage
        .filter((l) => /^WORKDIR\s/i.test(l))
        .map((l) => l.split(/\s+/)[1]!)
        .at(-1) ?? '/';
    const out = /scripts\/build-workflow-bundle\.ts\s+(\S+)/.exec(buildStage!.join('\n'))![1]!;
    const builtAt = path.posix.resolve(workdir(buildStage!), out);
    const stageName = /\sAS\s+(\S+)/i.exec(buildStage![0]!)?.[1];
    const copy = runtime.find((l) => new RegExp(`^COPY\\s+--from=${stageName}\\s`, 'i').test(l));
    expect(copy, 'runtime stage copies from the build stage').toBeDefined();
    const [src, dest] = copy!.split(/\s+/).slice(-2) as [string, string];
    const copiedTo = path.posix.join(path.posix.resolve(workdir(runtime), dest), path.posix.relative(src, builtAt));
    expect(builtAt.startsWith(src.replace(/\/?$/, '/')) || builtAt === src, `${copy} covers ${builtAt}`).toBe(true);
    expect(loadConfig(envOf('worker')).WORKFLOW_BUNDLE_PATH).toBe(copiedTo);
    // devDependencies are dropped before the copy.
    expect(buildStage!.join('\n')).toMatch(/npm (prune --omit=dev|ci --omit=dev)/);
  });

  test('.dockerignore keeps local state, tests and secrets out of the image', () => {
    const ignored = read('.dockerignore')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const entry of ['node_modules', '.data', 'dist', '.git', 'test', '.env']) expect(ignored, entry).toContain(entry);
  });
});
