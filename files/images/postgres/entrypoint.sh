#!/bin/sh
# Starts PostgreSQL 17 on the cluster in $PGDATA (on the volume) with the rendered settings from
# /config. On first start it creates the cluster, with the superuser password from the rendered
# file (never an environment variable or argument). `check` only validates the rendered settings.
# Roles, databases and the mail schema are applied by the deploy (docker exec psql) every time.
set -eu

conf=/config/postgresql.conf

if [ "${1:-}" = "check" ]; then
  # postgres -C parses postgresql.conf and the hba file it names, and prints one setting.
  tmp=$(mktemp -d); chown postgres:postgres "$tmp"
  setpriv --reuid postgres --regid postgres --init-groups -- initdb -D "$tmp/data" -U postgres --auth=peer >/dev/null 2>&1
  setpriv --reuid postgres --regid postgres --init-groups -- postgres -D "$tmp/data" -c "config_file=$conf" -C port >/dev/null
  rm -rf "$tmp"
  echo "postgres: $conf OK"
  exit 0
fi

data="${PGDATA:?PGDATA must name the data folder}"
install -d -o postgres -g postgres -m 2775 /run/postgresql
if [ ! -s "$data/PG_VERSION" ]; then
  install -d -o postgres -g postgres -m 0700 "$data"
  setpriv --reuid postgres --regid postgres --init-groups -- \
    initdb -D "$data" -U postgres --pwfile=/config/superuser-password \
      --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
fi
# exec: postgres replaces this shell as PID 1 and gets the engine's stop signal itself:
# STOPSIGNAL SIGINT, a fast shutdown (open transactions roll back; nothing committed is lost).
exec setpriv --reuid postgres --regid postgres --init-groups -- postgres -D "$data" -c "config_file=$conf"
