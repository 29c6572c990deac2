#!/usr/bin/env bash
# Alert check: every container of the stack (label org.mailstack.service) runs and is not
# unhealthy. An exited or restarting container, or a failing health check (certbot without a
# valid certificate, a backup too old, a daemon not answering), alerts with its name and state.
#   ENGINE [docker]  EXPECTED ["" = whatever exists; else the service names that must exist]
set -uo pipefail
ENGINE="${ENGINE:-docker}"
EXPECTED="${EXPECTED:-}"
if ! out=$("$ENGINE" ps -a --filter label=org.mailstack.service --format '{{.Label "org.mailstack.service"}}|{{.Names}}|{{.State}}|{{.Status}}' 2>&1); then
  echo "ALERT containers-engine the container engine does not answer ($ENGINE ps: $(printf '%s' "$out" | tail -1))"
  exit 1
fi
status=0
seen=" "
while IFS='|' read -r svc name state detail; do
  [ -n "$name" ] || continue
  [ "$svc" = "check" ] && continue
  seen="$seen$svc "
  if [ "$state" != "running" ]; then
    echo "ALERT container-$svc container $name is $state ($detail): docker logs $name"
    status=1
  elif printf '%s' "$detail" | grep -q '(unhealthy)'; then
    echo "ALERT container-$svc container $name is unhealthy ($detail): docker inspect --format '{{json .State.Health}}' $name"
    status=1
  else
    echo "OK container-$svc container $name: $detail"
  fi
done <<< "$out"
for svc in $EXPECTED; do
  case "$seen" in *" $svc "*) ;; *) echo "ALERT container-$svc there is no $svc container"; status=1 ;; esac
done
exit "$status"
