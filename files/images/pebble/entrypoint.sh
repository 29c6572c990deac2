#!/bin/sh
# TEST ONLY. Runs pebble, Let's Encrypt's test ACME server, as the local stack's stand-in for Let's
# Encrypt, and publishes into the shared test CA folder what its clients must trust:
#   pebble-tls.pem   pebble's own TLS certificate (certbot reaches the ACME directory with it,
#                    through REQUESTS_CA_BUNDLE; never --no-verify-ssl)
#   pebble-root.pem  the root that issues the stack's certificates (Roundcube checks Dovecot's and
#                    Postfix's certificates against it; so do the tests)
# Pebble keeps everything in memory and makes a new root at every start: both files are removed
# first and written again (each with an atomic rename) once pebble answers, so a reader never
# sees a root from an earlier run next to a fresh TLS certificate. It never touches anything but
# that folder; nothing here is a secret (the TLS key stays in the container).
set -eu

out="${TEST_CA_DIR:-/etc/mailstack-test-ca}"
name="${PEBBLE_NAME:-pebble}"
run=/run/pebble
mkdir -p "$run" "$out"
rm -f "$out/pebble-tls.pem" "$out/pebble-root.pem"

# Pebble's ACME directory is reached as https://$name:14000/dir on the service network; localhost
# for the management API this script asks below.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj "/CN=$name" -addext "subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1" \
  -keyout "$run/key.pem" -out "$run/cert.pem" 2>/dev/null

# httpPort/tlsPort: where pebble's validator connects for HTTP-01 and TLS-ALPN-01, i.e. nginx's
# standard ports (pebble's defaults are 5002/5001).
cat > "$run/pebble-config.json" <<JSON
{
  "pebble": {
    "listenAddress": "0.0.0.0:14000",
    "managementListenAddress": "0.0.0.0:15000",
    "certificate": "$run/cert.pem",
    "privateKey": "$run/key.pem",
    "httpPort": 80,
    "tlsPort": 443,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
JSON

# No random "bad nonce" rejections and no random validation delays: a test stack should issue
# at once and the same way every time (pebble's defaults exist to shake out client bugs).
PEBBLE_WFE_NONCEREJECT=0 PEBBLE_VA_NOSLEEP=1 pebble -config "$run/pebble-config.json" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT

publish() { # <source> <name>: atomic, world-readable (certificates are public)
  cp "$1" "$out/.$2.tmp"
  chmod 0644 "$out/.$2.tmp"
  mv -f "$out/.$2.tmp" "$out/$2"
}

tries=0
until curl -fsS --cacert "$run/cert.pem" -o "$run/root.pem" https://localhost:15000/roots/0 2>/dev/null; do
  tries=$((tries + 1))
  if [ "$tries" -ge 100 ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "pebble: the management API did not answer within 20 s" >&2
    exit 1
  fi
  sleep 0.2
done
publish "$run/root.pem" pebble-root.pem
publish "$run/cert.pem" pebble-tls.pem
echo "pebble: root $(openssl x509 -in "$run/root.pem" -noout -subject -fingerprint -sha256 | tr '\n' ' ')published in $out"

# The container lives as long as pebble; a stop signal reaches pebble through the trap, and the
# second wait lets it finish before the container exits with its status.
set +e
wait "$pid"
status=$?
if kill -0 "$pid" 2>/dev/null; then
  wait "$pid"
  status=$?
fi
exit "$status"
