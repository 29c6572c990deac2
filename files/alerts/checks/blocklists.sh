#!/usr/bin/env bash
# Alert check: the server's addresses on DNS blocklists. Each list answers an A record in
# 127.0.0.0/8 for a listed address; 127.255.255.x is the list refusing the query (Spamhaus does
# that for queries through large public resolvers), which is reported, not counted as a listing.
# IPv4 is queried reversed (4.3.2.1.<list>), IPv6 as 32 reversed nibbles.
#   ADDRESSES (required: the server's IPv4 and IPv6)   BLOCKLISTS [zen.spamhaus.org bl.spamcop.net psbl.surriel.com]
#   DIG [dig]
set -uo pipefail
: "${ADDRESSES:?set ADDRESSES to the addresses of the server}"
LISTS="${BLOCKLISTS:-zen.spamhaus.org bl.spamcop.net psbl.surriel.com}"
DIG="${DIG:-dig}"
reverse4() { printf '%s' "$1" | awk -F. '{ print $4 "." $3 "." $2 "." $1 }'; }
reverse6() {
  # Expand to 32 hex digits, then reverse them dot-separated.
  local a=$1 head tail fill full
  case "$a" in *::*) head=${a%%::*}; tail=${a##*::} ;; *) head=$a; tail="" ;; esac
  local hn tn
  hn=$(printf '%s' "$head" | awk -F: '{ print (NF == 0 ? 0 : NF) }')
  tn=$(printf '%s' "$tail" | awk -F: '{ print (NF == 0 ? 0 : NF) }')
  fill=$(( 8 - hn - tn ))
  full=$( { printf '%s\n' "$head" | tr ':' '\n'; for _ in $(seq 1 "$fill"); do echo 0; done; printf '%s\n' "$tail" | tr ':' '\n'; } | grep -v '^$' | awk '{ printf "%04s", $0 }' | tr ' ' 0)
  printf '%s' "$full" | rev | sed 's/./&./g; s/\.$//'
}
status=0
for ip in $ADDRESSES; do
  case "$ip" in *:*) rev=$(reverse6 "$ip") ;; *) rev=$(reverse4 "$ip") ;; esac
  for list in $LISTS; do
    answer=$("$DIG" +short +time=3 +tries=2 A "$rev.$list" 2>/dev/null | grep -E '^127\.' | head -1)
    key="blocklist-$list-$ip"
    case "$answer" in
      "") echo "OK $key $ip is not on $list" ;;
      127.255.255.*) echo "OK $key $list refused the query ($answer): use a resolver of your own for DNSBL lookups" ;;
      *) echo "ALERT $key $ip is listed on $list ($answer): look it up on the list's web site, stop what sent the spam, then ask for delisting"; status=1 ;;
    esac
  done
done
exit "$status"
