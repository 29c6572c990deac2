#!/bin/bash
# mailstack-backup: restic backups of the mail volume, and what a restore needs inside the
# container. Configuration is the rendered /config (files/backup/backup.env plus secret files);
# the volume is mounted at /volume (one mount: hard links only work within one).
#   run              (default) the scheduler: a backup at every time of BACKUP_SCHEDULE (UTC); a
#                    run missed while the container was down is caught up at start
#   now              one backup now (waits for a running one to finish first)
#   status           the status file (JSON): last success, last attempt, last error, next run
#   health           exit 0 while the last success is younger than MAX_AGE_SECONDS (or, before
#                    the first backup, while the container is younger than that)
#   snapshots        restic's snapshot list (JSON)
#   restore-files S  restores snapshot S (an id or "latest") into /volume/backup/restore
#   merge-mail [ADDR]  merges the restored maildirs and Sieve scripts into the live folders (all,
#                    with Dovecot stopped, or one mailbox, with Dovecot running); never removes
#                    or replaces mail that is there now
#   restore-extras   puts back DKIM keys, certbot's state and Rspamd's data where the live
#                    volume has none (a replaced or emptied volume); keeps whatever is there
#   check            validates /config (the deploy runs it before installing new files)
# What a snapshot holds (paths inside it): vmail/ (maildirs, without Dovecot's index files),
# sieve/, postgres/<db>.dump (pg_dump, custom format), valkey/dump.rdb (Rspamd's Bayes, fuzzy,
# reputation), rspamd/ (its local data), dkim/ (the DKIM private keys), letsencrypt/ (certbot's
# account and certificates), postfix-queue/ (deferred and held mail).
set -euo pipefail

CONFIG=/config
VOLUME=/volume
WORK="$VOLUME/backup"
STAGE="$WORK/staging"
STATUS="$WORK/status.json"
export RESTIC_CACHE_DIR="$WORK/cache"
export RESTIC_PASSWORD_FILE="$CONFIG/restic-password"

say() { printf '%s mailstack-backup: %s\n' "$(date -u +%FT%TZ)" "$*"; }
die() { printf 'mailstack-backup: %s\n' "$*" >&2; exit 1; }

load_config() {
  [ -f "$CONFIG/backup.env" ] || die "no $CONFIG/backup.env: the deploy renders it (files/backup/backup.env)"
  # shellcheck disable=SC1091
  . "$CONFIG/backup.env"
  export RESTIC_REPOSITORY
  # shellcheck disable=SC1091
  [ -f "$CONFIG/s3.env" ] && { set -a; . "$CONFIG/s3.env"; set +a; }
  # shellcheck disable=SC1091
  [ -f "$CONFIG/rest.env" ] && { set -a; . "$CONFIG/rest.env"; set +a; }
  RESTIC_OPTS=()
  if [ -f "$CONFIG/sftp/id" ]; then
    RESTIC_OPTS+=(-o "sftp.args=-i $CONFIG/sftp/id -o UserKnownHostsFile=$CONFIG/sftp/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes")
  fi
  return 0
}

r() { restic "${RESTIC_OPTS[@]}" "$@"; }

json_escape() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr '\n\t' '  '; }

# Seconds until the next scheduled time (UTC); prints "<seconds> <epoch>".
next_run() {
  local now best=-1 t at
  now=$(date -u +%s)
  for t in $BACKUP_SCHEDULE; do
    at=$(date -u -d "today $t" +%s)
    [ "$at" -le "$now" ] && at=$(date -u -d "tomorrow $t" +%s)
    if [ "$best" -lt 0 ] || [ "$at" -lt "$best" ]; then best=$at; fi
  done
  echo "$((best - now)) $best"
}

field() { if [ -f "$STATUS" ]; then sed -n "s/.*\"$1\": *\"\{0,1\}\([^\",}]*\)\"\{0,1\}.*/\1/p" "$STATUS" | head -1; fi; }

write_status() { # attempt-epoch success-epoch error snapshot duration files bytes
  local next
  next=$(next_run | cut -d' ' -f2)
  mkdir -p "$WORK"
  cat > "$STATUS.tmp" <<JSON
{
  "repository": "$(json_escape "$RESTIC_REPOSITORY_SHOWN")",
  "schedule": "$BACKUP_SCHEDULE",
  "maxAgeSeconds": $MAX_AGE_SECONDS,
  "lastAttempt": $1,
  "lastSuccess": ${2:-null},
  "lastError": $( [ -n "$3" ] && printf '"%s"' "$(json_escape "$3")" || echo null ),
  "snapshot": $( [ -n "$4" ] && printf '"%s"' "$4" || echo null ),
  "durationSeconds": ${5:-null},
  "files": ${6:-null},
  "addedBytes": ${7:-null},
  "nextRun": $next
}
JSON
  mv -f "$STATUS.tmp" "$STATUS"
}

# Every step checks its own status: bash ignores `set -e` inside a function called from an `if`.
stage() {
  rm -rf "$STAGE"
  mkdir -p "$STAGE/postgres" "$STAGE/valkey"
  # PostgreSQL: one consistent dump per database (pg_dump reads in one transaction), as the
  # read-only role mailbackup (pg_read_all_data) over the service network.
  local db pgpass="$WORK/.pgpass"
  umask 077
  printf '%s:%s:*:%s:%s\n' "$PG_HOST" "$PG_PORT" "$PG_USER" "$(cat "$CONFIG/db-password")" > "$pgpass"
  for db in $PG_DATABASES; do
    PGPASSFILE="$pgpass" pg_dump --host "$PG_HOST" --port "$PG_PORT" --username "$PG_USER" --no-password \
      --format custom --file "$STAGE/postgres/$db.dump" "$db" || { rm -f "$pgpass"; echo "pg_dump of $db failed"; return 1; }
  done
  rm -f "$pgpass"
  # Valkey: a fresh RDB snapshot streamed from the server (what a replica would load).
  # The password through the environment, never the command line (valkey-cli reads both names).
  REDISCLI_AUTH=$(cat "$CONFIG/valkey-password") VALKEYCLI_AUTH=$(cat "$CONFIG/valkey-password") \
    valkey-cli -h "$VALKEY_HOST" -p "$VALKEY_PORT" --rdb "$STAGE/valkey/dump.rdb" >/dev/null || { echo "valkey-cli --rdb failed"; return 1; }
  umask 022
  /usr/local/lib/mailstack/snapshot-maildirs.sh "$VOLUME/vmail" "$STAGE/vmail" || { echo "the maildir snapshot is incomplete"; return 1; }
  local d
  for d in sieve rspamd letsencrypt; do
    if [ -d "$VOLUME/$d" ]; then cp -a "$VOLUME/$d" "$STAGE/$d" || { echo "copying $d failed"; return 1; }; fi
  done
  if [ -d "$VOLUME/config/rspamd/dkim" ]; then cp -a "$VOLUME/config/rspamd/dkim" "$STAGE/dkim" || { echo "copying the DKIM keys failed"; return 1; }; fi
  mkdir -p "$STAGE/postfix-queue"
  for d in deferred hold; do
    if [ -d "$VOLUME/postfix/spool/$d" ]; then cp -al "$VOLUME/postfix/spool/$d" "$STAGE/postfix-queue/$d" 2>/dev/null || true; fi
  done
}

backup_now() {
  load_config
  mkdir -p "$WORK" "$RESTIC_CACHE_DIR"
  exec 8>"$WORK/.lock"
  flock 8
  local started ended last_success out snap files bytes err=""
  started=$(date -u +%s)
  last_success=$(field lastSuccess); [ "$last_success" = "null" ] && last_success=""
  say "backup of $HOST_TAG to $RESTIC_REPOSITORY_SHOWN"
  if ! r cat config >/dev/null 2>&1; then
    say "no repository there yet: initialising it"
    r init >/dev/null || err="restic init failed"
  fi
  if [ -z "$err" ] && ! stage_out=$(stage 2>&1); then err="staging failed: $(printf '%s' "$stage_out" | tail -3)"; fi
  if [ -z "$err" ]; then
    # --ignore-inode/--ignore-ctime: the staging tree is rebuilt from hard links and copies on
    # every run; a file whose size and mtime match the last snapshot is not read again.
    if out=$(cd "$STAGE" && r backup --json --quiet --host "$HOST_TAG" --tag mailstack --ignore-inode --ignore-ctime \
        --exclude 'dovecot.index*' --exclude 'dovecot.list.index*' --exclude '.dovecot.lda-dupes*' --exclude 'dovecot.mailbox.log*' \
        --exclude '/volume/backup/staging/rspamd/*.hs*' --exclude '/volume/backup/staging/rspamd/*.unser' . 2>&1); then
      snap=$(printf '%s' "$out" | sed -n 's/.*"snapshot_id":"\([0-9a-f]*\)".*/\1/p' | tail -1)
      files=$(printf '%s' "$out" | sed -n 's/.*"total_files_processed":\([0-9]*\).*/\1/p' | tail -1)
      bytes=$(printf '%s' "$out" | sed -n 's/.*"data_added":\([0-9]*\).*/\1/p' | tail -1)
    else
      err="restic backup failed: $(printf '%s' "$out" | tail -3)"
    fi
  fi
  if [ -z "$err" ]; then
    if ! out=$(r forget --host "$HOST_TAG" --tag mailstack --keep-daily "$KEEP_DAILY" --keep-weekly "$KEEP_WEEKLY" --keep-monthly "$KEEP_MONTHLY" --prune 2>&1); then
      err="restic forget/prune failed: $(printf '%s' "$out" | tail -3)"
    fi
  fi
  # (Rspamd's *.hs* and *.unser files are compiled Hyperscan caches: rebuilt at start, and large.)
  # Sundays: restic reads the repository's structure back (not all data: that is a restore drill).
  if [ -z "$err" ] && [ "$(date -u +%u)" = 7 ] && ! out=$(r check 2>&1); then err="restic check failed: $(printf '%s' "$out" | tail -3)"; fi
  rm -rf "$STAGE"
  ended=$(date -u +%s)
  if [ -z "$err" ]; then
    write_status "$started" "$ended" "" "$snap" "$((ended - started))" "${files:-0}" "${bytes:-0}"
    say "snapshot ${snap:0:8} of ${files:-?} files, ${bytes:-?} bytes added, in $((ended - started))s"
  else
    write_status "$started" "$last_success" "$err" "" "$((ended - started))" "" ""
    say "FAILED: $err"
    return 1
  fi
}

scheduler() {
  # PID 1: bash ignores SIGTERM unless it is trapped, and the engine would wait for SIGKILL.
  trap 'say "stopping"; exit 0' TERM INT
  load_config
  mkdir -p "$WORK"
  date -u +%s > "$WORK/.container-started"
  say "schedule: $BACKUP_SCHEDULE (UTC); repository $RESTIC_REPOSITORY_SHOWN"
  # A run missed while the container was down (the server was off at the scheduled time) is
  # caught up now, like systemd's Persistent=true. A first start waits for the schedule.
  local last
  last=$(field lastSuccess)
  if [ -n "$last" ] && [ "$last" != "null" ] && [ $(( $(date -u +%s) - last )) -gt "$GAP_SECONDS" ]; then
    backup_now || true
  fi
  while true; do
    read -r wait _ < <(next_run)
    # A SIGTERM during the sleep stops the container at once.
    sleep "$wait" & wait $!
    backup_now || true
  done
}

health() {
  load_config
  local now last started
  now=$(date -u +%s)
  last=$(field lastSuccess)
  if [ -n "$last" ] && [ "$last" != "null" ]; then
    [ $((now - last)) -le "$MAX_AGE_SECONDS" ] || { echo "last successful backup $(( (now - last) / 3600 )) h ago"; exit 1; }
    exit 0
  fi
  started=$(cat "$WORK/.container-started" 2>/dev/null || echo "$now")
  [ $((now - started)) -le "$MAX_AGE_SECONDS" ] || { echo "no successful backup since the container started"; exit 1; }
}

restore_files() {
  load_config
  local snap=${1:-latest}
  [[ "$snap" =~ ^(latest|[0-9a-f]{8,64})$ ]] || die "snapshot must be latest or a snapshot id, not $snap"
  rm -rf "$WORK/restore"
  mkdir -p "$WORK/restore"
  # A snapshot's root is the staging folder's content (it is backed up as "." from inside it).
  r restore "$snap" --host "$HOST_TAG" --target "$WORK/restore" >/dev/null
  say "snapshot $snap restored into $WORK/restore"
}

merge_mail() {
  local addr=${1:-} rel=""
  if [ -n "$addr" ]; then
    [[ "$addr" =~ ^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$ ]] || die "not a mail address: $addr"
    rel="/${addr#*@}/${addr%@*}"
    [ -d "$WORK/restore/vmail$rel" ] || die "the snapshot has no mailbox $addr (vmail$rel)"
  fi
  /usr/local/lib/mailstack/merge-maildirs.sh "$WORK/restore/vmail$rel" "$VOLUME/vmail$rel" "$([ -n "$addr" ] && echo online || echo offline)"
  if [ -d "$WORK/restore/sieve$rel" ]; then
    mkdir -p "$VOLUME/sieve$rel"
    # Sieve scripts: only those the live side lacks (a user's newer script wins).
    cp -an "$WORK/restore/sieve$rel/." "$VOLUME/sieve$rel/"
    say "Sieve scripts restored where missing${addr:+ for $addr}"
  fi
}

restore_extras() {
  local src="$WORK/restore"
  if [ -d "$src/dkim" ]; then
    mkdir -p "$VOLUME/config/rspamd/dkim"
    for k in "$src"/dkim/*; do
      [ -e "$k" ] || continue
      live="$VOLUME/config/rspamd/dkim/${k##*/}"
      if [ ! -e "$live" ]; then cp -a "$k" "$live"; say "DKIM key ${k##*/} restored"
      elif ! cmp -s "$k" "$live"; then say "DKIM key ${k##*/}: the live key differs from the backup's; kept the live one (it is the one Pulumi published in DNS)"; fi
    done
  fi
  if [ -d "$src/letsencrypt" ] && [ ! -d "$VOLUME/letsencrypt/accounts" ]; then
    mkdir -p "$VOLUME/letsencrypt"; cp -a "$src/letsencrypt/." "$VOLUME/letsencrypt/"; say "certbot's account and certificates restored"
  fi
  if [ -d "$src/rspamd" ]; then mkdir -p "$VOLUME/rspamd"; cp -an "$src/rspamd/." "$VOLUME/rspamd/"; fi
}

case "${1:-run}" in
  run) scheduler ;;
  now) backup_now ;;
  status) cat "$STATUS" 2>/dev/null || echo '{"lastSuccess": null, "lastError": "no backup has run yet"}' ;;
  health) health ;;
  snapshots) load_config; r snapshots --json --host "$HOST_TAG" ;;
  restore-files) restore_files "${2:-latest}" ;;
  merge-mail) merge_mail "${2:-}" ;;
  restore-extras) restore_extras ;;
  cleanup) rm -rf "$WORK/restore" ;;
  check)
    load_config
    for v in RESTIC_REPOSITORY BACKUP_SCHEDULE KEEP_DAILY KEEP_WEEKLY KEEP_MONTHLY MAX_AGE_SECONDS GAP_SECONDS HOST_TAG PG_HOST PG_PORT PG_USER PG_DATABASES VALKEY_HOST VALKEY_PORT; do
      [ -n "${!v:-}" ] || die "$CONFIG/backup.env does not set $v"
    done
    for t in $BACKUP_SCHEDULE; do date -u -d "today $t" +%s >/dev/null 2>&1 || die "BACKUP_SCHEDULE: $t is not a time of day"; done
    [ -s "$CONFIG/restic-password" ] || die "$CONFIG/restic-password is missing or empty"
    [ -s "$CONFIG/db-password" ] || die "$CONFIG/db-password is missing or empty"
    if [ -f "$CONFIG/sftp/id" ]; then [ -s "$CONFIG/sftp/known_hosts" ] || die "an SFTP key without $CONFIG/sftp/known_hosts"; fi
    echo "backup: $CONFIG OK ($(restic version | cut -d' ' -f1-2))"
    ;;
  *) die "unknown command $1 (run, now, status, health, snapshots, restore-files, merge-mail, restore-extras, cleanup, check)" ;;
esac
