#!/usr/bin/env bash
# Restores a mail stack from its backup repository, on the host that runs the stack's containers:
# on the VM (npm run restore feeds it to `bash -s` over SSH) or on this machine for the local stack.
# The restic work happens in the backup container (mailstack-backup restore-files / merge-mail /
# restore-extras); this script stops and starts what must not run meanwhile and pipes the database
# dumps into PostgreSQL. Restored mail is merged: nothing that is in a mailbox now is removed or
# replaced, so a restore into a running server keeps the mail that arrived since the backup.
#
# Environment:
#   ENGINE     the engine CLI                                   [docker]
#   PREFIX     container name prefix (the local stack's)        [""]
#   SNAPSHOT   snapshot id, or latest                           [latest]
#   MAILBOX    one address: restore only its mail and Sieve scripts, with Dovecot running (its
#              sessions are closed first); empty: the whole stack
#   QUEUE      1: also put back the deferred and held Postfix queue (only into a server whose queue
#              is empty, such as a replaced one: otherwise mail could go out twice)
# Whole stack, in order: restic restore into /srv/mail/backup/restore; Postfix and Dovecot stopped
# (senders get no answer and retry; nothing is lost); maildirs and Sieve merged; DKIM keys,
# certbot's state and Rspamd's data put back where missing; each database replaced by its dump
# (pg_restore --clean, one transaction each); Valkey stopped, its RDB replaced, started; Dovecot
# and Postfix started; every mailbox resynchronised. The mailbox sync of the deploy must run after
# (the caller does it, or says how): it re-applies the stack's mailboxes and aliases to the
# restored database.
set -euo pipefail
ENGINE="${ENGINE:-docker}"
PREFIX="${PREFIX:-}"
SNAPSHOT="${SNAPSHOT:-latest}"
MAILBOX="${MAILBOX:-}"
QUEUE="${QUEUE:-0}"

c() { printf '%s%s' "$PREFIX" "$1"; }
say() { printf 'restore: %s\n' "$*"; }
in_backup() { "$ENGINE" exec "$(c backup)" mailstack-backup "$@"; }
started() { [ "$("$ENGINE" inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = "true" ]; }

"$ENGINE" inspect "$(c backup)" >/dev/null 2>&1 || { echo "restore: no $(c backup) container: is mailstack:backup set and deployed?" >&2; exit 1; }
t0=$(date +%s)
say "restoring snapshot $SNAPSHOT from the repository"
in_backup restore-files "$SNAPSHOT"

if [ -n "$MAILBOX" ]; then
  say "closing $MAILBOX's sessions; merging its mail and Sieve scripts"
  "$ENGINE" exec "$(c dovecot)" doveadm kick "$MAILBOX" >/dev/null 2>&1 || true
  in_backup merge-mail "$MAILBOX"
  "$ENGINE" exec "$(c dovecot)" doveadm force-resync -u "$MAILBOX" '*'
  in_backup cleanup
  say "done in $(( $(date +%s) - t0 ))s"
  exit 0
fi

restart=()
for svc in postfix dovecot; do
  if started "$(c "$svc")"; then "$ENGINE" stop -t 30 "$(c "$svc")" >/dev/null; restart+=("$svc"); fi
done
# Dovecot before Postfix (Postfix's SASL and LMTP go to Dovecot).
start_stopped() {
  local svc r
  for svc in dovecot postfix; do
    for r in "${restart[@]}"; do if [ "$r" = "$svc" ]; then "$ENGINE" start "$(c "$svc")" >/dev/null; fi; done
  done
}
# Started again whatever happens below: a failed restore must not leave the server refusing mail.
trap start_stopped EXIT
say "Postfix and Dovecot stopped; merging maildirs and Sieve scripts"
in_backup merge-mail
in_backup restore-extras

for db in mail roundcube; do
  say "database $db: replacing it with the backup's dump"
  "$ENGINE" exec "$(c backup)" cat "/volume/backup/restore/postgres/$db.dump" |
    "$ENGINE" exec -i -u postgres "$(c postgres)" pg_restore --dbname "$db" --clean --if-exists --single-transaction --exit-on-error
done

say "Valkey: loading the backup's snapshot (Rspamd's Bayes, fuzzy and reputation data)"
"$ENGINE" stop -t 30 "$(c valkey)" >/dev/null
"$ENGINE" exec "$(c backup)" sh -c 'install -o 240 -g 240 -m 0600 /volume/backup/restore/valkey/dump.rdb /volume/valkey/dump.rdb'
"$ENGINE" start "$(c valkey)" >/dev/null

if [ "$QUEUE" = 1 ]; then
  say "Postfix queue: putting back deferred and held mail"
  # shellcheck disable=SC2016 # expanded by the container's shell
  "$ENGINE" exec "$(c backup)" sh -c 'for d in deferred hold; do [ -d /volume/backup/restore/postfix-queue/$d ] && cp -an /volume/backup/restore/postfix-queue/$d/. /volume/postfix/spool/$d/; done; true'
fi

trap - EXIT
start_stopped
if [ "$QUEUE" = 1 ]; then "$ENGINE" exec "$(c postfix)" postsuper -s >/dev/null 2>&1 || true; fi
# Dovecot notices the added files by itself; a resync also rebuilds the index files the backup
# leaves out. Waits for Dovecot's socket to answer first.
for _ in $(seq 1 60); do "$ENGINE" exec "$(c dovecot)" doveadm user -u '*' >/dev/null 2>&1 && break; sleep 1; done
"$ENGINE" exec "$(c dovecot)" doveadm force-resync -A '*' || say "force-resync reported problems (see above); Dovecot resyncs on next access anyway"
in_backup cleanup
say "done in $(( $(date +%s) - t0 ))s; now re-run the deploy's mailbox sync"
