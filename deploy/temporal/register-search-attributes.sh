#!/bin/sh
# One-shot (docker-compose service temporal-search-attributes, temporalio/admin-tools image).
# Usage: register-search-attributes.sh Name=Type...   (the list of domain/search-attributes.ts)
# Waits until the Temporal frontend answers its health check, creates TEMPORAL_NAMESPACE if missing,
# then registers each custom search attribute. Idempotent: the CLI and the server accept an attribute
# that already exists with the same type, and fail if it exists with another type.
set -eu
ADDRESS=${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is not set}
NAMESPACE=${TEMPORAL_NAMESPACE:?TEMPORAL_NAMESPACE is not set}
RETENTION=${TEMPORAL_NAMESPACE_RETENTION:-720h}
[ "$#" -gt 0 ] || { echo "usage: $0 Name=Type..." >&2; exit 2; }

# retry <description> <command...>: up to ~2 minutes, for a server that is still starting and for
# the namespace cache (refreshed every 10 s) that has not seen a new namespace yet.
retry() {
  what=$1
  shift
  n=0
  until "$@"; do
    n=$((n + 1))
    if [ "$n" -ge 60 ]; then echo "giving up: $what" >&2; return 1; fi
    echo "waiting: $what (attempt $n)"
    sleep 2
  done
}

ensure_namespace() {
  temporal operator namespace describe --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1 && return 0
  temporal operator namespace create --address "$ADDRESS" --namespace "$NAMESPACE" --retention "$RETENTION" \
    --description "Integrated supervision matters"
}

retry "Temporal frontend at $ADDRESS" temporal operator cluster health --address "$ADDRESS"
retry "namespace $NAMESPACE" ensure_namespace

for pair in "$@"; do
  name=${pair%%=*}
  type=${pair#*=}
  retry "search attribute $name ($type)" temporal operator search-attribute create \
    --address "$ADDRESS" --namespace "$NAMESPACE" --name "$name" --type "$type"
done

temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE" || true
# New search attributes live in the namespace record; give the services' namespace caches (10 s
# refresh) time to see them before the api and worker start using them.
sleep "${SETTLE_SECONDS:-12}"
echo "namespace $NAMESPACE ready with $# custom search attributes"
