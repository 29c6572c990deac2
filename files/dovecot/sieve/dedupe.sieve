# Runs before every user's own script at delivery (dovecot.conf: sieve_script dedupe): a message
# whose Message-ID this mailbox already got in the last 10 minutes is dropped, so a retry after an
# MTA crash (delivered, but not yet marked done) never shows up twice. Minutes, not a day: Postfix
# retries such a message within its first backoff (5 minutes), and a longer window would also
# drop a message that is legitimately sent again with the same Message-ID (a resend after a
# correction, a list copy arriving after the direct one). mailcow's duplicate period is 1 minute.
# ref: https://doc.dovecot.org/2.4.1/core/config/sieve/extensions/duplicate.html
require ["duplicate"];
if duplicate :seconds 600 {
  discard;
  stop;
}
