// Counting delivered mail on disk: messages in new/ and cur/ of every folder of the given Maildirs
// (INBOX and the dot-folders such as .Junk, where Sieve may file spam). Reading the directories is
// the only way to see "delivered" without asking Dovecot, which is itself under test.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

function countDir(dir: string): number {
  try {
    return readdirSync(dir).length;
  } catch {
    return 0; // not created yet: Dovecot makes it on first delivery
  }
}

export function countMaildir(maildir: string): number {
  if (!existsSync(maildir)) return 0;
  let n = countDir(join(maildir, "new")) + countDir(join(maildir, "cur"));
  for (const e of readdirSync(maildir, { withFileTypes: true })) {
    if (e.isDirectory() && e.name.startsWith(".")) n += countDir(join(maildir, e.name, "new")) + countDir(join(maildir, e.name, "cur"));
  }
  return n;
}

export const countAll = (maildirs: string[]): number => maildirs.reduce((sum, m) => sum + countMaildir(m), 0);
