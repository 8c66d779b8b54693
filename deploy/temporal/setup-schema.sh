#!/bin/sh
# One-shot (docker-compose service temporal-schema, temporalio/admin-tools image): creates Temporal's
# persistence and visibility databases if missing and brings both schemas up to the versions this
# image ships. The local cluster (scripts/cluster.ts) runs it too, with the tool and schemas of the
# server it built. Safe to re-run on every `docker compose up`: `setup-schema -v 0.0` leaves an
# already versioned database alone and `update-schema` applies only newer versions.
# The password is read by temporal-sql-tool from SQL_PASSWORD (never on the command line).
set -eu
: "${SQL_PASSWORD:?SQL_PASSWORD is not set}"
PLUGIN=${SQL_PLUGIN:-postgres12}
HOST=${SQL_HOST:-postgresql}
PORT=${SQL_PORT:-5432}
DB_USER=${SQL_USER:-temporal}
SCHEMA_DIR=${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}

sql() { temporal-sql-tool --plugin "$PLUGIN" --ep "$HOST" -p "$PORT" -u "$DB_USER" "$@"; }

# Without nc (the local cluster, scripts/cluster.ts, starts it after PostgreSQL is ready) this wait is skipped.
tries=0
while command -v nc >/dev/null 2>&1 && ! nc -z "$HOST" "$PORT"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then echo "PostgreSQL at $HOST:$PORT not reachable" >&2; exit 1; fi
  sleep 2
done

for pair in "${TEMPORAL_DB:-temporal}:temporal" "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}:visibility"; do
  db=${pair%%:*}
  schema=${pair#*:}
  echo "== $db ($schema schema)"
  # Fails when the database exists already; a real problem shows up in the next two steps.
  sql --db "$db" create || echo "$db: not created (it probably exists already)"
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$SCHEMA_DIR/$schema/versioned"
done
echo "Temporal schemas are up to date"
