#!/usr/bin/env bash
# Mail certificate sync: gives Postfix and Dovecot the certificate Caddy obtained for the mail
# host name. Copies certificate and key from Caddy's storage into the TLS folder both daemons
# read, switching to the new pair in one atomic step, and reloads both daemons only when the
# pair changed (no restart: open IMAP and SMTP sessions are not cut).
# Before Caddy's first certificate exists it installs a temporary self-signed one, so Postfix and
# Dovecot can start on a new server; the next run after issuance switches to the real one.
# Runs on the VM from a systemd timer every few minutes, and from the local stack and its tests.
# It never talks to the ACME CA and never touches Caddy's files.
#
# Environment (defaults are the production VM's host paths):
#   MAIL_HOST       mail host name (required), e.g. mail.example.com
#   CADDY_DATA      Caddy's storage root on this host           [/srv/mail/caddy]
#   CADDY_ISSUER    issuer folder under certificates/          [acme-v02.api.letsencrypt.org-directory]
#   TLS_CERT        certificate chain the daemons read         [/srv/mail/tls/fullchain.pem]
#   TLS_KEY         private key the daemons read (same folder) [/srv/mail/tls/privkey.pem]
#   RELOAD_POSTFIX  command that reloads Postfix               [docker exec postfix postfix reload]
#   RELOAD_DOVECOT  command that reloads Dovecot               [docker exec dovecot doveadm reload]
#   SELF_SIGNED_DAYS  lifetime of the temporary certificate    [30]
# Exit status: 0 when the daemons use the newest certificate available (or the temporary one),
# 1 when copying or a reload failed (the message says which).
set -euo pipefail

: "${MAIL_HOST:?set MAIL_HOST to the mail host name, e.g. mail.example.com}"
CADDY_DATA="${CADDY_DATA:-/srv/mail/caddy}"
CADDY_ISSUER="${CADDY_ISSUER:-acme-v02.api.letsencrypt.org-directory}"
TLS_CERT="${TLS_CERT:-/srv/mail/tls/fullchain.pem}"
TLS_KEY="${TLS_KEY:-/srv/mail/tls/privkey.pem}"
RELOAD_POSTFIX="${RELOAD_POSTFIX:-docker exec postfix postfix reload}"
RELOAD_DOVECOT="${RELOAD_DOVECOT:-docker exec dovecot doveadm reload}"
SELF_SIGNED_DAYS="${SELF_SIGNED_DAYS:-30}"

say() { printf 'sync-certs: %s\n' "$*"; }
fail() { printf 'sync-certs: ERROR: %s\n' "$*" >&2; exit 1; }

tls_dir="$(dirname "$TLS_CERT")"
[ "$(dirname "$TLS_KEY")" = "$tls_dir" ] || fail "TLS_CERT and TLS_KEY must be in the same folder (got $TLS_CERT and $TLS_KEY)"
cert_name="$(basename "$TLS_CERT")"
key_name="$(basename "$TLS_KEY")"
source_dir="$CADDY_DATA/certificates/$CADDY_ISSUER/$MAIL_HOST"
source_cert="$source_dir/$MAIL_HOST.crt"
source_key="$source_dir/$MAIL_HOST.key"

umask 077
mkdir -p "$tls_dir/sets"

# The daemons read $tls_dir/<name>, a symlink into $tls_dir/current, itself a symlink to one
# folder under sets/. Renaming `current` swaps certificate and key together, so a daemon never
# reads a new certificate with the old key.
install_pair() { # <cert file> <key file> <what>
  local set_name set_dir
  set_name="$(date -u +%Y%m%dT%H%M%SZ).$$"
  set_dir="$tls_dir/sets/$set_name"
  mkdir "$set_dir"
  cp "$1" "$set_dir/$cert_name"
  cp "$2" "$set_dir/$key_name"
  chmod 0644 "$set_dir/$cert_name"
  chmod 0600 "$set_dir/$key_name"
  ln -sfn "sets/$set_name" "$tls_dir/current.new"
  mv -Tf "$tls_dir/current.new" "$tls_dir/current"
  for name in "$cert_name" "$key_name"; do
    if [ "$(readlink "$tls_dir/$name" 2>/dev/null || true)" != "current/$name" ]; then
      ln -sfn "current/$name" "$tls_dir/$name.new"
      mv -Tf "$tls_dir/$name.new" "$tls_dir/$name"
    fi
  done
  # Keep the previous set for inspection; older ones go.
  find "$tls_dir/sets" -mindepth 1 -maxdepth 1 -type d ! -name "$set_name" -printf '%T@ %p\n' |
    sort -rn | tail -n +2 | cut -d' ' -f2- | while IFS= read -r old; do rm -rf -- "$old"; done
  say "installed $3 for $MAIL_HOST ($(openssl x509 -in "$1" -noout -serial -enddate | tr '\n' ' '))"
}

public_key_of_cert() { openssl x509 -in "$1" -noout -pubkey; }
public_key_of_key() { openssl pkey -in "$1" -pubout; }

# A failed reload is retried on the next run even when the files no longer change.
pending="$tls_dir/reload-pending"

reload_daemons() {
  local failed=0
  touch "$pending"
  # Dovecot first: its reload drops the SASL connections that idle smtpd processes hold, and
  # Postfix's reload then replaces those processes, so no client gets a 454 "Connection lost to
  # authentication server" on its next AUTH.
  sh -c "$RELOAD_DOVECOT" || { printf 'sync-certs: ERROR: Dovecot reload failed: %s\n' "$RELOAD_DOVECOT" >&2; failed=1; }
  sh -c "$RELOAD_POSTFIX" || { printf 'sync-certs: ERROR: Postfix reload failed: %s\n' "$RELOAD_POSTFIX" >&2; failed=1; }
  [ "$failed" -eq 0 ] || exit 1
  rm -f "$pending"
  say "reloaded Dovecot and Postfix"
}

if [ ! -s "$source_cert" ] || [ ! -s "$source_key" ]; then
  if [ -s "$TLS_CERT" ] && [ -s "$TLS_KEY" ]; then
    say "no certificate from Caddy yet at $source_dir; Postfix and Dovecot keep the current one" \
      "($(openssl x509 -in "$TLS_CERT" -noout -issuer)). If this lasts, check Caddy's log for ACME errors" \
      "(DNS of $MAIL_HOST, port 80 reachable, CAA)."
    exit 0
  fi
  tmp="$(mktemp -d)"
  trap 'rm -rf -- "$tmp"' EXIT
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$SELF_SIGNED_DAYS" \
    -subj "/CN=$MAIL_HOST" -addext "subjectAltName=DNS:$MAIL_HOST" \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null || fail "could not create a temporary self-signed certificate"
  install_pair "$tmp/cert.pem" "$tmp/key.pem" "a TEMPORARY SELF-SIGNED certificate (Caddy has not issued one yet)"
  # First boot: the daemons start after this and read it themselves; nothing to reload.
  exit 0
fi

if [ -s "$TLS_CERT" ] && [ -s "$TLS_KEY" ] && cmp -s "$source_cert" "$TLS_CERT" && cmp -s "$source_key" "$TLS_KEY"; then
  [ ! -e "$pending" ] || reload_daemons
  exit 0
fi

# Caddy writes certificate and key one after the other: never install a mismatched pair.
[ "$(public_key_of_cert "$source_cert")" = "$(public_key_of_key "$source_key")" ] ||
  fail "certificate and key in $source_dir do not match (Caddy may be writing them); retrying on the next run"

install_pair "$source_cert" "$source_key" "Caddy's certificate"
reload_daemons
