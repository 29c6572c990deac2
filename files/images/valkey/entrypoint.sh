#!/bin/sh
# Valkey with the rendered /config/valkey.conf, as the valkey user.
#   (no argument)  run valkey-server in the foreground
#   check          Valkey has no config checker: start it on the config with TCP off and
#                  persistence off (a socket in /tmp only) for two seconds. A rejected directive makes it exit at once
#                  with its own message (exit 1); still running after two seconds means accepted.
set -eu

conf=/config/valkey.conf
if [ "${1:-}" = "check" ]; then
  status=0
  timeout 2 valkey-server "$conf" --port 0 --unixsocket /tmp/check.sock --save "" --appendonly no --dir /tmp >/tmp/check.log 2>&1 || status=$?
  if [ "$status" -eq 124 ]; then echo "valkey: $conf OK"; exit 0; fi
  cat /tmp/check.log >&2
  exit 1
fi
exec valkey-server "$conf"
