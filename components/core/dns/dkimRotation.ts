// Which earlier DKIM selectors (mailstack:dkimPrevious) are past their day and may be removed from
// the config. The program itself reads no clock (a preview must not change with the date), so this
// judgement is the operator's, or a scheduled job's, with the date handed in. Pure.
import type { MailConfig, PreviousDkimKey } from "../config/config";

/** Entries whose `until` day is before `today` (YYYY-MM-DD, UTC): their records may go. */
export function expiredDkimKeys(cfg: Pick<MailConfig, "dkimPrevious">, today: string): PreviousDkimKey[] {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today)) throw new Error(`"${today}" is not a date; expected YYYY-MM-DD`);
  // ISO dates compare as text.
  return cfg.dkimPrevious.filter((k) => k.until < today);
}
