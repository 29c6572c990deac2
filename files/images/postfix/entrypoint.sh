#!/bin/sh
# Postfix with the rendered files from /config laid over the package's /etc/postfix (which keeps
# postfix-files and dynamicmaps.cf). A config change replaces the container, so copying once at
# start is enough.
#   (no argument)  install the config, check it, run Postfix in the foreground
#   check          install the config and run `postfix check` and `postconf -n`; exit with
#                  their status (warnings count as errors: Postfix starts with them, silently
#                  ignoring what it warns about)
set -eu

# -a keeps each file's mode and group: a 0640 root:postfix map with a database password stays
# readable by Postfix's processes (cp -R would make it root:root). The folder itself keeps its
# package owner and mode.
cp -a /config/. /etc/postfix/
chown root:root /etc/postfix
chmod 0755 /etc/postfix

check() {
  out=$(postconf -n 2>&1 >/dev/null) || { echo "$out" >&2; return 1; }
  if echo "$out" | grep -qiE 'warning|fatal|error'; then echo "postconf: $out" >&2; return 1; fi
  postfix check
}

if [ "${1:-}" = "check" ]; then
  check
  echo "postfix: /config OK"
  exit 0
fi
check
# postsrsd (SRS, files/postfix/postsrsd.env) on loopback. Its secret is made once and kept on the
# volume (/var/lib/postfix), so the SRS addresses in bounces of earlier forwards stay valid.
secret=/var/lib/postfix/postsrsd.secret
if [ ! -s "$secret" ]; then
  (umask 077; head -c 32 /dev/urandom | base64 > "$secret.tmp" && mv "$secret.tmp" "$secret")
fi
# Owned by postfix like everything in its data directory (postfix check insists); postsrsd reads
# it as root before it drops to its own user.
chown postfix:postfix "$secret"
set -a
# shellcheck source=/dev/null
. /config/postsrsd.env
set +a
postsrsd -e -s "$secret" -u postsrsd -D
# Recipients' MTA-STS policies for Postfix's TLS policy lookups (files/postfix/mta-sts-daemon.yml).
mta-sts-daemon -c /config/mta-sts-daemon.yml -u nobody -g nogroup &
# postfix start-fg: the master runs in the foreground as this container's main process.
exec postfix start-fg
