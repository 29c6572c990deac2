#!/bin/sh
# Unbound with the rendered /config/unbound.conf, in the foreground.
#   (no argument)  prepare the run folder, check the configuration, run Unbound
#   check          prepare and run unbound-checkconf; exit with its status
# Container names are the engine's: Docker's embedded DNS (127.0.0.11 in each container) answers
# them before a query ever reaches us; podman 4.3 replaces a container's resolv.conf when it gets
# its own DNS server, so Postfix there looks them up under the network's DNS domain (its resolv.conf
# "search", dns.podman), which this Unbound forwards to the engine's DNS (aardvark, the first
# nameserver of this container's own resolv.conf): it answers at once, also for a container that is
# down. The bare names (/config/service-names) are answered "no such name" here at once: forwarded,
# the engine's DNS would pass them on to the internet and make Postfix wait seconds for every
# lookup of a stopped service. None of this is in the public DNS, so it is insecure for DNSSEC.
set -eu

install -d -o unbound -g unbound /run/unbound /var/lib/unbound
engine_dns=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf)
engine_domain=$(awk '$1 == "search" { print $2; exit }' /etc/resolv.conf)
{
  echo "# Written by the entrypoint (engine DNS $engine_dns, domain ${engine_domain:-none})."
  echo "server:"
  while read -r name; do
    case "$name" in ''|'#'*) continue ;; esac
    echo "  local-zone: \"$name.\" static"
  done < /config/service-names
  if [ "$engine_domain" = "dns.podman" ]; then
    echo "  local-zone: \"$engine_domain.\" transparent"
    echo "  domain-insecure: \"$engine_domain.\""
    # Never cached: a container that stops or restarts changes its address at once; a cached
    # answer would send Postfix to a dead address (a connect timeout instead of a quick 4xx).
    printf 'forward-zone:\n  name: "%s."\n  forward-addr: %s\n  forward-no-cache: yes\n' "$engine_domain" "$engine_dns"
  fi
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
