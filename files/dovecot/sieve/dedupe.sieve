# Runs before every user's own script at delivery (dovecot.conf: sieve_script dedupe): a message
# whose Message-ID this mailbox already got in the last day is dropped, so a retry after an MTA
# crash (delivered, but not yet marked done) never shows up twice.
# ref: https://doc.dovecot.org/2.4.1/core/config/sieve/extensions/duplicate.html
require ["duplicate"];
if duplicate :seconds 86400 {
  discard;
  stop;
}
