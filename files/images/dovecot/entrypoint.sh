#!/bin/sh
# Starts Dovecot in the foreground with the rendered files from /config laid over the package's
# /etc/dovecot. A config change replaces the container, so copying once at start is enough.
# CONFIG_SRC and CONFIG_DEST exist for tests, which run this copy in a temp folder.
set -eu

src="${CONFIG_SRC:-/config}"
dest="${CONFIG_DEST:-/etc/dovecot}"
# -a keeps each file's mode and group: a 0640 root:dovecot secret stays readable by Dovecot's
# processes (cp -R would make it root:root). The folder itself keeps its package owner and mode.
cp -a "$src/." "$dest/"
chown root:root "$dest"
chmod 0755 "$dest"
doveconf -n >/dev/null
exec dovecot -F
