#!/usr/bin/env bash
# Alert check: the DNS records the stack published still say what the stack wrote (someone edited
# the zone by hand, another tool overwrote a record, or a domain's delegation moved). EXPECTED_FILE
# holds one record per line, "<name> <type> <content>" as `dig +short` prints it (TXT as its
# quoted strings, MX as "<priority> <host>."), written at deploy time; each name and type is asked
# of the resolver and compared (case, trailing dots and TXT string splits aside).
#   EXPECTED_FILE [/srv/mail/alerts/dns-expected.txt]   DIG [dig]
set -uo pipefail
FILE="${EXPECTED_FILE:-/srv/mail/alerts/dns-expected.txt}"
DIG="${DIG:-dig}"
[ -s "$FILE" ] || { echo "ALERT dns-expected no list of expected records at $FILE (reinstall the alerts with pulumi up)"; exit 1; }
status=0
norm() { tr '[:upper:]' '[:lower:]' | sed 's/\.$//; s/" "//g' | grep -v '^$' | sort -u; }
# Unique name/type pairs, in file order. TXT names may hold other people's records too (site
# verification): each of ours must be there, and no second record of the same kind (a second SPF
# or DMARC record breaks the first). Every other type is compared as a whole set: the stack owns
# those names (the deploy refuses conflicting records).
while IFS=' ' read -r name type; do
  want=$(awk -v n="$name" -v t="$type" '$1 == n && $2 == t { $1 = ""; $2 = ""; sub(/^  /, ""); print }' "$FILE" | norm)
  got=$("$DIG" +short +time=3 +tries=2 "$type" "$name" 2>/dev/null | norm)
  ok=1
  if [ "$type" = TXT ]; then
    while IFS= read -r w; do
      printf '%s\n' "$got" | grep -qxF -- "$w" || ok=0
      kind=$(printf '%s' "$w" | sed -n 's/^"\(v=[a-z0-9]*\).*/\1/p')
      if [ -n "$kind" ] && [ "$(printf '%s\n' "$got" | grep -c "^\"${kind}[; ]")" -gt 1 ]; then ok=0; fi
    done <<< "$want"
  elif [ "$want" != "$got" ]; then ok=0; fi
  if [ "$ok" = 1 ]; then
    echo "OK dns-$name-$type $name $type as published"
  else
    echo "ALERT dns-$name-$type $name $type differs from what the stack published: expected [$(printf '%s' "$want" | tr '\n' ';')], found [$(printf '%s' "$got" | tr '\n' ';')] (run pulumi up to write it back, or find who changed it)"
    status=1
  fi
done < <(awk '!seen[$1 " " $2]++ { print $1, $2 }' "$FILE")
exit "$status"
