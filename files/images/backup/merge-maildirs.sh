#!/bin/bash
# merge-maildirs.sh RESTORED LIVE [offline|online]: puts restored maildirs back without ever
# removing or replacing mail that is there now (a restore into a running server keeps everything
# that arrived since the backup). Per maildir folder (a folder with cur/ and new/):
#   - holding no message in LIVE: copied whole, with dovecot-uidlist (the same UIDs and
#     UIDVALIDITY, so mail clients keep their caches) and dovecot-keywords (keyword flags). Only
#     "offline" (Dovecot stopped: a whole restore) replaces a folder Dovecot already indexed, and
#     then removes its index files so Dovecot rebuilds them from the restored list; "online" (one
#     mailbox, Dovecot running) copies whole only folders Dovecot has never seen, because the
#     index of a running Dovecot remembers which UIDs were expunged;
#   - holding mail: each restored message whose base name (before ":2,") is not there is added to
#     cur/ with its flags; Dovecot gives it a new UID, as for any new message. Keyword letters are
#     translated through both dovecot-keywords files (a letter means a different keyword in
#     each folder's file), and keywords the live folder lacks are appended to its file.
# Other files (subscriptions, the Sieve folder's scripts) are copied only where LIVE has none.
# Owners and modes come from the restored copy (restic restores them). Dovecot must not be
# running on these folders while this runs (the restore stops it); afterwards it notices the new
# files by itself. Prints one line per folder it touched and a total.
set -euo pipefail
restored=${1:?usage: merge-maildirs.sh RESTORED LIVE}
live=${2:?usage: merge-maildirs.sh RESTORED LIVE [offline|online]}
mode=${3:-online}
[ -d "$restored" ] || { echo "merge-maildirs: nothing restored at $restored"; exit 0; }
mkdir -p "$live"

added_total=0
folders=0
# Non-maildir files first (subscriptions, dovecot-uidlist of folders copied whole below, ...):
# never overwrite.
(cd "$restored" && find . -type d) | while IFS= read -r d; do mkdir -p "$live/$d"; done
(cd "$restored" && find . -type d -exec stat -c '%u:%g %a %n' {} +) | while read -r own mode d; do
  chown "$own" "$live/$d" 2>/dev/null || true; chmod "$mode" "$live/$d" 2>/dev/null || true
done

while IFS= read -r -d '' cur; do
  folder=${cur%/cur}
  rel=${folder#"$restored"}
  [ -d "$folder/new" ] || continue
  target="$live$rel"
  mkdir -p "$target/cur" "$target/new" "$target/tmp"
  live_count=$(find "$target/cur" "$target/new" -maxdepth 1 -type f | wc -l)
  if [ "$live_count" -eq 0 ] && { [ "$mode" = offline ] || [ ! -e "$target/dovecot-uidlist" ]; }; then
    rm -f "$target"/dovecot.index* "$target/dovecot-uidlist"
    cp -a "$folder/." "$target/"
    n=$(find "$folder/cur" "$folder/new" -maxdepth 1 -type f | wc -l)
    echo "restored ${rel:-/} whole: $n messages"
    added_total=$((added_total + n)); folders=$((folders + 1))
    continue
  fi
  have=$(find "$target/cur" "$target/new" -maxdepth 1 -type f -printf '%f\n' | sed 's/:2,.*$//' | sort -u)
  # Keyword letters (a-z after ":2,") index the folder's dovecot-keywords ("<n> <name>" lines).
  src_kw="$folder/dovecot-keywords"; dst_kw="$target/dovecot-keywords"
  [ -f "$dst_kw" ] || : > "$dst_kw"
  n=0
  while IFS= read -r path; do
    name=${path##*/}
    base=${name%%:2,*}
    if printf '%s\n' "$have" | grep -qxF -- "$base"; then continue; fi
    newname=$name
    if [ "$name" != "$base" ] && [ -f "$src_kw" ]; then
      flags=${name#*:2,}
      newname="$base:2,$(printf '%s' "$flags" | awk -v src="$src_kw" -v dst="$dst_kw" '
        BEGIN {
          while ((getline l < src) > 0) { split(l, p, " "); sname[p[1]] = substr(l, length(p[1]) + 2) }
          max = -1
          while ((getline l < dst) > 0) { split(l, p, " "); didx[substr(l, length(p[1]) + 2)] = p[1]; if (p[1] + 0 > max) max = p[1] + 0 }
          letters = "abcdefghijklmnopqrstuvwxyz"
        }
        {
          out = ""
          for (i = 1; i <= length($0); i++) {
            c = substr($0, i, 1); k = index(letters, c)
            if (k == 0) { out = out c; continue }
            kw = sname[k - 1]; if (kw == "") continue
            if (!(kw in didx)) { max++; didx[kw] = max; print max " " kw >> dst }
            out = out substr(letters, didx[kw] + 1, 1)
          }
          # Maildir wants the flag letters sorted.
          m = split(out, chars, ""); s = ""
          for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (chars[j] < chars[i]) { t = chars[i]; chars[i] = chars[j]; chars[j] = t }
          for (i = 1; i <= m; i++) s = s chars[i]
          printf "%s", s
        }')"
    fi
    cp -a "$path" "$target/cur/$newname"
    n=$((n + 1))
  done < <(find "$folder/cur" "$folder/new" -maxdepth 1 -type f)
  if [ "$n" -gt 0 ]; then echo "restored ${rel:-/}: $n messages added beside $live_count"; fi
  added_total=$((added_total + n)); folders=$((folders + 1))
done < <(find "$restored" -type d -name cur -print0)

# Everything else that is not part of a maildir folder: only where the live side has nothing.
(cd "$restored" && find . -type f ! -path '*/cur/*' ! -path '*/new/*' ! -path '*/tmp/*' ! -name 'dovecot.index*' ! -name 'dovecot.list.index*') |
  while IFS= read -r f; do [ -e "$live/$f" ] || cp -a "$restored/$f" "$live/$f"; done
(cd "$restored" && find . -type l) | while IFS= read -r f; do [ -e "$live/$f" ] || [ -L "$live/$f" ] || cp -a "$restored/$f" "$live/$f"; done
echo "merge-maildirs: $added_total messages in $folders folders"
