#!/usr/bin/env bash
# Installs the Debian packages the local stack and the end-to-end tests run: the same daemons
# (Postfix 3.7, Dovecot 2.3, Rspamd 3.4, PostgreSQL 15, Redis 7, Roundcube 1.6, Caddy 2.6) that the
# production images are built from. Needs root. Daemons are installed but never started by
# the package scripts: the local stack starts its own instances on high loopback ports.
set -euo pipefail

packages=(
  postfix postfix-pgsql
  dovecot-core dovecot-imapd dovecot-lmtpd dovecot-pgsql dovecot-sieve dovecot-managesieved
  rspamd redis-server
  postgresql postgresql-client
  php8.2-fpm php8.2-cli php8.2-pgsql php8.2-intl php8.2-mbstring
  roundcube-core roundcube-pgsql roundcube-plugins
  caddy
  chromium
  openssl ca-certificates ssl-cert
  shellcheck
  cloud-init
  bind9-utils
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
# Roundcube's package would otherwise ask to create its own database; the local stack makes its own.
echo "roundcube-core roundcube/dbconfig-install boolean false" | debconf-set-selections
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections

# Keep package scripts from starting system-wide daemons (port 25, 5432, 6379 ...): a policy-rc.d
# that refuses every start, removed again afterwards if we created it.
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
