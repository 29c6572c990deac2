#!/bin/sh
# fail2ban on the rendered configuration in /config (fail2ban.conf, jail.conf, filter.d,
# action.d, bans.nft), in the foreground.
#   (no argument)  create Dovecot's failed-login file if it is missing (owned by Dovecot's ids, so
#                  Dovecot can append to it), keep that file below 16 MiB (truncated in place every
#                  10 minutes when larger: Dovecot appends with O_APPEND, fail2ban notices the
#                  truncation and reads on from the start), and run fail2ban-server
#   check          parse the whole configuration (fail2ban-client --test) and exit with its status;
#                  where the watched file is not mounted, an empty one is made in the container
set -eu

conf=/config
log=$(awk -F' = ' '$1 == "logpath" { print $2; exit }' "$conf/jail.conf")

case "${1:-}" in
  check)
    # fail2ban's test wants the watched file to exist; a check container has only /config
    # mounted, so an empty stand-in is made inside it.
    [ -e "$log" ] || { mkdir -p "$(dirname "$log")"; : > "$log"; }
    if ! out=$(fail2ban-client -c "$conf" --test 2>&1); then
      printf '%s\n' "$out" >&2
      echo "fail2ban: $conf is not valid" >&2
      exit 1
    fi
    echo "fail2ban: $conf OK"
    exit 0
    ;;
  "") ;;
  *)
    echo "usage: mailstack-entrypoint [check]" >&2
    exit 64
    ;;
esac

if [ ! -e "$log" ]; then
  install -m 0640 -o "$DOVECOT_UID" -g "$DOVECOT_GID" /dev/null "$log"
fi
(
  while sleep 600; do
    if [ "$(stat -c %s "$log" 2>/dev/null || echo 0)" -gt 16777216 ]; then : > "$log"; fi
  done
) &
install -d -m 0755 /run/fail2ban
exec fail2ban-server -f -x -c "$conf"
