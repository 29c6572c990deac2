#!/bin/sh
# Dovecot's quota warning (dovecot.conf: quota "User quota" { warning ... }): mails the user that
# their mailbox is $1 % full, from postmaster, through Postfix's internal submission port (the only
# way out of this container; curl speaks SMTP). A failure is logged by Dovecot and never blocks
# the delivery that crossed the level.
set -eu
percent=$1
user=$2
postmaster={{ postmasterAddress }}
msg=$(mktemp)
trap 'rm -f "$msg"' EXIT
cat > "$msg" <<MAIL
From: Postmaster <$postmaster>
To: <$user>
Subject: Your mailbox is $percent % full
Date: $(date -R)
Message-ID: <quota-warning.$(date +%s).$$@{{ hostname }}>
Auto-Submitted: auto-generated
Content-Type: text/plain; charset=utf-8

Your mailbox $user is now $percent % full. When it is full, new mail is refused
and returned to its senders. Delete mail you no longer need (and empty the Trash),
or ask your administrator for more space.
MAIL
# --crlf: the message above has bare LFs, which Postfix refuses (smtpd_forbid_bare_newline).
exec curl --silent --show-error --fail --max-time 30 --crlf \
  --url "smtp://{{ internalSubmissionHost }}:{{ internalSubmissionPort }}" \
  --mail-from "$postmaster" --mail-rcpt "$user" --upload-file "$msg"
