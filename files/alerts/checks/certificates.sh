#!/usr/bin/env bash
# Alert check: every certificate the daemons serve (the certificate hook's TLS folder, one
# sub-folder per name) must be valid for more than CERT_DAYS days, and must be certbot's, not the
# temporary self-signed one the hook installs until certbot has issued (a day after deploy that
# means issuance is failing). certbot renews 30 days before expiry, so a certificate within 14
# days means renewal has failed for 16 days.
# Prints one line per certificate: "OK <key> <text>" or "ALERT <key> <text>"; exits 1 on any alert.
#   TLS_DIR    [/srv/mail/tls]   CERT_DAYS [14]   SELF_SIGNED_GRACE_HOURS [24]
set -uo pipefail
TLS_DIR="${TLS_DIR:-/srv/mail/tls}"
CERT_DAYS="${CERT_DAYS:-14}"
GRACE="${SELF_SIGNED_GRACE_HOURS:-24}"
status=0
found=0
for dir in "$TLS_DIR"/*/; do
  name=$(basename "$dir")
  cert="$dir/fullchain.pem"
  [ -s "$cert" ] || continue
  found=1
  end=$(openssl x509 -in "$cert" -noout -enddate 2>/dev/null | cut -d= -f2)
  if [ -z "$end" ]; then echo "ALERT cert-$name certificate $name: $cert is not a readable certificate"; status=1; continue; fi
  left=$(( ( $(date -d "$end" +%s) - $(date +%s) ) / 86400 ))
  subject=$(openssl x509 -in "$cert" -noout -subject -nameopt RFC2253 2>/dev/null | sed 's/^subject=//')
  issuer=$(openssl x509 -in "$cert" -noout -issuer -nameopt RFC2253 2>/dev/null | sed 's/^issuer=//')
  if [ "$subject" = "$issuer" ]; then
    age_h=$(( ( $(date +%s) - $(stat -c %Y "$cert") ) / 3600 ))
    if [ "$age_h" -ge "$GRACE" ]; then
      echo "ALERT cert-$name certificate $name is still the temporary self-signed one after ${age_h} h: certbot has not obtained it (docker logs certbot: DNS not pointing here, port 80 blocked, CAA)"
      status=1
    else
      echo "OK cert-$name certificate $name: temporary self-signed for ${age_h} h, waiting for certbot"
    fi
    continue
  fi
  if ! openssl x509 -in "$cert" -noout -checkend $(( CERT_DAYS * 86400 )) >/dev/null 2>&1; then
    echo "ALERT cert-$name certificate $name expires in $left days ($end), within $CERT_DAYS: renewal is failing (docker logs certbot; journalctl -u mailstack-sync-certs)"
    status=1
  else
    echo "OK cert-$name certificate $name valid for $left more days"
  fi
done
if [ "$found" = 0 ]; then echo "ALERT cert-none no certificate in $TLS_DIR: the certificate hook has never run (journalctl -u mailstack-sync-certs)"; status=1; fi
exit "$status"
