#!/bin/sh
# Starts Postfix in the foreground with the rendered files from /config laid over the package's
# /etc/postfix (which keeps postfix-files and dynamicmaps.cf). A config change replaces the
# container, so copying once at start is enough.
set -eu

cp -R /config/. /etc/postfix/
# Chrooted services resolve names from inside the queue directory.
mkdir -p /var/spool/postfix/etc
for f in /etc/resolv.conf /etc/hosts /etc/services /etc/nsswitch.conf /etc/localtime; do
  if [ -e "$f" ]; then cp -L "$f" "/var/spool/postfix/etc/$(basename "$f")"; fi
done
postfix check
exec postfix start-fg
