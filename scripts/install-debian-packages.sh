#!/usr/bin/env bash
# Installs the Debian packages the tests use on this host: the tools that check our files
# (shellcheck, named-checkzone, cloud-init's schema, systemd-analyze), OpenSSL for test
# certificates, and Chromium for the webmail test. No mail daemon: those run in our images
# (scripts/install-container-engine.sh installs the engine). Needs root.
set -euo pipefail

packages=(
  # The webmail test drives Debian's Chromium (no browser download).
  chromium
  # The tests' own tools: certificates, shell lint, zone files, cloud-init's schema, SSH keys,
  # systemd unit checks.
  openssl ca-certificates
  shellcheck
  bind9-utils
  cloud-init
  openssh-client
  systemd
  curl xz-utils
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-debian-packages: all ${#packages[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-debian-packages: missing packages: ${missing[*]}" >&2
  echo "run as root: sudo bash scripts/install-debian-packages.sh" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# Keep package scripts from starting system-wide services: a policy-rc.d that refuses every
# start, removed again afterwards if we created it.
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
trap '[ $created_policy -eq 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT

apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-debian-packages: installed ${#missing[@]} packages"
