#!/usr/bin/env bash
# Alert check: the Postfix queue. More than QUEUE_MESSAGES messages, or one older than
# QUEUE_AGE_HOURS, means mail is not leaving (outbound port 25 blocked, the relay refusing, a
# destination down, or a spam run from a stolen password).
# Reads `postqueue -j` (one JSON object per message) inside the postfix container.
#   ENGINE [docker]  CONTAINER [postfix]  QUEUE_MESSAGES [100]  QUEUE_AGE_HOURS [6]
set -uo pipefail
ENGINE="${ENGINE:-docker}"
CONTAINER="${CONTAINER:-postfix}"
MAX="${QUEUE_MESSAGES:-100}"
AGE_H="${QUEUE_AGE_HOURS:-6}"
if ! out=$("$ENGINE" exec "$CONTAINER" postqueue -j 2>&1); then
  echo "ALERT queue-unreadable the Postfix queue cannot be read ($ENGINE exec $CONTAINER postqueue -j: $(printf '%s' "$out" | tail -1))"
  exit 1
fi
count=$(printf '%s\n' "$out" | grep -c '"queue_id"' || true)
oldest=$(printf '%s\n' "$out" | sed -n 's/.*"arrival_time": *\([0-9]*\).*/\1/p' | sort -n | head -1)
status=0
if [ "$count" -gt "$MAX" ]; then
  echo "ALERT queue-size $count messages in the Postfix queue (more than $MAX): docker exec postfix postqueue -p shows why"
  status=1
else
  echo "OK queue-size $count messages in the Postfix queue"
fi
if [ -n "$oldest" ]; then
  age=$(( ( $(date +%s) - oldest ) / 3600 ))
  if [ "$age" -ge "$AGE_H" ]; then
    echo "ALERT queue-age the oldest queued message is ${age} h old (alert from $AGE_H h): docker exec postfix postqueue -p shows why it is deferred"
    status=1
  else
    echo "OK queue-age the oldest queued message is ${age} h old"
  fi
fi
exit "$status"
