# A message moved, copied or saved into Junk: teach Rspamd it is spam.
# Attached in dovecot.conf (mailbox Junk); pipes to the rspamd-learn-spam service.
require ["vnd.dovecot.pipe", "copy", "imapsieve"];
pipe :copy "rspamd-learn-spam";
