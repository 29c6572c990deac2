# Runs before every user's own script at delivery (dovecot.conf: sieve_script spam-to-junk), after
# dedupe: a message Rspamd scored at or above its "add header" action (6 by default; a DMARC
# p=quarantine failure too, local.d/dmarc.conf) carries "X-Spam: Yes" (Rspamd's milter sets it and
# removes a copy the sender brought) and is filed into Junk; no user script sees it.
# ref: https://doc.dovecot.org/2.4.1/core/config/sieve/extensions/index.html
require ["fileinto", "mailbox"];
if header :is "X-Spam" "Yes" {
  fileinto :create "Junk";
  stop;
}
