# A message moved or copied out of Junk, into any folder but Trash: teach Rspamd it is ham.
# Attached in dovecot.conf (imapsieve_from Junk); pipes to the rspamd-learn-ham service.
require ["vnd.dovecot.pipe", "copy", "imapsieve", "environment", "variables"];
if environment :matches "imap.mailbox" "*" {
  set "mailbox" "${1}";
}
if string "${mailbox}" "Trash" {
  stop;
}
pipe :copy "rspamd-learn-ham";
