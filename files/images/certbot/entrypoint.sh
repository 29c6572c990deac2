#!/bin/sh
# Keeps every certificate of the stack issued and renewed with certbot (HTTP-01 through nginx's
# webroot), for as long as the container runs. Reads /config/cli.ini (certbot's own settings: ACME
# directory, contact, webroot, key type) and /config/mailstack.conf (the certificates, the web
# front to probe, locally the test CA). It never touches the TLS folder the daemons read: the
# certificate hook on the host installs what certbot wrote under /etc/letsencrypt/live/<name>/.
#   (no argument)  the loop below
#   check          parse both files and let certbot read cli.ini; no ACME request
#
# Each pass runs `certbot certonly --keep-until-expiring --expand` for every listed certificate:
# certbot obtains one that is missing, renews one that is due (its renewal rule, 30 days before
# expiry), re-issues one whose names changed, and otherwise asks the CA for nothing. That is
# `certbot renew` restricted to the certificates the stack still lists (a plain `renew` would
# also keep renewing the certificate of a domain removed from the config, whose DNS is gone).
# Once every certificate exists (and none expires within 14 days), /run/mailstack-certbot-ok
# marks the container healthy.
#
# When: a pass at start, then twice a day (12 h, plus up to 1 h of random delay so servers do not
# all ask at the same minute). After a failed pass (DNS not pointing here yet on a first deploy,
# port 80 blocked, CA down), the next one comes after 15 min, then 30 min, 1 h, 2 h, 4 h and at
# most 6 h, plus up to a fifth of random delay. Let's Encrypt allows 5 failed validations per name
# per hour and pauses a name after a long run of consecutive failures (about 1,150); this
# schedule makes at most 3 attempts in the first hour and at most 4 a day once it reaches 6 h.
# ref: https://letsencrypt.org/docs/rate-limits/
# Before any ACME request, a probe file in the webroot must come back from nginx over the service
# network: until the web front answers, nothing is asked of the CA, so a slow first start never
# costs a failed validation.
set -eu

conf_dir="${CONFIG_DIR:-/config}"
cli_ini="$conf_dir/cli.ini"
stack_conf="$conf_dir/mailstack.conf"
ok_file="${OK_FILE:-/run/mailstack-certbot-ok}"
# Test hooks only (the defaults are the production schedule, in seconds).
first_retry="${RETRY_FIRST_SECONDS:-900}"
max_retry="${RETRY_MAX_SECONDS:-21600}"
pass_interval="${PASS_INTERVAL_SECONDS:-43200}"

say() { printf 'certbot-loop: %s\n' "$*"; }
fail() { printf 'certbot-loop: ERROR: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------------------- configuration ---
setting() { # <key>: a value from cli.ini ("key = value")
  sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$cli_ini" | tail -n 1
}

webroot_url=""
test_tls=""
test_root=""
certificates=""
read_config() {
  [ -r "$cli_ini" ] || fail "$cli_ini is missing"
  [ -r "$stack_conf" ] || fail "$stack_conf is missing"
  n=0
  while read -r kind a b rest || [ -n "$kind" ]; do
    n=$((n + 1))
    case "$kind" in
      "" | "#"*) ;;
      webroot-url) webroot_url="$a" ;;
      test-ca) test_tls="$a" test_root="$b" ;;
      certificate)
        # Names and certificate names are DNS-like and lower case; anything else is refused
        # rather than passed to certbot or used as a path.
        for word in "$a" $b $rest; do
          printf '%s' "$word" | grep -Eq '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$' || fail "$stack_conf line $n: \"$word\" is not a certificate or DNS name"
        done
        [ -n "$b" ] || fail "$stack_conf line $n: certificate $a has no DNS names"
        certificates="$certificates$a $b $rest
"
        ;;
      *) fail "$stack_conf line $n: unknown directive \"$kind\"" ;;
    esac
  done < "$stack_conf"
  [ -n "$certificates" ] || fail "$stack_conf lists no certificate"
  [ -n "$webroot_url" ] || fail "$stack_conf has no webroot-url"
  server="$(setting server)"
  [ -n "$server" ] || fail "$cli_ini sets no server (ACME directory)"
  # Never a staging or test certificate on a real server: only a stack that names its test CA
  # (the local stack) may use a directory other than a production one.
  if [ -z "$test_root" ]; then
    case "$server" in
      *staging* | *pebble* | http://*) fail "$cli_ini points at a test CA ($server) but mailstack.conf names no test-ca" ;;
    esac
  fi
  webroot="$(setting webroot-path)"
  letsencrypt="$(setting config-dir)"
  letsencrypt="${letsencrypt:-/etc/letsencrypt}"
}

# -------------------------------------------------------------------------- test CA only ---
# Pebble forgets its accounts and makes a new root at every start: certificates and the account
# certbot kept from an earlier run are useless with the new one. When the published root differs
# from the one last used, certbot's state is discarded and everything is issued again. Never
# without a test-ca line, so never on a production server.
use_test_ca() {
  [ -n "$test_root" ] || return 0
  waited=0
  until [ -s "$test_tls" ] && [ -s "$test_root" ]; do
    [ $((waited % 30)) -ne 0 ] || say "waiting for the test CA to publish $test_tls and $test_root"
    sleep 1
    waited=$((waited + 1))
  done
  export REQUESTS_CA_BUNDLE="$test_tls"
  now="$(sha256sum < "$test_root" | cut -d' ' -f1)"
  marker="$letsencrypt/mailstack-test-root.sha256"
  if [ "$(cat "$marker" 2>/dev/null || true)" != "$now" ]; then
    say "new test CA root ($now): discarding certbot's accounts and certificates from an earlier test CA"
    rm -rf "$letsencrypt/accounts" "$letsencrypt/archive" "$letsencrypt/live" "$letsencrypt/renewal"
    mkdir -p "$letsencrypt"
    printf '%s\n' "$now" > "$marker"
  fi
}

# ------------------------------------------------------------------ web front reachable ---
# Writes a probe into the webroot and reads it back through nginx (python3 comes with certbot).
webroot_serves() {
  dir="$webroot/.well-known/acme-challenge"
  mkdir -p "$dir"
  token="mailstack-probe-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s' "$token" > "$dir/$token"
  chmod 0644 "$dir/$token"
  got="$(python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end="")' "$webroot_url$token" 2>/dev/null || true)"
  rm -f "$dir/$token"
  [ "$got" = "$token" ]
}

wait_for_web_front() {
  waited=0
  until webroot_serves; do
    [ $((waited % 60)) -ne 0 ] || say "waiting for nginx to serve the webroot at $webroot_url (no ACME request until it does)"
    sleep 5
    waited=$((waited + 5))
  done
}

# ------------------------------------------------------------------------------- a pass ---
pass() { # returns non-zero when any certificate could not be obtained or renewed
  failed=0
  while read -r name names; do
    [ -n "$name" ] || continue
    set --
    for d in $names; do set -- "$@" -d "$d"; done
    if ! certbot certonly --config "$cli_ini" --cert-name "$name" "$@"; then
      printf 'certbot-loop: ERROR: certificate %s (%s) failed; see certbot'"'"'s message above\n' "$name" "$names" >&2
      failed=1
    fi
  done <<EOF
$certificates
EOF
  return "$failed"
}

# Healthy means every certificate exists and none expires within 14 days. Renewal starts 30
# days ahead, so 16 days of failed renewals turn the container unhealthy while the certificates
# still work: the signal an operator gets now that Let's Encrypt mails no expiry warnings.
all_current() {
  while read -r name _; do
    [ -n "$name" ] || continue
    cert="$letsencrypt/live/$name/cert.pem"
    [ -s "$cert" ] || return 1
    openssl x509 -in "$cert" -noout -checkend 1209600 >/dev/null || return 1
  done <<EOF
$certificates
EOF
}

random_below() { # <n>: 0..n-1
  r="$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')"
  echo $((r % $1))
}

pause() { # <seconds>: interruptible by the container's stop signal
  sleep "$1" &
  wait $! || true
}

# ------------------------------------------------------------------------------- main ---
case "${1:-}" in
  check)
    read_config
    # certbot refuses a webroot that does not exist; a throwaway check container has none.
    mkdir -p "$webroot"
    certbot --config "$cli_ini" certificates >/dev/null
    say "$cli_ini and $stack_conf OK ($(printf '%s' "$certificates" | grep -c .) certificates, server $server)"
    exit 0
    ;;
  "") read_config ;;
  *) exec "$@" ;;
esac

# PID 1 ignores signals it has no handler for: stop promptly on the engine's SIGTERM.
trap 'exit 0' TERM INT
rm -f "$ok_file"
use_test_ca
failures=0
while :; do
  wait_for_web_front
  if pass; then
    failures=0
    delay=$((pass_interval + $(random_below $((pass_interval / 12 + 1)))))
  else
    failures=$((failures + 1))
    delay=$first_retry
    i=1
    while [ "$i" -lt "$failures" ] && [ "$delay" -lt "$max_retry" ]; do delay=$((delay * 2)); i=$((i + 1)); done
    [ "$delay" -le "$max_retry" ] || delay=$max_retry
    delay=$((delay + $(random_below $((delay / 5 + 1)))))
  fi
  if all_current; then
    touch "$ok_file"
  else
    rm -f "$ok_file"
  fi
  say "next pass in $((delay / 60)) min"
  pause "$delay"
done
