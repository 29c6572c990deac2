#!/usr/bin/env bash
# Certificate hook: installs the certificates certbot obtained into the TLS folder Postfix,
# Dovecot and nginx read (one sub-folder per certificate name, e.g. tls/mail/ and
# tls/web-example.com/), switching certificate and key together in one atomic step, and reloads
# only the daemons whose certificate changed, without a restart (open IMAP, SMTP and HTTPS
# sessions are not cut): Dovecot, then Postfix, when the mail host's certificate changed; nginx
# when any did. It refuses a certificate whose key does not match.
# For a name certbot has not issued yet it installs a temporary self-signed certificate, so the
# daemons can start on a new server; the first run after issuance switches to the real one.
# Runs on the VM from a systemd timer every 5 minutes, and on the local stack from its runner
# (with its own paths and reload commands). It never talks to the ACME CA and never writes into
# certbot's folder.
#
# Environment (defaults are the production VM's host paths and commands):
#   CERTIFICATES      required: space-separated <name>=<DNS name>[,<DNS name>...] entries, e.g.
#                     "mail=mail.example.com web-example.com=mta-sts.example.com,autoconfig.example.com"
#   LETSENCRYPT_DIR   certbot's /etc/letsencrypt on this host          [/srv/mail/letsencrypt]
#   TLS_DIR           the TLS folder the containers mount              [/srv/mail/tls]
#   MAIL_CERTIFICATE  the certificate Postfix and Dovecot present      [mail]
#   RELOAD_DOVECOT    command that reloads Dovecot                     [docker exec dovecot doveadm reload]
#   RELOAD_POSTFIX    command that reloads Postfix                     [docker exec postfix postfix reload]
#   RELOAD_NGINX      command that reloads nginx                       [docker kill --signal HUP nginx]
#   SELF_SIGNED_DAYS  lifetime of a temporary certificate              [30]
# Exit status: 0 when every daemon uses the newest certificate available (or a temporary one),
# 1 when a pair was refused or a reload failed (the message says which; the next run retries).
set -euo pipefail
# CERTIFICATES is split into words below; never into file names.
set -f

: "${CERTIFICATES:?set CERTIFICATES to <name>=<DNS name>[,...] entries, e.g. mail=mail.example.com}"
LETSENCRYPT_DIR="${LETSENCRYPT_DIR:-/srv/mail/letsencrypt}"
TLS_DIR="${TLS_DIR:-/srv/mail/tls}"
MAIL_CERTIFICATE="${MAIL_CERTIFICATE:-mail}"
RELOAD_DOVECOT="${RELOAD_DOVECOT:-docker exec dovecot doveadm reload}"
RELOAD_POSTFIX="${RELOAD_POSTFIX:-docker exec postfix postfix reload}"
# SIGHUP to nginx's master (the container's main process): re-read config and certificates,
# replace the workers gracefully.
RELOAD_NGINX="${RELOAD_NGINX:-docker kill --signal HUP nginx}"
SELF_SIGNED_DAYS="${SELF_SIGNED_DAYS:-30}"

say() { printf 'sync-certs: %s\n' "$*"; }
error() { printf 'sync-certs: ERROR: %s\n' "$*" >&2; }
fail() { error "$*"; exit 1; }

NAME_RE='^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$'

umask 077
mkdir -p "$TLS_DIR"
chmod 0700 "$TLS_DIR"
# The timer and a runner may start this at the same time: one run at a time.
exec 9>"$TLS_DIR/.lock"
flock -w 120 9 || fail "another run has held $TLS_DIR/.lock for 2 minutes"

# A failed reload is retried on the next run even when the files no longer change.
pending_mail="$TLS_DIR/.reload-mail-pending"
pending_web="$TLS_DIR/.reload-web-pending"

public_key_of_cert() { openssl x509 -in "$1" -noout -pubkey; }
public_key_of_key() { openssl pkey -in "$1" -pubout; }
describe() { openssl x509 -in "$1" -noout -serial -enddate | tr '\n' ' '; }

# tls/<name>/fullchain.pem and privkey.pem are symlinks into tls/<name>/current, itself a symlink
# to one folder under sets/. Renaming `current` swaps certificate and key together, so a daemon
# never reads a new certificate with the old key. The links are relative: they resolve the same
# on the host and inside the containers, which mount the TLS folder elsewhere.
install_pair() { # <name> <cert file> <key file> <what>
  local dir="$TLS_DIR/$1" set_name set_dir f
  set_name="$(date -u +%Y%m%dT%H%M%SZ).$$"
  set_dir="$dir/sets/$set_name"
  mkdir -p "$set_dir"
  cp "$2" "$set_dir/fullchain.pem"
  cp "$3" "$set_dir/privkey.pem"
  chmod 0644 "$set_dir/fullchain.pem"
  chmod 0600 "$set_dir/privkey.pem"
  ln -sfn "sets/$set_name" "$dir/current.new"
  mv -Tf "$dir/current.new" "$dir/current"
  for f in fullchain.pem privkey.pem; do
    if [ "$(readlink "$dir/$f" 2>/dev/null || true)" != "current/$f" ]; then
      ln -sfn "current/$f" "$dir/$f.new"
      mv -Tf "$dir/$f.new" "$dir/$f"
    fi
  done
  # Keep the previous set for inspection; older ones go.
  find "$dir/sets" -mindepth 1 -maxdepth 1 -type d ! -name "$set_name" -printf '%T@ %p\n' |
    sort -rn | tail -n +2 | cut -d' ' -f2- | while IFS= read -r old; do rm -rf -- "$old"; done
  say "$1: installed $4 ($(describe "$2"))"
}

self_signed() { # <name> <DNS names, comma-separated>
  local tmp san
  tmp="$(mktemp -d)"
  san="DNS:${2//,/,DNS:}"
  if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$SELF_SIGNED_DAYS" \
    -subj "/CN=${2%%,*}" -addext "subjectAltName=$san" \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null; then
    rm -rf -- "$tmp"
    fail "$1: could not create a temporary self-signed certificate"
  fi
  install_pair "$1" "$tmp/cert.pem" "$tmp/key.pem" "a TEMPORARY SELF-SIGNED certificate (certbot has not issued one yet)"
  rm -rf -- "$tmp"
}

refused=0
for entry in $CERTIFICATES; do
  name="${entry%%=*}"
  names="${entry#*=}"
  [[ "$entry" == *=* && -n "$names" ]] || fail "\"$entry\" in CERTIFICATES is not <name>=<DNS name>[,...]"
  [[ "$name" =~ $NAME_RE ]] || fail "\"$name\" in CERTIFICATES is not a certificate name"
  for n in ${names//,/ }; do
    [[ "$n" =~ $NAME_RE ]] || fail "\"$n\" in CERTIFICATES is not a DNS name"
  done

  live="$LETSENCRYPT_DIR/live/$name"
  installed="$TLS_DIR/$name"
  if [ ! -s "$live/fullchain.pem" ] || [ ! -s "$live/privkey.pem" ]; then
    if [ -s "$installed/fullchain.pem" ] && [ -s "$installed/privkey.pem" ]; then
      say "$name: no certificate from certbot yet at $live; the daemons keep the current one" \
        "($(openssl x509 -in "$installed/fullchain.pem" -noout -issuer)). If this lasts, check certbot's log" \
        "(docker logs certbot: DNS of ${names//,/ }, port 80 reachable, CAA)."
    else
      # First run for this name: the daemons start after this and read it themselves.
      self_signed "$name" "$names"
    fi
    continue
  fi
  if [ -s "$installed/fullchain.pem" ] && [ -s "$installed/privkey.pem" ] &&
    cmp -s "$live/fullchain.pem" "$installed/fullchain.pem" && cmp -s "$live/privkey.pem" "$installed/privkey.pem"; then
    continue
  fi
  # Never install a certificate with another key (a half-written renewal, a hand edit).
  if [ "$(public_key_of_cert "$live/fullchain.pem")" != "$(public_key_of_key "$live/privkey.pem")" ]; then
    error "$name: certificate and key in $live do not match; the daemons keep the current pair, retrying on the next run"
    refused=1
    continue
  fi
  install_pair "$name" "$live/fullchain.pem" "$live/privkey.pem" "certbot's certificate"
  touch "$pending_web"
  if [ "$name" = "$MAIL_CERTIFICATE" ]; then touch "$pending_mail"; fi
done

reload_failed=0
run_reload() { # <daemon> <command>
  if sh -c "$2"; then
    say "reloaded $1"
  else
    error "$1 reload failed: $2"
    reload_failed=1
    return 1
  fi
}

if [ -e "$pending_mail" ]; then
  # Dovecot first: its reload drops the SASL connections that idle smtpd processes hold, and
  # Postfix's reload then replaces those processes, so no client gets a 454 "Connection lost to
  # authentication server" on its next AUTH. Both run even when the first fails.
  ok=1
  run_reload Dovecot "$RELOAD_DOVECOT" || ok=0
  run_reload Postfix "$RELOAD_POSTFIX" || ok=0
  if [ "$ok" -eq 1 ]; then rm -f "$pending_mail"; fi
fi
if [ -e "$pending_web" ]; then
  if run_reload nginx "$RELOAD_NGINX"; then rm -f "$pending_web"; fi
fi

[ "$refused" -eq 0 ] && [ "$reload_failed" -eq 0 ] || exit 1
