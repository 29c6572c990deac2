#!/usr/bin/env bash
# Installs and starts the container engine the local stack, the end-to-end suite and the
# benchmark talk to: podman's Docker-compatible API service, from Debian's packages. Where a
# Docker Engine (or any Docker-API engine) already answers, it changes nothing: the runner finds
# an engine by asking its API (/_ping), never by looking for a CLI.
#
# Settings this machine needs (checked on Debian 12, podman 4.3; see DESIGN.md §6):
#   runtime runc            crun fails here (cgroup hybrid mode)
#   cgroup_manager cgroupfs no systemd in the session
#   default_ulimits         at or below the machine's hard limits (nofile 20000, nproc ~96000):
#                           podman's default nproc limit fails to apply
# Also installs debootstrap (the base image is built, not pulled) and iproute2/nftables (the
# "outside" network namespace of the local stack).
#
# Usage: bash scripts/install-container-engine.sh [--print-socket]
#   Exit 0 when an engine answers at the end; prints the socket path with --print-socket.
set -euo pipefail

SOCKET_DIR=/run/mailstack
SOCKET="$SOCKET_DIR/podman.sock"
LOG=/var/log/mailstack-podman-service.log

ping_socket() { curl -fsS --max-time 3 --unix-socket "$1" http://d/_ping >/dev/null 2>&1; }

report() { [ "${1:-}" = "--print-socket" ] && echo "$2"; exit 0; }

# An engine that already answers wins: DOCKER_HOST, Docker's socket, then ours.
if [ -n "${DOCKER_HOST:-}" ] && [[ "$DOCKER_HOST" == unix://* ]] && ping_socket "${DOCKER_HOST#unix://}"; then
  report "${1:-}" "${DOCKER_HOST#unix://}"
fi
for s in /var/run/docker.sock "$SOCKET"; do
  [ -S "$s" ] && ping_socket "$s" && report "${1:-}" "$s"
done

if [ "$(id -u)" -ne 0 ]; then
  echo "install-container-engine: no container engine answers, and installing one needs root:" >&2
  echo "  sudo bash scripts/install-container-engine.sh" >&2
  exit 1
fi

packages=(podman runc conmon netavark aardvark-dns uidmap debootstrap iproute2 nftables iptables curl ca-certificates)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-container-engine: installed ${missing[*]}" >&2
fi

# Ours alone: a drop-in, so a system-wide containers.conf an operator wrote stays untouched.
mkdir -p /etc/containers/containers.conf.d
hard_nofile=$(ulimit -Hn); hard_nproc=$(ulimit -Hu)
nofile=$(( hard_nofile == 0 || hard_nofile > 4096 ? 4096 : hard_nofile ))
[ "$hard_nofile" = unlimited ] && nofile=4096
nproc=4096
[ "$hard_nproc" != unlimited ] && [ "$hard_nproc" -lt 4096 ] && nproc=$hard_nproc
cat > /etc/containers/containers.conf.d/50-mailstack.conf <<CONF
# Written by mailstack's scripts/install-container-engine.sh.
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF

mkdir -p "$SOCKET_DIR"
rm -f "$SOCKET"
# setsid: the service outlives this script and the npm process that ran it.
setsid podman system service --time=0 "unix://$SOCKET" >>"$LOG" 2>&1 < /dev/null &
for _ in $(seq 1 50); do
  ping_socket "$SOCKET" && report "${1:-}" "$SOCKET"
  sleep 0.2
done
echo "install-container-engine: podman's API service did not answer at $SOCKET; its log: $LOG" >&2
tail -20 "$LOG" >&2 || true
exit 1
