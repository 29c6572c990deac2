#!/bin/sh
# Rspamd with the rendered files from /config laid over the package's /etc/rspamd (local.d, the
# DKIM keys). A config change replaces the container, so copying once at start is enough.
#   (no argument)  install the config, check it, run Rspamd in the foreground
#   check          install the config and run `rspamadm configtest`; exit with its status
set -eu

# -a keeps each file's mode and group: a 0640 root:_rspamd DKIM key stays readable by Rspamd's
# workers (cp -R would make it root:root). The folder itself keeps its package owner and mode.
cp -a /config/. /etc/rspamd/
chown root:root /etc/rspamd
chmod 0755 /etc/rspamd
install -d -o _rspamd -g _rspamd /var/lib/rspamd /run/rspamd

if [ "${1:-}" = "check" ]; then
  rspamadm configtest
  exit 0
fi
rspamadm configtest >/dev/null
exec rspamd -f -u _rspamd -g _rspamd
