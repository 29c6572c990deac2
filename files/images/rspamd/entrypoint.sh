#!/bin/sh
# Starts Rspamd in the foreground with the rendered files from /config laid over the package's
# /etc/rspamd. A config change replaces the container, so copying once at start is enough.
# CONFIG_SRC and CONFIG_DEST exist for tests, which run this copy in a temp folder.
set -eu

src="${CONFIG_SRC:-/config}"
dest="${CONFIG_DEST:-/etc/rspamd}"
# -a keeps each file's mode and group: a 0640 root:_rspamd DKIM key stays readable by Rspamd's
# workers (cp -R would make it root:root). The folder itself keeps its package owner and mode.
cp -a "$src/." "$dest/"
chown root:root "$dest"
chmod 0755 "$dest"
install -d -o _rspamd -g _rspamd /var/lib/rspamd /run/rspamd
rspamadm configtest >/dev/null
exec rspamd -f -u _rspamd -g _rspamd
