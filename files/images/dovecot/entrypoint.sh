#!/bin/sh
# Dovecot 2.4 in the foreground, as PID 1 (it reaps its own children and stops cleanly on the
# engine's SIGTERM), reading the rendered configuration where it is mounted: /config/dovecot.conf,
# read-only (/etc/dovecot/dovecot.conf links to it). Nothing is copied, so each file keeps the
# owner and mode the deploy gave it: the SQL connection root-only, the Rspamd controller password
# root:dovecot 0640. A config change replaces the container.
#   (no argument)  run Dovecot
#   check          validate the configuration with doveconf and exit with its status: non-zero,
#                  with doveconf's message naming the file and line, on any error or warning
set -eu

conf=/config/dovecot.conf

case "${1:-}" in
  check)
    # Only /config is mounted for a check (no volume, no certificate, no network): doveconf
    # parses every file and setting without opening what the settings point at.
    if ! err=$(doveconf -c "$conf" -n 2>&1 >/dev/null); then
      printf '%s\n' "$err" >&2
      echo "dovecot: $conf is not valid" >&2
      exit 1
    fi
    if [ -n "$err" ]; then
      # A warning (an obsolete or ambiguous setting) is a finding too: the file is ours.
      printf '%s\n' "$err" >&2
      echo "dovecot: $conf has warnings" >&2
      exit 1
    fi
    echo "dovecot: $conf OK"
    exit 0
    ;;
  "") ;;
  *)
    echo "usage: mailstack-entrypoint [check]" >&2
    exit 64
    ;;
esac

exec dovecot -F -c "$conf"
