#!/usr/bin/env bash
# The alerting on the mail host: runs every check in CHECKS_DIR (one small script each, see
# files/alerts/checks/), and mails the operator (and posts to the webhook, when one is set) when a
# problem appears, when it is gone, and once a day while any remains. Mail goes through the
# stack's own Postfix (`sendmail` in its container) from an internal sender; if Postfix itself is
# down, the webhook and the journal (journalctl -u mailstack-alerts) still carry the alert, and the
# mail is retried on the next run. `digest` mails the weekly summary instead.
# Run by systemd (mailstack-alerts.timer every 5 minutes, mailstack-digest.timer weekly) with the
# environment from /srv/mail/alerts/alerts.env; tests run it with stubs on PATH and temp folders.
#   MAIL_TO       required: space-separated recipients
#   MAIL_FROM     required: the envelope and From: sender (an address of the stack's own domains)
#   HOST_TAG      the mail host name, in subjects                       [$(hostname -f)]
#   ENGINE / POSTFIX   engine CLI and Postfix container                 [docker / postfix]
#   CHECKS_DIR    [/srv/mail/bin/alerts/checks]   STATE_DIR [/srv/mail/alerts/state]
#   SLOW_CHECKS   checks run at most every SLOW_SECONDS, their last output reused meanwhile
#                 (DNS and blocklist lookups: lists rate-limit)         ["blocklists dns" / 3600]
#   REMIND_SECONDS  repeat a standing alert after                       [86400]
#   WEBHOOK_URL_FILE  a file holding the webhook URL (secret)           [unset: no webhook]
#   REPORT_MAILBOXES  digest: mailboxes that receive DMARC/TLS reports  [""]
set -uo pipefail
MODE="${1:-check}"
: "${MAIL_TO:?set MAIL_TO}"
: "${MAIL_FROM:?set MAIL_FROM}"
HOST_TAG="${HOST_TAG:-$(hostname -f 2>/dev/null || hostname)}"
ENGINE="${ENGINE:-docker}"
POSTFIX="${POSTFIX:-postfix}"
CHECKS_DIR="${CHECKS_DIR:-/srv/mail/bin/alerts/checks}"
STATE_DIR="${STATE_DIR:-/srv/mail/alerts/state}"
SLOW_CHECKS="${SLOW_CHECKS:-blocklists dns}"
SLOW_SECONDS="${SLOW_SECONDS:-3600}"
REMIND_SECONDS="${REMIND_SECONDS:-86400}"
now=$(date +%s)
mkdir -p "$STATE_DIR"
exec 9>"$STATE_DIR/.lock"
flock -w 300 9 || { echo "run-alerts: another run holds $STATE_DIR/.lock" >&2; exit 1; }

run_checks() {
  local check name cache
  for check in "$CHECKS_DIR"/*.sh; do
    [ -e "$check" ] || continue
    name=$(basename "$check" .sh)
    cache="$STATE_DIR/output-$name"
    case " $SLOW_CHECKS " in
      *" $name "*)
        if [ -f "$cache" ] && [ $((now - $(stat -c %Y "$cache"))) -lt "$SLOW_SECONDS" ]; then cat "$cache"; continue; fi ;;
    esac
    bash "$check" > "$cache.tmp" 2>&1
    # A check that printed nothing at all could not run: that is an alert too.
    [ -s "$cache.tmp" ] || echo "ALERT check-$name the $name check printed nothing (run $check by hand)" > "$cache.tmp"
    mv -f "$cache.tmp" "$cache"
    cat "$cache"
  done
}

send_mail() { # subject body
  local to
  to=$(printf '%s' "$MAIL_TO" | sed 's/ /, /g')
  {
    printf 'From: mailstack alerts <%s>\nTo: %s\nSubject: %s\nDate: %s\nAuto-Submitted: auto-generated\nContent-Type: text/plain; charset=utf-8\nMIME-Version: 1.0\n\n%s\n' \
      "$MAIL_FROM" "$to" "$1" "$(date -R)" "$2"
  } | "$ENGINE" exec -i "$POSTFIX" sendmail -t -i -f "$MAIL_FROM"
}

post_webhook() { # text
  [ -n "${WEBHOOK_URL_FILE:-}" ] && [ -s "$WEBHOOK_URL_FILE" ] || return 0
  local json
  json=$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/ /g' | awk 'BEGIN { ORS = "\\n" } { print }')
  # The URL is read by curl from a config file, never put on a command line (it holds a token).
  printf 'url = "%s"\n' "$(cat "$WEBHOOK_URL_FILE")" |
    curl -fsS -m 20 -K - -H 'Content-Type: application/json' --data-binary "{\"text\": \"$json\"}" -o /dev/null ||
    echo "run-alerts: the webhook did not accept the alert" >&2
}

if [ "$MODE" = digest ]; then
  results=$(run_checks)
  body="Weekly summary of $HOST_TAG ($(date -u +%F)).

Checks now:
$(printf '%s\n' "$results" | sed -e 's/^OK [^ ]* /  ok     /' -e 's/^ALERT [^ ]* /  ALERT  /')

Alerts mailed this week:
$(awk -v since=$((now - 7 * 86400)) -F'\t' '$1 >= since { print "  " strftime("%F %H:%M", $1) "  " $2 }' "$STATE_DIR/history" 2>/dev/null || true)
"
  if [ -n "${REPORT_MAILBOXES:-}" ]; then
    body="$body
DMARC and TLS reports received this week (npm run reports -- --stack <name> reads them):
"
    for mb in $REPORT_MAILBOXES; do
      n=$("$ENGINE" exec dovecot doveadm search -u "$mb" mailbox INBOX SINCE "$(date -u -d '7 days ago' +%d-%b-%Y)" 2>/dev/null | wc -l)
      body="$body  $mb: $n messages
"
    done
  fi
  send_mail "[mailstack] $HOST_TAG: weekly summary" "$body" || { echo "run-alerts: the digest could not be mailed" >&2; exit 1; }
  exit 0
fi

results=$(run_checks)
printf '%s\n' "$results"
active="$STATE_DIR/active"
touch "$active"
current=$(printf '%s\n' "$results" | awk '$1 == "ALERT" { key = $2; $1 = ""; $2 = ""; sub(/^  /, ""); print key "\t" $0 }')
# Lines of the second input whose key (first field) is not in the first input. (FNR == NR would
# misfire when the first input is empty: it has no records.)
not_in() { awk -F'\t' -v out="${3:-all}" -v first="$1" 'FILENAME == first { if ($1 != "") seen[$1] = 1; next } $1 != "" && !($1 in seen) { print (out == "all" ? $0 : $1 "\t" $4) }' "$1" "$2"; }
new=$(not_in "$active" <(printf '%s\n' "$current"))
cleared=$(not_in <(printf '%s\n' "$current") "$active" text)
last_sent=$(cat "$STATE_DIR/last-sent" 2>/dev/null || echo 0)
remind=0
if [ -n "$current" ] && [ $((now - last_sent)) -ge "$REMIND_SECONDS" ]; then remind=1; fi

if [ -z "$new" ] && [ -z "$cleared" ] && [ "$remind" = 0 ] && [ ! -f "$STATE_DIR/unsent" ]; then exit 0; fi

count=$(printf '%s\n' "$current" | grep -c . || true)
if [ "$count" -gt 0 ]; then subject="[mailstack] $HOST_TAG: $count problem$([ "$count" = 1 ] || echo s)"; else subject="[mailstack] $HOST_TAG: all clear"; fi
body=""
[ -n "$new" ] && body="${body}New:
$(printf '%s\n' "$new" | cut -f2- | sed 's/^/  - /')

"
still=$(not_in <(printf '%s\n' "$new") <(printf '%s\n' "$current"))
[ -n "$still" ] && body="${body}Still:
$(printf '%s\n' "$still" | cut -f2- | sed 's/^/  - /')

"
[ -n "$cleared" ] && body="${body}Resolved:
$(printf '%s\n' "$cleared" | cut -f2- | sed 's/^/  - /')

"
body="${body}(checks run every 5 minutes on $HOST_TAG; journalctl -u mailstack-alerts shows each run)"

# State first: the next run compares with what this run saw, whatever the delivery.
printf '%s\n' "$current" | awk -F'\t' -v now="$now" 'NF >= 2 { print $1 "\t" now "\t" now "\t" $2 }' > "$active.tmp"
mv -f "$active.tmp" "$active"
printf '%s\t%s\n' "$now" "$subject" >> "$STATE_DIR/history"
post_webhook "$subject
$body"
if send_mail "$subject" "$body"; then
  echo "$now" > "$STATE_DIR/last-sent"
  rm -f "$STATE_DIR/unsent"
else
  echo "run-alerts: could not hand the alert mail to Postfix; retried on the next run" >&2
  touch "$STATE_DIR/unsent"
  exit 1
fi
