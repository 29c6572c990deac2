#!/bin/sh
# Starts Postfix in the foreground with the rendered files from /config laid over the package's
# /etc/postfix (which keeps postfix-files and dynamicmaps.cf). A config change replaces the
# container, so copying once at start is enough. CONFIG_SRC, CONFIG_DEST and POSTFIX_SPOOL exist
# for tests, which run this in a temp folder.
set -eu

src="${CONFIG_SRC:-/config}"
dest="${CONFIG_DEST:-/etc/postfix}"
spool="${POSTFIX_SPOOL:-/var/spool/postfix}"
# -a keeps each file's mode and group: a 0640 root:postfix map with a database password stays
# readable by Postfix's processes (cp -R would make it root:root). The folder itself keeps its
# package owner and mode.
cp -a "$src/." "$dest/"
chown root:root "$dest"
chmod 0755 "$dest"
# Chrooted services resolve names from inside the queue directory.
mkdir -p "$spool/etc"
for f in /etc/resolv.conf /etc/hosts /etc/services /etc/nsswitch.conf /etc/localtime; do
  if [ -e "$f" ]; then cp -L "$f" "$spool/etc/$(basename "$f")"; fi
done
postfix check
exec postfix start-fg
