#!/bin/sh
# Dovecot imapsieve pipe target: the message on stdin goes to Rspamd's controller as spam or ham.
# The controller password comes from a root-only curl config file, never from the command line.
set -eu
case "${1:-}" in spam|ham) ;; *) echo "usage: rspamd-learn.sh spam|ham" >&2; exit 64 ;; esac
exec curl --silent --show-error --max-time 30 --output /dev/null \
  --config {{ configDir }}/rspamd-controller.curlrc \
  --data-binary @- "http://{{ controllerHost }}:{{ controllerPort }}/learn$1"
