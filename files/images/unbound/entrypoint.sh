#!/bin/sh
# Unbound with the rendered /config/unbound.conf, in the foreground.
#   (no argument)  prepare the run folder, check the configuration, run Unbound
#   check          prepare and run unbound-checkconf; exit with its status
# The container engine's own DNS (Docker's 127.0.0.11, podman's aardvark on the network gateway)
# is the only one that knows the other containers' names: the first nameserver of this container's
# /etc/resolv.conf gets a forward zone for each name in /config/service-names, so Postfix (whose
# resolver is this Unbound) still finds dovecot, rspamd and postgres. Those names are not in the
# public DNS, so they are declared insecure for DNSSEC.
set -eu

install -d -o unbound -g unbound /run/unbound /var/lib/unbound
engine_dns=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf)
{
  echo "# Written by the entrypoint: container names go to the engine's DNS ($engine_dns)."
  echo "server:"
  while read -r name; do
    case "$name" in ''|'#'*) continue ;; esac
    # transparent: resolved normally (forwarded below) even where a local zone covers "."
    echo "  local-zone: \"$name.\" transparent"
    echo "  domain-insecure: \"$name.\""
  done < /config/service-names
  while read -r name; do
    case "$name" in ''|'#'*) continue ;; esac
    printf 'forward-zone:\n  name: "%s."\n  forward-addr: %s\n' "$name" "$engine_dns"
  done < /config/service-names
} > /run/unbound/service-names.conf
# The root trust anchor, as dns-root-data ships it; Unbound keeps it current (RFC 5011) in this
# writable copy for as long as the container lives.
install -o unbound -g unbound -m 0644 /usr/share/dns/root.key /var/lib/unbound/root.key

if [ "${1:-}" = "check" ]; then
  unbound-checkconf /config/unbound.conf
  exit 0
fi
unbound-checkconf /config/unbound.conf >/dev/null
exec unbound -d -p -c /config/unbound.conf
