/**
 * Two database roles (issue 11 §2): the migrations run as the owner, the service as a runtime role
 * (db/roles.ts) that owns nothing and may only INSERT and SELECT the audit log. Against the run's
 * real PostgreSQL: this file connects as the runtime role and tries every way of changing the
 * audit trail (each refused with SQLSTATE 42501, insufficient_privilege), records events through
 * the service's own functions, runs the API and the worker as that role, and migrates a database
 * owned by a non-superuser owner with CREATEROLE, as docker-compose does.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { buildApp } from '../../api/app.js';
import { listAudit, recordEvent, verifyAudit } from '../../db/events.js';
import { createKey } from '../../db/keys.js';
import { migrate, migrateDatabase } from '../../db/migrate.js';
import { createPool, inTransaction, type Pool } from '../../db/pool.js';
import { runtimePrivileges } from '../../db/roles.js';
import { loadConfig } from '../../domain/config.js';
import type { EventRecord } from '../../domain/events.js';
import { createWebhookDispatcher } from '../../worker/webhook-dispatcher.js';
import { AddressGuard } from '../../worker/webhook-guard.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';
import { eventually } from '../helpers/eventually.js';
import { timeSkippingEnv, workflowBundle } from '../helpers/temporal.js';
import { callerOf } from '../helpers/api.js';

const poolOf = (url: string) => createPool({ DATABASE_URL: url, PG_POOL_MAX: 3, PG_CONNECTION_TIMEOUT_MS: 5000, PG_STATEMENT_TIMEOUT_MS: 30000 });

let db: TestDatabase;
let runtime: Pool;
const runtimeRole = inject('pgRuntimeRole').name;

beforeAll(async () => {
  db = await freshDatabase();
  runtime = poolOf(db.runtimeUrl);
});
afterAll(async () => {
  await runtime?.end();
  await db?.drop();
});

let seq = 0;
const event = (county = '610124'): EventRecord => ({
  workflowId: `task:${county}:housing:roles-${randomUUID().slice(0, 8)}`,
  seq: ++seq,
  county,
  at: new Date().toISOString(),
  type: 'assigned',
  summary: '派单：核查自建房',
  actor: { keyId: 'k-operator', county },
  notifications: [{ kind: 'task.assigned', title: '新任务', body: '核查自建房', recipients: [{ county, department: 'housing' }] }],
});

/** The error a statement fails with, or a test failure when it succeeds. */
async function refusal(pool: Pool, sql: string): Promise<{ code: string; message: string }> {
  try {
    await pool.query(sql);
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
  throw new Error(`the runtime role was allowed: ${sql}`);
}

const auditRows = async () => (await db.pool.query('SELECT id, event_id, action, hash, prev_hash FROM audit_log ORDER BY id')).rows;

describe('the runtime role', () => {
  test('connects as itself, is no superuser, and owns nothing: no table, sequence, function, schema or database', async () => {
    expect((await runtime.query('SELECT current_user AS me')).rows[0].me).toBe(runtimeRole);
    const attrs = (
      await db.pool.query('SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1', [
        runtimeRole,
      ])
    ).rows[0];
    expect(attrs).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false, rolcanlogin: true });

    const owned = await db.pool.query(
      `SELECT relkind::text AS kind, relname AS name FROM pg_class WHERE pg_has_role($1::name, relowner, 'MEMBER')
       UNION ALL SELECT 'function', proname FROM pg_proc WHERE pg_has_role($1::name, proowner, 'MEMBER')
       UNION ALL SELECT 'schema', nspname FROM pg_namespace WHERE pg_has_role($1::name, nspowner, 'MEMBER')
       UNION ALL SELECT 'database', datname FROM pg_database WHERE pg_has_role($1::name, datdba, 'MEMBER')`,
      [runtimeRole],
    );
    expect(owned.rows).toEqual([]);
    // The tables are there, owned by the role that migrated (the run's admin), not by the runtime role.
    const owners = await db.pool.query<{ owner: string }>(
      "SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'",
    );
    expect(owners.rows.map((r) => r.owner)).toEqual([new URL(db.url).username]);
  });

  test('holds exactly the declared privileges on each table: on audit_log SELECT and INSERT only', async () => {
    const held = await db.pool.query<{ table: string; privileges: string[] }>(
      `SELECT c.relname AS table,
              coalesce(array_agg(p.privilege ORDER BY p.privilege) FILTER (WHERE p.privilege IS NOT NULL), '{}') AS privileges
       FROM pg_class c
       LEFT JOIN LATERAL unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS p(privilege)
         ON has_table_privilege($1::name, c.oid, p.privilege)
       WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
       GROUP BY c.relname ORDER BY c.relname`,
      [runtimeRole],
    );
    const expected = Object.fromEntries(Object.entries(runtimePrivileges).map(([t, p]) => [t, [...p].sort()]));
    expect(Object.fromEntries(held.rows.map((r) => [r.table, r.privileges]))).toEqual(expected);
    expect(expected.audit_log).toEqual(['INSERT', 'SELECT']);
    // The audit log's id sequence: nextval (INSERT needs it), never setval.
    const seq = (
      await db.pool.query(
        "SELECT has_sequence_privilege($1::name, 'audit_log_id_seq', 'USAGE') AS usage, has_sequence_privilege($1::name, 'audit_log_id_seq', 'UPDATE') AS update",
        [runtimeRole],
      )
    ).rows[0];
    expect(seq).toEqual({ usage: true, update: false });
    expect((await db.pool.query("SELECT has_schema_privilege($1::name, 'public', 'CREATE') AS c", [runtimeRole])).rows[0].c).toBe(false);
  });

  test('records an event through db/events.ts (timeline, audit entry, notification) and reads and verifies the trail', async () => {
    const e = event();
    await inTransaction(runtime, (client) => recordEvent(client, e));
    await inTransaction(runtime, (client) => recordEvent(client, e)); // a retried activity: nothing twice
    const mine = await listAudit(runtime, { countyPrefix: '610124', objectId: e.workflowId, limit: 10 });
    expect(mine.map((a) => [a.eventId, a.action, a.chain])).toEqual([[`${e.workflowId}#${e.seq}`, 'assigned', '610124']]);
    expect((await runtime.query('SELECT count(*)::int AS n FROM notifications WHERE object_id = $1', [e.workflowId])).rows[0].n).toBe(1);
    expect(await verifyAudit(runtime, { countyPrefix: '610124' })).toMatchObject({ ok: true });
  });

  const denied = (table: string) => new RegExp(`^permission denied for (table|sequence) ${table}$`);
  const notOwner = (what: string) => new RegExp(`^must be owner of ${what.replace(/^table /, '(table|relation) ')}$`);
  test.each([
    ['UPDATE', "UPDATE audit_log SET action = 'rewritten'", denied('audit_log')],
    ['UPDATE of one entry', "UPDATE audit_log SET details = '{}' WHERE id = (SELECT max(id) FROM audit_log)", denied('audit_log')],
    ['DELETE', 'DELETE FROM audit_log', denied('audit_log')],
    ['TRUNCATE', 'TRUNCATE audit_log', denied('audit_log')],
    [
      'an upsert that rewrites',
      "INSERT INTO audit_log (event_id, at, county, action, object_id, prev_hash, hash) SELECT event_id, at, county, 'x', object_id, prev_hash, hash FROM audit_log LIMIT 1 ON CONFLICT (event_id) DO UPDATE SET action = 'x'",
      denied('audit_log'),
    ],
    ['ALTER TABLE … ADD COLUMN', 'ALTER TABLE audit_log ADD COLUMN forged text', notOwner('table audit_log')],
    ['ALTER TABLE … DISABLE TRIGGER (update/delete)', 'ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update', notOwner('table audit_log')],
    ['ALTER TABLE … DISABLE TRIGGER (truncate)', 'ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate', notOwner('table audit_log')],
    ['ALTER TABLE … DISABLE TRIGGER ALL', 'ALTER TABLE audit_log DISABLE TRIGGER ALL', notOwner('table audit_log')],
    ['DROP TRIGGER (update/delete)', 'DROP TRIGGER audit_log_no_update ON audit_log', notOwner('table audit_log')],
    ['DROP TRIGGER (truncate)', 'DROP TRIGGER audit_log_no_truncate ON audit_log', notOwner('table audit_log')],
    ['CREATE TRIGGER', 'CREATE TRIGGER forged BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()', denied('audit_log')],
    [
      'replacing the trigger function',
      'CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$',
      /^permission denied for schema public$/,
    ],
    ['dropping the trigger function with its triggers', 'DROP FUNCTION audit_log_append_only() CASCADE', notOwner('function audit_log_append_only')],
    ['ALTER TABLE … OWNER TO', `ALTER TABLE audit_log OWNER TO ${runtimeRole}`, notOwner('table audit_log')],
    ['DROP TABLE', 'DROP TABLE audit_log', notOwner('table audit_log')],
    ['setval on its sequence', "SELECT setval('audit_log_id_seq', 1)", denied('audit_log_id_seq')],
    ['triggers off for the session', 'SET session_replication_role = replica', /^permission denied to set parameter "session_replication_role"$/],
    ['a table of its own', 'CREATE TABLE forged (id int)', /^permission denied for schema public$/],
  ])('%s on the audit log is refused (42501)', async (_what, sql, message) => {
    const before = await auditRows();
    expect(before.length, 'an entry to tamper with').toBeGreaterThan(0);
    const err = await refusal(runtime, sql);
    expect(err.code, err.message).toBe('42501');
    expect(err.message).toMatch(message);
    expect(await auditRows()).toEqual(before);
  });

  test('the audit log is unchanged after every attempt and still verifies', async () => {
    expect(await verifyAudit(db.pool, { countyPrefix: '610124' })).toMatchObject({ ok: true });
    const triggers = await db.pool.query("SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal ORDER BY tgname");
    expect(triggers.rows).toEqual([
      { tgname: 'audit_log_no_truncate', tgenabled: 'O' },
      { tgname: 'audit_log_no_update', tgenabled: 'O' },
    ]);
  });

  test('may check that the database is migrated (no DDL), and a pending migration names the owner to run it', async () => {
    expect(await migrate(runtime)).toEqual([]);
    // Forget one migration (as the owner) and let the runtime role try it.
    const last = (await db.pool.query('SELECT id, name FROM schema_migrations ORDER BY id DESC LIMIT 1')).rows[0] as { id: number; name: string };
    const scratch = await freshDatabase();
    const scratchRuntime = poolOf(scratch.runtimeUrl);
    try {
      await scratch.pool.query('DELETE FROM schema_migrations WHERE id = $1', [last.id]);
      await expect(migrate(scratchRuntime)).rejects.toThrow(new RegExp(`^migration ${last.name} failed: .*migrate as the owner, DATABASE_OWNER_URL`));
    } finally {
      await scratchRuntime.end();
      await scratch.drop();
    }
  });
});

describe('the API and the worker as the runtime role', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let app: FastifyInstance;
  let receiver: http.Server;
  const received: string[] = [];
  const keys: Record<'operator' | 'housing' | 'auditor' | 'admin', string> = { operator: '', housing: '', auditor: '', admin: '' };

  beforeAll(async () => {
    env = await timeSkippingEnv();
    // The receiver below is on loopback: allowed for this API, as a platform would register it.
    const config = loadConfig({ TEMPORAL_TASK_QUEUE: `roles-${randomUUID()}`, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ pool: runtime }),
    });
    running = worker.run();
    app = await buildApp({ config, pool: runtime, temporal: env.client, logger: false });
    await app.ready();
    // Keys are made by the owner (`npm run keys`): the runtime role may only read them.
    keys.operator = (await createKey(db.pool, { county: '610124', roles: ['operator'] })).key;
    keys.housing = (await createKey(db.pool, { county: '610124', department: 'housing', roles: ['officer'] })).key;
    keys.auditor = (await createKey(db.pool, { county: '610124', roles: ['auditor'] })).key;
    keys.admin = (await createKey(db.pool, { county: '610124', roles: ['admin'] })).key;
    receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(String(req.headers['x-webhook-id'] ?? req.url));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await app?.close();
    worker?.shutdown();
    await running;
    await env?.teardown();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const call = callerOf(
    () => app,
    () => keys,
  );

  test('a task assigned, signed and submitted; inbox, notifications, audit and webhooks all work', async () => {
    const port = (receiver.address() as AddressInfo).port;
    const hook = await call('admin', 'PUT', '/v1/webhooks/610124/department:housing', {
      url: `http://127.0.0.1:${port}/in`,
      secret: randomBytes(24).toString('hex'),
    });
    expect(hook.status, hook.text).toBe(201);

    const idem = { 'idempotency-key': `roles-${randomUUID()}` };
    const created = await call('operator', 'POST', '/v1/tasks', { department: 'housing', title: '核查自建房', instructions: '现场核查' }, idem);
    expect(created.status, created.text).toBe(201);
    const again = await call('operator', 'POST', '/v1/tasks', { department: 'housing', title: '核查自建房', instructions: '现场核查' }, idem);
    expect(again.status, again.text).toBe(200);
    const taskId = created.body.taskId as string;
    const workflowId = created.body.workflowId as string;
    await eventually(async () => (await runtime.query('SELECT 1 FROM tasks WHERE task_id = $1', [workflowId])).rowCount, {
      message: 'the task in the read model',
    });

    const signed = await call('housing', 'POST', `/v1/tasks/${taskId}/sign`);
    expect(signed.status, signed.text).toBe(200);
    const submitted = await call('housing', 'POST', `/v1/tasks/${taskId}/submit`, { summary: '已现场核查，未发现隐患', outcome: 'compliant' });
    expect(submitted.status, submitted.text).toBe(200);
    await eventually(async () => (await call('housing', 'GET', `/v1/tasks/${taskId}`)).body?.state === 'submitted' || undefined, {
      message: 'the submission recorded',
    });

    const inbox = await call('housing', 'GET', '/v1/tasks');
    expect(inbox.status, inbox.text).toBe(200);
    const notices = await eventually(
      async () => {
        const n = await call('housing', 'GET', '/v1/notifications');
        return n.body?.items?.length ? (n.body.items as { id: string }[]) : undefined;
      },
      { message: 'a notification for housing' },
    );
    const read = await call('housing', 'POST', `/v1/notifications/${encodeURIComponent(notices[0]!.id)}/read`);
    expect(read.status, read.text).toBe(200);

    const audit = await eventually(
      async () => {
        const a = await call('auditor', 'GET', `/v1/audit?objectId=${encodeURIComponent(workflowId)}`);
        return a.body?.items?.length >= 3 ? (a.body.items as { action: string }[]) : undefined;
      },
      { message: 'assigned, signed and submitted in the audit trail' },
    );
    expect(audit.map((a) => a.action).slice(0, 3)).toEqual(['assigned', 'signed', 'submitted']);
    expect((await call('auditor', 'GET', '/v1/audit/verify')).body).toMatchObject({ ok: true });

    // The worker's webhook dispatcher, as the runtime role: deliveries created, claimed, sent, marked.
    const dispatcher = createWebhookDispatcher({ pool: runtime, guard: new AddressGuard(['127.0.0.1']), jitter: 0, requestTimeoutMs: 2000 });
    await eventually(
      async () => {
        await dispatcher.tick();
        const r = await runtime.query("SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'delivered'");
        return r.rows[0].n > 0;
      },
      { message: 'a webhook delivered' },
    );
    expect(received.length).toBeGreaterThan(0);
    expect((await runtime.query('SELECT count(*)::int AS n FROM webhook_attempts')).rows[0].n).toBeGreaterThan(0);
    const removed = await call('admin', 'DELETE', '/v1/webhooks/610124/department:housing');
    expect(removed.status, removed.text).toBe(204);
  });
});

describe('an owner that is no superuser (as in docker-compose: LOGIN CREATEROLE, owns the database)', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = { name: `isv_owner_${suffix}`, password: randomBytes(12).toString('hex') };
  const role = `isv_rt_${suffix}`;
  const database = `isv_roles_${suffix}`;
  const adminUrl = inject('pgAdminUrl');
  const urlFor = (user: string, password: string) => {
    const u = new URL(adminUrl);
    u.username = user;
    u.password = password;
    u.pathname = `/${database}`;
    return u.toString();
  };
  const asAdmin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  const settings = { PG_POOL_MAX: 2, PG_CONNECTION_TIMEOUT_MS: 5000, PG_STATEMENT_TIMEOUT_MS: 30000 };

  beforeAll(async () => {
    await asAdmin(async (c) => {
      await c.query(`CREATE ROLE ${owner.name} LOGIN CREATEROLE PASSWORD '${owner.password}'`);
      await c.query(`CREATE DATABASE ${database} OWNER ${owner.name}`);
      await c.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
    });
  });
  afterAll(async () => {
    await asAdmin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await c.query(`DROP ROLE IF EXISTS ${role}`);
      await c.query(`DROP ROLE IF EXISTS ${owner.name}`);
    });
  });

  test('migrates, creates the runtime role with the configured password, grants it CONNECT and the declared privileges; a new password is taken at the next run', async () => {
    const ownerUrl = urlFor(owner.name, owner.password);
    const first = urlFor(role, 'first-password');
    const applied = await migrateDatabase({ ...settings, DATABASE_OWNER_URL: ownerUrl, DATABASE_URL: first });
    expect(applied.length).toBeGreaterThan(0);

    const rt = poolOf(first);
    try {
      await inTransaction(rt, (client) => recordEvent(client, event('610122')));
      expect((await rt.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n).toBe(1);
      for (const sql of [
        "UPDATE audit_log SET action = 'x'",
        'DELETE FROM audit_log',
        'TRUNCATE audit_log',
        'ALTER TABLE audit_log DISABLE TRIGGER ALL',
        'DROP TRIGGER audit_log_no_update ON audit_log',
      ]) {
        expect((await refusal(rt, sql)).code, sql).toBe('42501');
      }
      const owners = await rt.query<{ owner: string }>(
        "SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'S')",
      );
      expect(owners.rows.map((r) => r.owner)).toEqual([owner.name]);
    } finally {
      await rt.end();
    }

    // Again, with the password changed in the configuration: nothing to apply, the role kept, the password new.
    const second = urlFor(role, 'second-password');
    expect(await migrateDatabase({ ...settings, DATABASE_OWNER_URL: ownerUrl, DATABASE_URL: second })).toEqual([]);
    const rt2 = new pg.Client({ connectionString: second });
    await rt2.connect();
    expect((await rt2.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n).toBe(1);
    await rt2.end();
    const stale = new pg.Client({ connectionString: first });
    await expect(stale.connect()).rejects.toMatchObject({ code: '28P01' });
  });

  test('refuses a runtime role that is the owner, a superuser, or owns a table', async () => {
    const ownerUrl = urlFor(owner.name, owner.password);
    await expect(migrateDatabase({ ...settings, DATABASE_OWNER_URL: ownerUrl, DATABASE_URL: ownerUrl })).rejects.toThrow(/is the role running the migrations/);
    const superuser = new URL(adminUrl);
    await expect(
      migrateDatabase({ ...settings, DATABASE_OWNER_URL: ownerUrl, DATABASE_URL: urlFor(superuser.username, decodeURIComponent(superuser.password)) }),
    ).rejects.toThrow(new RegExp(`runtime role ${superuser.username}: .*has SUPERUSER\\b`));
    // A table given to the runtime role (by a superuser, in this database).
    const su = new pg.Client({ connectionString: urlFor(superuser.username, decodeURIComponent(superuser.password)) });
    await su.connect();
    await su.query(`ALTER TABLE matters OWNER TO ${role}`);
    await su.end();
    await expect(migrateDatabase({ ...settings, DATABASE_OWNER_URL: ownerUrl, DATABASE_URL: urlFor(role, 'second-password') })).rejects.toThrow(
      /owns \(or is a member of the owner of\) relation matters/,
    );
  });
});
