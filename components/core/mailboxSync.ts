// STUB: owned by the mail-daemons work. The idempotent domains/mailboxes/aliases sync SQL.
import type { MailConfig } from "./config";
import type { MailboxPasswordHashes } from "./secrets";

export function mailboxSyncSql(_cfg: MailConfig, _hashes: MailboxPasswordHashes): string {
  return "";
}
