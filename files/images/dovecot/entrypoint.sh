#!/bin/sh
# Starts Dovecot in the foreground with the rendered files from /config laid over the package's
# /etc/dovecot. A config change replaces the container, so copying once at start is enough.
set -eu

cp -R /config/. /etc/dovecot/
doveconf -n >/dev/null
exec dovecot -F
