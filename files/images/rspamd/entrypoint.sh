#!/bin/sh
# Starts Rspamd in the foreground with the rendered files from /config laid over the package's
# /etc/rspamd. A config change replaces the container, so copying once at start is enough.
set -eu

cp -R /config/. /etc/rspamd/
install -d -o _rspamd -g _rspamd /var/lib/rspamd /run/rspamd
rspamadm configtest >/dev/null
exec rspamd -f -u _rspamd -g _rspamd
