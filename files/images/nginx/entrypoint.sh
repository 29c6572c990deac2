#!/bin/sh
# Starts nginx in the foreground on the rendered /config/nginx.conf. Before that it writes the one
# thing the config cannot know in advance: the resolver nginx uses to find Roundcube at request
# time, which is the container's own DNS server (Docker's 127.0.0.11, podman's network gateway),
# into /etc/nginx/mailstack-resolver.conf.
#   (no argument)  start nginx (the certificates must be in the TLS folder: the hook runs first)
#   check          run `nginx -t` on the rendered config and exit with its status. Where the TLS
#                  folder is not mounted (a throwaway `docker run --rm IMAGE check`), certificates
#                  the config names but that do not exist are replaced by throwaway self-signed
#                  ones made inside this container, so the syntax and every other file are still
#                  checked; where it is mounted, a missing certificate is an error.
# It never writes to /config or to a mounted TLS folder.
set -eu

conf="${NGINX_CONF:-/config/nginx.conf}"
tls_dir="${TLS_DIR:-/etc/mail-tls}"
resolver_conf=/etc/nginx/mailstack-resolver.conf

# Only the first nameserver: nginx asks its resolvers in turn, and podman lists the host's own
# servers after its network gateway; those do not know the container names.
write_resolver() {
  ns=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf 2>/dev/null || true)
  case "$ns" in
    "") ns=127.0.0.11 ;;
    *:*) ns="[$ns]" ;;
  esac
  # ipv6=off: Roundcube is reached over the service network's IPv4 side, which every topology has.
  printf 'resolver %s valid=10s ipv6=off;\n' "$ns" > "$resolver_conf"
}

# Every certificate and key file nginx.conf and the server files under it name.
certificate_files() {
  find "$(dirname "$conf")" -name '*.conf' -type f -exec \
    awk '$1 == "ssl_certificate" || $1 == "ssl_certificate_key" { sub(/;$/, "", $2); print $2 }' {} + | sort -u
}

throwaway_certificates() {
  missing=0
  for f in $(certificate_files); do
    [ -e "$f" ] || missing=1
  done
  [ "$missing" -eq 1 ] || return 0
  if mountpoint -q "$tls_dir"; then
    echo "nginx check: $tls_dir is mounted but lacks certificates the config names; run the certificate hook first" >&2
    return 1
  fi
  echo "nginx check: no certificates in $tls_dir (not mounted): checking with throwaway self-signed ones"
  for f in $(certificate_files); do
    case "$f" in
      */fullchain.pem)
        d=$(dirname "$f")
        mkdir -p "$d"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
          -subj "/CN=$(basename "$d")" -keyout "$d/privkey.pem" -out "$d/fullchain.pem" 2>/dev/null
        ;;
    esac
  done
}

write_resolver
case "${1:-}" in
  check)
    throwaway_certificates
    exec nginx -t -c "$conf"
    ;;
  "")
    exec nginx -c "$conf"
    ;;
  *)
    exec "$@"
    ;;
esac
