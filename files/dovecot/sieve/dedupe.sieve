# Runs before every user's own script: a message whose Message-ID this mailbox already got in the
# last day is dropped, so a retry after an MTA crash (delivered, but not yet marked done) never
# shows up twice.
require ["duplicate"];
if duplicate :seconds 86400 {
  discard;
  stop;
}
