/**
 * `npm run migrate`, and the `migrate` job of docker-compose.yml: applies the migrations as the
 * owner role (DATABASE_OWNER_URL) and makes sure the runtime role the API and the worker connect
 * as (DATABASE_URL's user) exists with exactly the privileges of db/roles.ts. Without
 * DATABASE_OWNER_URL, DATABASE_URL's role migrates alone. Exits 0 when the database is current.
 */
import { migrateDatabase } from '../db/migrate.js';
import { runtimePrivileges } from '../db/roles.js';
import { ConfigError, loadConfig } from '../domain/config.js';

async function main() {
  const config = loadConfig(process.env);
  if (!config.DATABASE_URL) throw new ConfigError(["DATABASE_URL: required (the runtime role's connection)"]);
  const applied = await migrateDatabase({ ...config, DATABASE_URL: config.DATABASE_URL });
  process.stdout.write(applied.length ? `migrate: applied ${applied.join(', ')}\n` : 'migrate: the database is up to date\n');
  if (config.DATABASE_OWNER_URL) {
    const role = decodeURIComponent(new URL(config.DATABASE_URL).username);
    process.stdout.write(`migrate: runtime role ${role}: ${runtimePrivileges.audit_log!.join(', ')} on audit_log; owns nothing\n`);
  } else {
    process.stdout.write("migrate: DATABASE_OWNER_URL is not set: DATABASE_URL's role owns the tables (one role)\n");
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`migrate: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
  process.exit(1);
});
