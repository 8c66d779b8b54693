import pg from 'pg';

/**
 * Two database roles (issue 11 §2): the **owner** runs the migrations and owns every table, the
 * **runtime role** is what the API and the worker connect as (DATABASE_URL). The runtime role owns
 * nothing (an owner may ALTER or DROP a table and disable its triggers) and gets, on each table,
 * only what the code in db/*.ts does with it: on `audit_log` SELECT and INSERT alone, so no
 * UPDATE, DELETE, TRUNCATE, ALTER or trigger change, whatever the service's code or an attacker
 * holding its credentials tries.
 *
 * A role is cluster-wide in PostgreSQL while privileges are per database, so `grantRuntimeRole`
 * tolerates the role existing already (another database, another migrator at the same time) and
 * grants in the current database only. It runs at every migration, so the grants follow this
 * table and the configured role name.
 */

export interface RuntimeRole {
  name: string;
  /** Set when the migration creates the role, and again on every run where the owner may. */
  password?: string;
}

export type TablePrivilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

/**
 * What the runtime role may do, table by table: every table of the schema must be listed (a new
 * table without an entry stops the migration, so none is forgotten). Upserts (`ON CONFLICT DO
 * UPDATE`) and `FOR UPDATE` need UPDATE; API keys are created by the owner (`npm run keys`,
 * `npm start`), never by the service. A sequence behind a column (`bigserial`) gets USAGE when the
 * role may INSERT into its table.
 */
export const runtimePrivileges: Record<string, readonly TablePrivilege[]> = {
  schema_migrations: ['SELECT'],
  api_keys: ['SELECT'],
  principals: ['SELECT'],
  id_counters: ['SELECT', 'INSERT', 'UPDATE'],
  idempotency_keys: ['SELECT', 'INSERT'],
  tasks: ['SELECT', 'INSERT', 'UPDATE'],
  // UPDATE: erasing a subject's personal data rewrites its entries' text (the audit log it is not).
  timeline_events: ['SELECT', 'INSERT', 'UPDATE'],
  audit_log: ['SELECT', 'INSERT'],
  notifications: ['SELECT', 'INSERT', 'UPDATE'],
  calendar_years: ['SELECT', 'INSERT'],
  matters: ['SELECT', 'INSERT', 'UPDATE'],
  scenario_overrides: ['SELECT', 'INSERT'],
  public_results: ['SELECT', 'INSERT', 'UPDATE'],
  public_result_versions: ['SELECT', 'INSERT'],
  webhook_endpoints: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  webhook_deliveries: ['SELECT', 'INSERT', 'UPDATE'],
  webhook_attempts: ['SELECT', 'INSERT'],
  disputes: ['SELECT', 'INSERT', 'UPDATE'],
  transfers: ['SELECT', 'INSERT', 'UPDATE'],
  audit_verifications: ['SELECT', 'INSERT'],
  // The audit log's free text, outside its chain: UPDATE only erases (text and salt to NULL).
  audit_texts: ['SELECT', 'INSERT', 'UPDATE'],
  subjects: ['SELECT', 'INSERT', 'UPDATE'],
  clues: ['SELECT', 'INSERT', 'UPDATE'],
  // Sealed; never rewritten: a contact is written once, at intake.
  clue_contacts: ['SELECT', 'INSERT'],
  dispatch_catalogues: ['SELECT', 'INSERT'],
  risk_warnings: ['SELECT', 'INSERT', 'UPDATE'],
  approvals: ['SELECT', 'INSERT', 'UPDATE'],
  approval_rules: ['SELECT', 'INSERT'],
  // A row per version, never rewritten.
  inspection_items: ['SELECT', 'INSERT'],
  // UPDATE: erasing a subject replaces the reasons of its grades.
  subject_credit_history: ['SELECT', 'INSERT', 'UPDATE'],
  registry_settings: ['SELECT', 'INSERT', 'UPDATE'],
  inspectors: ['SELECT', 'INSERT', 'UPDATE'],
  // A plan is never changed in place (a correction is a new plan); an inspection's row follows its workflow.
  plans: ['SELECT', 'INSERT'],
  inspections: ['SELECT', 'INSERT', 'UPDATE'],
  // The county's yearly cap per subject (0023): a row per version since 0026, never rewritten.
  inspection_settings: ['SELECT', 'INSERT'],
  // Rounds (0023): the seed, snapshot and draw are written once each (guarded updates); the recusal log is appended.
  rounds: ['SELECT', 'INSERT', 'UPDATE'],
  round_launches: ['SELECT', 'INSERT', 'UPDATE'],
  round_recusals: ['SELECT', 'INSERT', 'UPDATE'],
  // One row per inspection and department, written once by the credit activity.
  inspection_credit: ['SELECT', 'INSERT'],
  // Each 409 recently_inspected, counted by the inspections report.
  inspection_refusals: ['SELECT', 'INSERT'],
};

/** The runtime role of a connection string: its user and password (`postgres://role:password@…`). */
export function runtimeRoleOf(url: string): RuntimeRole {
  const u = new URL(url);
  const name = decodeURIComponent(u.username);
  if (!name) throw new Error('the runtime connection string names no user (postgres://role:password@host/database)');
  return { name, ...(u.password ? { password: decodeURIComponent(u.password) } : {}) };
}

const code = (err: unknown) => (err as { code?: string }).code;

/** Runs `sql` in a savepoint; an error `tolerated` says is allowed rolls back to it and answers false. */
async function attempt(client: pg.PoolClient, sql: string, tolerated: (err: unknown) => boolean): Promise<boolean> {
  await client.query('SAVEPOINT runtime_role');
  try {
    await client.query(sql);
    await client.query('RELEASE SAVEPOINT runtime_role');
    return true;
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT runtime_role');
    if (tolerated(err)) return false;
    throw err;
  }
}

/**
 * Inside the migration's transaction, as the owner: makes sure `role` exists and can log in,
 * checks that it is no superuser and can act as no owner, and leaves it exactly the privileges of
 * `runtimePrivileges` in this database. The owner needs CREATEROLE (or superuser) to create the
 * role; an existing role it may not alter keeps its password.
 */
export async function grantRuntimeRole(client: pg.PoolClient, role: RuntimeRole): Promise<void> {
  const id = pg.escapeIdentifier(role.name);
  const me = (await client.query<{ me: string }>('SELECT current_user AS me')).rows[0]!.me;
  if (role.name === me) {
    throw new Error(`the runtime role ${role.name} is the role running the migrations: give the service (DATABASE_URL) a role of its own, not the owner's`);
  }
  const password = role.password === undefined ? '' : ` PASSWORD ${pg.escapeLiteral(role.password)}`;
  // Two migrators (two databases of one cluster) may create it at once: the loser sees it exist.
  const created = await attempt(client, `CREATE ROLE ${id} LOGIN${password}`, (err) => code(err) === '42710' || code(err) === '23505').catch((err: unknown) => {
    throw code(err) === '42501'
      ? new Error(
          `the runtime role ${role.name} does not exist and ${me} may not create it: give ${me} CREATEROLE, or create the role (LOGIN, no other attribute) as a superuser`,
        )
      : err;
  });
  if (!created) {
    // Keeps the password in step with the configuration where the owner administers the role
    // (it created it); a role someone else manages (42501), or one altered at this moment by
    // another migrator (XX000 "tuple concurrently updated"), is left as it is.
    await attempt(
      client,
      `ALTER ROLE ${id} WITH LOGIN${password}`,
      (err) => code(err) === '42501' || (code(err) === 'XX000' && /concurrently/.test((err as Error).message)),
    );
  }

  const attrs = (
    await client.query<Record<string, boolean>>('SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = $1', [
      role.name,
    ])
  ).rows[0];
  if (!attrs) throw new Error(`the runtime role ${role.name} does not exist`);
  const attributeNames: Record<string, string> = {
    rolsuper: 'SUPERUSER',
    rolcreaterole: 'CREATEROLE',
    rolcreatedb: 'CREATEDB',
    rolreplication: 'REPLICATION',
    rolbypassrls: 'BYPASSRLS',
  };
  const excess = Object.entries(attrs)
    .filter(([, on]) => on)
    .map(([attr]) => attributeNames[attr] ?? attr);
  if (excess.length)
    throw new Error(`the runtime role ${role.name} has ${excess.join(', ')}: it must have none (ALTER ROLE ${role.name} NO${excess.join(' NO')})`);

  // Owning (or being a member of the owner of) a table, a sequence, a function or the database
  // would let it ALTER, DROP or disable triggers whatever it is granted.
  const owned = (
    await client.query<{ what: string }>(
      `SELECT 'database ' || datname AS what FROM pg_database WHERE datname = current_database() AND pg_has_role($1::name, datdba, 'MEMBER')
     UNION ALL SELECT 'schema public' FROM pg_namespace WHERE nspname = 'public' AND pg_has_role($1::name, nspowner, 'MEMBER')
     UNION ALL SELECT 'relation ' || relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND pg_has_role($1::name, relowner, 'MEMBER')
     UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND pg_has_role($1::name, proowner, 'MEMBER')`,
      [role.name],
    )
  ).rows.map((r) => r.what);
  if (owned.length) throw new Error(`the runtime role ${role.name} owns (or is a member of the owner of) ${owned.join(', ')}: the owner must be another role`);

  const tables = (
    await client.query<{ name: string }>(
      "SELECT relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') ORDER BY relname",
    )
  ).rows.map((r) => r.name);
  const undeclared = tables.filter((t) => !Object.hasOwn(runtimePrivileges, t));
  if (undeclared.length) throw new Error(`no runtime privileges declared for table(s) ${undeclared.join(', ')}: add them to runtimePrivileges in db/roles.ts`);
  const missing = Object.keys(runtimePrivileges).filter((t) => !tables.includes(t));
  if (missing.length) throw new Error(`runtimePrivileges in db/roles.ts names table(s) the database does not have: ${missing.join(', ')}`);

  const database = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
  await client.query(`GRANT CONNECT ON DATABASE ${pg.escapeIdentifier(database)} TO ${id}`);
  await client.query(`GRANT USAGE ON SCHEMA public TO ${id}`);
  // No objects of its own: PostgreSQL before 15 lets PUBLIC create in the public schema.
  await client.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC, ${id}`);
  await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${id}`);
  await client.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${id}`);
  for (const table of tables) {
    const privileges = runtimePrivileges[table]!;
    if (privileges.length) await client.query(`GRANT ${privileges.join(', ')} ON TABLE ${pg.escapeIdentifier(table)} TO ${id}`);
  }
  const sequences = (
    await client.query<{ seq: string; tbl: string }>(
      `SELECT s.relname AS seq, t.relname AS tbl FROM pg_class s
     JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
     JOIN pg_class t ON t.oid = d.refobjid
     WHERE s.relkind = 'S' AND s.relnamespace = 'public'::regnamespace`,
    )
  ).rows;
  for (const { seq, tbl } of sequences) {
    if (runtimePrivileges[tbl]?.includes('INSERT')) await client.query(`GRANT USAGE ON SEQUENCE ${pg.escapeIdentifier(seq)} TO ${id}`);
  }
}
