#!/usr/bin/env bash
# Alert check: the backup container's status file. The last successful backup must be younger
# than the schedule allows (maxAgeSeconds: the longest gap between scheduled runs plus
# alerts.backupGraceHours), and the last attempt must not have failed.
#   BACKUP_STATUS [/srv/mail/backup/status.json]
set -uo pipefail
STATUS="${BACKUP_STATUS:-/srv/mail/backup/status.json}"
if [ ! -f "$STATUS" ]; then
  started="${BACKUP_STATUS%/*}/.container-started"
  if [ -f "$started" ] && [ $(( $(date +%s) - $(cat "$started") )) -gt 129600 ]; then
    echo "ALERT backup-none no backup has run in the 36 h since the backup container started: docker logs backup"
    exit 1
  fi
  echo "OK backup-none no backup has run yet"
  exit 0
fi
field() { sed -n "s/.*\"$1\": *\"\{0,1\}\([^\",}]*\)\"\{0,1\}.*/\1/p" "$STATUS" | head -1; }
last=$(field lastSuccess)
max=$(field maxAgeSeconds)
err=$(sed -n 's/.*"lastError": *"\(.*\)",\{0,1\}$/\1/p' "$STATUS" | head -1)
status=0
if [ -z "$last" ] || [ "$last" = "null" ]; then
  echo "ALERT backup-age no backup has succeeded yet${err:+: $err}"
  exit 1
fi
age=$(( $(date +%s) - last ))
if [ -n "$max" ] && [ "$age" -gt "$max" ]; then
  echo "ALERT backup-age the last successful backup is $(( age / 3600 )) h old; the schedule allows $(( max / 3600 )) h (npm run backup -- status; docker logs backup)"
  status=1
else
  echo "OK backup-age the last successful backup is $(( age / 3600 )) h old"
fi
if [ -n "$err" ]; then echo "ALERT backup-failed the last backup attempt failed: $err"; status=1; fi
exit "$status"
