#!/bin/sh
# Source-NATs the mail containers' outbound IPv6 to the one address of the VM's /64 that has the
# mail host's AAAA and PTR records. Without it, Docker masquerades to whichever address the
# kernel picks, and receivers such as Gmail refuse mail from an address without matching PTR.
# Idempotent: removes earlier copies of the rule, then puts it first in POSTROUTING (ahead of
# Docker's own MASQUERADE). Run by mailstack-ipv6-egress.service after Docker starts.
# Usage: ipv6-egress.sh <mail host IPv6 address> <container IPv6 subnet>
set -eu

if [ "$#" -ne 2 ]; then
  echo "usage: $0 <mail-host-ipv6-address> <container-ipv6-subnet>" >&2
  exit 2
fi
addr="$1"
subnet="$2"

rule() {
  ip6tables -t nat "$@" -s "$subnet" ! -d "$subnet" -j SNAT --to-source "$addr"
}

while rule -C POSTROUTING 2>/dev/null; do
  rule -D POSTROUTING
done
ip6tables -t nat -I POSTROUTING 1 -s "$subnet" ! -d "$subnet" -j SNAT --to-source "$addr"
echo "ipv6-egress: $subnet leaves as $addr"
