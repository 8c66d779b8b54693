#!/bin/bash
# First start only (empty data volume): the postgres image runs this as the superuser.
# Creates one role per consumer so neither holds the superuser password:
#   temporal     CREATEDB: the temporal-schema job creates temporal and temporal_visibility
#   supervision  owns the application's database `supervision` and its tables: the migrate job
#                runs as this role; CREATEROLE so that it creates the runtime role `supervision_app`
#                (api and worker) and keeps its password (PostgreSQL 16: it may alter only the roles
#                it created, and grant none of SUPERUSER, REPLICATION, BYPASSRLS)
# Passwords come from the container environment (docker-compose.yml), never from this file.
# A data volume made before the runtime role: `ALTER ROLE supervision CREATEROLE;` once, as postgres.
set -euo pipefail
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is not set}"
: "${APP_DB_OWNER_PASSWORD:?APP_DB_OWNER_PASSWORD is not set}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-postgres}" \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" \
  -v owner_password="$APP_DB_OWNER_PASSWORD" <<'EOSQL'
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
CREATE ROLE supervision LOGIN CREATEROLE PASSWORD :'owner_password';
CREATE DATABASE supervision OWNER supervision;
REVOKE ALL ON DATABASE supervision FROM PUBLIC;
EOSQL
