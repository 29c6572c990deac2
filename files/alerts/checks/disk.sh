#!/usr/bin/env bash
# Alert check: disk usage of the mail volume and the root disk. Above DISK_PERCENT, grow the volume
# (mailstack:server.volumeSizeGb) before Postfix refuses mail for lack of space.
#   DISK_PATHS ["/srv/mail /"]  DISK_PERCENT [80]
set -uo pipefail
PATHS="${DISK_PATHS:-/srv/mail /}"
LIMIT="${DISK_PERCENT:-80}"
status=0
for p in $PATHS; do
  line=$(df -P "$p" 2>/dev/null | tail -1)
  if [ -z "$line" ]; then echo "ALERT disk-$p cannot read the disk usage of $p"; status=1; continue; fi
  used=$(printf '%s' "$line" | awk '{ sub(/%/, "", $5); print $5 }')
  key="disk-$(printf '%s' "$p" | tr '/' '_')"
  if [ "$used" -gt "$LIMIT" ]; then
    echo "ALERT $key $p is ${used}% full (alert above ${LIMIT}%): grow it (mailstack:server.volumeSizeGb for /srv/mail) or remove data"
    status=1
  else
    echo "OK $key $p is ${used}% full"
  fi
done
exit "$status"
