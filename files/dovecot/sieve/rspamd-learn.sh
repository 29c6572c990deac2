#!/bin/sh
# Dovecot imapsieve pipe target (services rspamd-learn-spam/-ham in dovecot.conf, run as the
# dovecot user): the message on stdin goes to Rspamd's controller as spam or ham. The controller
# password comes from a curl config file only root and the dovecot group can read, never from the
# command line. --fail: a refused request (wrong password, Rspamd error) fails the pipe action, so
# Dovecot logs it with curl's message instead of dropping it silently.
set -eu
case "${1:-}" in spam|ham) ;; *) echo "usage: rspamd-learn.sh spam|ham" >&2; exit 64 ;; esac
exec curl --silent --show-error --fail --max-time 30 --output /dev/null \
  --config {{ configDir }}/rspamd-controller.curlrc \
  --data-binary @- "http://{{ controllerHost }}:{{ controllerPort }}/learn$1"
