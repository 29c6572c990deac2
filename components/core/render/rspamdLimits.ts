// Rspamd's local.d/ratelimit.conf: one leaky bucket per limit kind (messages and recipients, per
// hour and per day) and per distinct value, each keyed on the login (Rspamd's `user`) of the
// mailboxes that have that value. A mailbox whose own limit differs from the stack's gets a rule
// of its own; the stack's rule names it in a not_in() list, so every login is counted by exactly
// one rule of each kind. Pure: config in, text out.
import type { SendLimits } from "../config/abuse";
import type { MailConfig } from "../config/config";

interface Kind {
  key: keyof SendLimits;
  /** Part of the rule name and of the Valkey key, so the four buckets of one login never collide. */
  id: string;
  period: "1h" | "1d";
  counts: "messages" | "recipients";
}

const KINDS: readonly Kind[] = [
  { key: "messagesPerHour", id: "messages_hour", period: "1h", counts: "messages" },
  { key: "messagesPerDay", id: "messages_day", period: "1d", counts: "messages" },
  { key: "recipientsPerHour", id: "recipients_hour", period: "1h", counts: "recipients" },
  { key: "recipientsPerDay", id: "recipients_day", period: "1d", counts: "recipients" },
];

/** A selector argument: logins are validated addresses, so only the quote needs care. */
const quoted = (s: string) => `'${s.replace(/'/g, "")}'`;

/**
 * The `rates { }` body. Rspamd's ratelimit keeps one bucket per key value (ratelimit.lua
 * limit_to_prefixes), so every rule appends its own kind to the login: without it the four limits
 * of one mailbox would share one bucket.
 */
export function ratelimitRates(cfg: MailConfig): string {
  const rules: string[] = [];
  for (const kind of KINDS) {
    const stackValue = cfg.limits.send[kind.key];
    const own = cfg.mailboxes.filter((m) => m.sendLimits[kind.key] !== stackValue);
    const byValue = new Map<number, string[]>();
    for (const m of own) byValue.set(m.sendLimits[kind.key], [...(byValue.get(m.sendLimits[kind.key]) ?? []), m.address]);
    const rule = (name: string, selector: string, n: number) => {
      const per = kind.period === "1h" ? "hour" : "day";
      rules.push(
        [
          `  ${name} {`,
          `    selector = "${selector}.append(':${kind.id}')";`,
          "    bucket {",
          `      burst = ${n};`,
          `      rate = "${n} / ${kind.period}";`,
          ...(kind.counts === "messages" ? ["      skip_recipients = true;"] : []),
          `      message = "Sending limit reached: at most ${n} ${kind.counts} per ${per} for this mailbox; try again later";`,
          "    }",
          "  }",
        ].join("\n"),
      );
    };
    const others = own.map((m) => quoted(m.address));
    if (stackValue > 0) rule(`mailbox_${kind.id}`, others.length === 0 ? "user.lower" : `user.lower.not_in(${others.join(", ")})`, stackValue);
    for (const [n, addresses] of [...byValue].sort((a, b) => a[0] - b[0])) {
      // 0: no limit for these mailboxes; the stack's rule already leaves them out.
      if (n > 0) rule(`mailbox_${kind.id}_${n}`, `user.lower.in(${addresses.map(quoted).join(", ")})`, n);
    }
  }
  return rules.length === 0 ? "  # no limits: every value is 0" : rules.join("\n");
}
