#!/bin/bash
# snapshot-maildirs.sh SRC DST: a point-in-time copy of the maildirs under SRC as hard links in DST
# (same filesystem: no data is copied, so 10 000 messages take about a second), which restic then
# reads at its own pace while Dovecot keeps delivering and moving mail in SRC.
#
# Why not let restic read SRC directly: restic walks a folder's entries in sorted order, cur/
# before new/. When a client opens a mailbox, Dovecot renames new/<msg> to cur/<msg>:2,<flags>; a
# rename that falls between the walk of cur/ and the walk of new/ puts the message in neither, and
# a message that existed before the backup started would be missing from it. Flag changes rename
# within cur/ with the same risk.
#
# How this avoids it: `cp -al` links the whole tree first; then, per maildir folder, a repair pass
# lists new/ BEFORE cur/ (Dovecot only ever moves new -> cur, never back), so a message is in one of
# the two listings, compares base names (the part before ":2,") with what the copy holds, and links
# whatever is missing under its current name. A name that vanished between listing and linking
# (another rename) is found again on the next attempt. Messages still being written (tmp/) are not
# delivered yet and are left out; Dovecot's index and cache files are rebuilt from the maildir on
# restore and are excluded by the backup (they change in place). Exit 1 only when a folder could
# not be completed after 5 attempts.
set -euo pipefail
src=${1:?usage: snapshot-maildirs.sh SRC DST}
dst=${2:?usage: snapshot-maildirs.sh SRC DST}

rm -rf "$dst"
mkdir -p "$dst"
[ -d "$src" ] || exit 0
# Files that vanish during the copy make cp complain and exit 1; the repair pass below decides.
cp -al "$src/." "$dst/" 2>/dev/null || true
find "$dst" -path '*/tmp/*' -type f -delete

bases() { sed -e 's/:2,.*$//' -e 's/^\(cur\|new\)\///' | sort -u; }

status=0
while IFS= read -r -d '' cur; do
  folder=${cur%/cur}
  rel=${folder#"$src"}
  [ -d "$folder/new" ] || continue
  mkdir -p "$dst$rel/cur" "$dst$rel/new"
  done_ok=0
  for _ in 1 2 3 4 5; do
    listing=$( { (cd "$folder/new" && find . -maxdepth 1 -type f -printf 'new/%P\n'); (cd "$folder/cur" && find . -maxdepth 1 -type f -printf 'cur/%P\n'); } 2>/dev/null || true)
    have=$( { (cd "$dst$rel/new" && find . -maxdepth 1 -type f -printf '%P\n'); (cd "$dst$rel/cur" && find . -maxdepth 1 -type f -printf '%P\n'); } | bases)
    missing=$(printf '%s\n' "$listing" | grep -v '^$' | awk -v have="$have" '
      BEGIN { n = split(have, h, "\n"); for (i = 1; i <= n; i++) seen[h[i]] = 1 }
      { b = $0; sub(/^(cur|new)\//, "", b); sub(/:2,.*$/, "", b); if (!(b in seen)) print $0 }' || true)
    if [ -z "$missing" ]; then done_ok=1; break; fi
    while IFS= read -r entry; do
      ln "$folder/$entry" "$dst$rel/$entry" 2>/dev/null || true
    done <<< "$missing"
  done
  if [ "$done_ok" -ne 1 ]; then
    echo "snapshot-maildirs: $rel kept changing; some messages may be missing from this snapshot" >&2
    status=1
  fi
done < <(find "$src" -type d -name cur -print0)
exit "$status"
