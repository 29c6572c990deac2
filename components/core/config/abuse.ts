// The abuse-resistance part of the stack config: `mailstack:limits` (what one mailbox may send,
// and what one client address may do to Postfix) and `mailstack:bans` (when a client address that
// keeps failing to log in is shut out, and for how long), plus the per-mailbox override
// `mailboxes[].limits`. Schema pieces for config.ts's schema, the defaults, and the checks that
// need more than the shape (a day limit below the hour limit, a maximum ban shorter than the
// first). Every problem goes to the caller's list, so it is reported with all the others. Pure:
// no Pulumi, no I/O; CIDR parsing is cidr.ts's (ipaddr.js).
import { z } from "zod";
import { sourceRange } from "./cidr";

const wholeNumber = (min: number, max: number, what: string) => {
  const error = `must be ${what}, a whole number from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const mapping = <T extends z.core.$ZodLooseShape>(shape: T, what: string) => z.strictObject(shape, { error: `must be a mapping with ${what}` });

/** A count per period where 0 means "no limit". */
const limitCount = (what: string) => wholeNumber(0, 1_000_000, `${what} (0: no limit)`).optional();

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const durationError = 'must be a duration such as "90s", "10m", "1h" or "2d" (or a number of seconds)';
const duration = z.union([z.string(), z.number()], { error: durationError }).optional();

/** "90s", "10m", "1h", "2d" or a number of seconds, in seconds; undefined when malformed. */
export function durationSeconds(v: string | number): number | undefined {
  if (typeof v === "number") return Number.isInteger(v) && v >= 0 ? v : undefined;
  const m = DURATION.exec(v.trim());
  return m === null ? undefined : Number(m[1]) * UNIT_SECONDS[m[2]];
}

/** Seconds as the shortest exact "90s" / "10m" / "1h" / "2d". */
export function durationText(seconds: number): string {
  for (const u of ["d", "h", "m"] as const) if (seconds > 0 && seconds % UNIT_SECONDS[u] === 0) return `${seconds / UNIT_SECONDS[u]}${u}`;
  return `${seconds}s`;
}

const sendLimitShape = {
  messagesPerHour: limitCount("messages per hour"),
  messagesPerDay: limitCount("messages per day"),
  recipientsPerHour: limitCount("recipients per hour"),
  recipientsPerDay: limitCount("recipients per day"),
};
const sendLimitWhat = "messagesPerHour, messagesPerDay, recipientsPerHour, recipientsPerDay";

/** mailboxes[].limits: the same keys as limits.send, each overriding the stack's value. */
export const mailboxLimitsSchema = mapping(sendLimitShape, sendLimitWhat).optional();

export const limitsSchema = mapping(
  {
    send: mapping(sendLimitShape, sendLimitWhat).optional(),
    smtp: mapping(
      {
        connectionsPerMinute: wholeNumber(0, 100_000, "new SMTP connections per client address per minute (0: no limit)").optional(),
        concurrentConnections: wholeNumber(0, 1000, "simultaneous SMTP connections per client address (0: no limit)").optional(),
        authPerMinute: wholeNumber(0, 100_000, "AUTH commands per client address per minute (0: no limit)").optional(),
      },
      "connectionsPerMinute, concurrentConnections, authPerMinute",
    ).optional(),
  },
  "send and smtp",
).optional();

export const bansSchema = mapping(
  {
    enabled: z.boolean({ error: "must be true or false" }).optional(),
    maxFailures: wholeNumber(1, 100, "the failed logins that ban a client address").optional(),
    findTime: duration,
    banTime: duration,
    maxBanTime: duration,
    ipv6Prefix: wholeNumber(32, 128, "the IPv6 prefix length a ban covers").optional(),
    ignore: z.array(z.string({ error: "must be an address or CIDR range" }), { error: "must be a list of addresses or CIDR ranges" }).optional(),
  },
  "enabled, maxFailures, findTime, banTime, maxBanTime, ipv6Prefix, ignore",
).optional();

/** Per authenticated mailbox; 0 means no limit. Counted by Rspamd's ratelimit module. */
export interface SendLimits {
  messagesPerHour: number;
  messagesPerDay: number;
  recipientsPerHour: number;
  recipientsPerDay: number;
}

/** Per client address, all SMTP ports (Postfix anvil); 0 means no limit. */
export interface SmtpLimits {
  connectionsPerMinute: number;
  concurrentConnections: number;
  authPerMinute: number;
}

export interface LimitsConfig {
  send: SendLimits;
  smtp: SmtpLimits;
}

export interface BansConfig {
  enabled: boolean;
  maxFailures: number;
  /** Seconds. */
  findTime: number;
  banTime: number;
  maxBanTime: number;
  ipv6Prefix: number;
  /** Normalised CIDRs that are never banned. */
  ignore: string[];
}

/**
 * Defaults, at least as strict as the anchors': Mailu allows 5 failed logins per hour per
 * address (AUTH_RATELIMIT_IP = 5/hour) and 200 messages a day per user (MESSAGE_RATELIMIT);
 * mailcow bans after 10 failures in 10 minutes for 30 minutes, doubling up to 10000 s
 * (netfilter F2B_*). Recipients: Gmail's 500 a day for a personal account is the yardstick a
 * phished account should not exceed. Postfix's anvil limits are off by default (0) in Postfix and
 * in every anchor; these stop one address from holding every smtpd process.
 */
export const LIMIT_DEFAULTS: LimitsConfig = {
  send: { messagesPerHour: 100, messagesPerDay: 200, recipientsPerHour: 200, recipientsPerDay: 500 },
  smtp: { connectionsPerMinute: 60, concurrentConnections: 20, authPerMinute: 30 },
};

export const BAN_DEFAULTS: BansConfig = {
  enabled: true,
  maxFailures: 5,
  findTime: 3600,
  banTime: 3600,
  maxBanTime: 86400,
  ipv6Prefix: 64,
  ignore: [],
};

type Problem = (path: (string | number)[], message: string) => void;
type Partialish<T> = { [K in keyof T]?: T[K] | undefined };

/**
 * A day limit smaller than the hour limit is a typo: the hour limit could never be reached.
 * `judged` limits the check to pairs where one of the two values was set there (a mailbox is not
 * blamed for the stack's own pair).
 */
function sendLimitProblems(l: SendLimits, path: (string | number)[], problem: Problem, judged?: Partialish<SendLimits>): void {
  for (const [hour, day] of [["messagesPerHour", "messagesPerDay"], ["recipientsPerHour", "recipientsPerDay"]] as const) {
    if (judged !== undefined && judged[hour] === undefined && judged[day] === undefined) continue;
    if (l[hour] > 0 && l[day] > 0 && l[day] < l[hour]) {
      problem([...path, day], `${l[day]} is smaller than ${hour} (${l[hour]}); the hourly limit could never be reached. Raise ${day} or lower ${hour}`);
    }
  }
}

export function normaliseLimits(raw: { send?: Partialish<SendLimits>; smtp?: Partialish<SmtpLimits> } | undefined, problem: Problem): LimitsConfig {
  const d = LIMIT_DEFAULTS;
  const send: SendLimits = {
    messagesPerHour: raw?.send?.messagesPerHour ?? d.send.messagesPerHour,
    messagesPerDay: raw?.send?.messagesPerDay ?? d.send.messagesPerDay,
    recipientsPerHour: raw?.send?.recipientsPerHour ?? d.send.recipientsPerHour,
    recipientsPerDay: raw?.send?.recipientsPerDay ?? d.send.recipientsPerDay,
  };
  sendLimitProblems(send, ["limits", "send"], problem);
  return {
    send,
    smtp: {
      connectionsPerMinute: raw?.smtp?.connectionsPerMinute ?? d.smtp.connectionsPerMinute,
      concurrentConnections: raw?.smtp?.concurrentConnections ?? d.smtp.concurrentConnections,
      authPerMinute: raw?.smtp?.authPerMinute ?? d.smtp.authPerMinute,
    },
  };
}

/** One mailbox's limits: the stack's, with the mailbox's own values over them. */
export function mailboxSendLimits(stack: SendLimits, own: Partialish<SendLimits> | undefined, index: number, problem: Problem): SendLimits {
  const l: SendLimits = {
    messagesPerHour: own?.messagesPerHour ?? stack.messagesPerHour,
    messagesPerDay: own?.messagesPerDay ?? stack.messagesPerDay,
    recipientsPerHour: own?.recipientsPerHour ?? stack.recipientsPerHour,
    recipientsPerDay: own?.recipientsPerDay ?? stack.recipientsPerDay,
  };
  // Judged only where the mailbox set something: the stack's own pair is reported once, above.
  if (own !== undefined) sendLimitProblems(l, ["mailboxes", index, "limits"], problem, own);
  return l;
}

const LIMITS_S = { findTime: [60, 7 * 86400], banTime: [10, 30 * 86400], maxBanTime: [10, 365 * 86400] } as const;

export function normaliseBans(
  raw: { enabled?: boolean; maxFailures?: number; findTime?: string | number; banTime?: string | number; maxBanTime?: string | number; ipv6Prefix?: number; ignore?: (string | undefined)[] } | undefined,
  problem: Problem,
): BansConfig {
  const d = BAN_DEFAULTS;
  const seconds = (key: keyof typeof LIMITS_S, fallback: number): number => {
    const v = raw?.[key];
    if (v === undefined) return fallback;
    const s = durationSeconds(v);
    const [min, max] = LIMITS_S[key];
    if (s === undefined) {
      problem(["bans", key], `${JSON.stringify(v)} ${durationError}`);
      return fallback;
    }
    if (s < min || s > max) {
      problem(["bans", key], `${JSON.stringify(v)} is outside ${durationText(min)} to ${durationText(max)}`);
      return fallback;
    }
    return s;
  };
  const banTime = seconds("banTime", d.banTime);
  const maxBanTime = seconds("maxBanTime", Math.max(d.maxBanTime, banTime));
  if (maxBanTime < banTime) {
    problem(["bans", "maxBanTime"], `${durationText(maxBanTime)} is shorter than banTime (${durationText(banTime)}); repeat offenders are banned for banTime, doubling up to maxBanTime`);
  }
  const ignore: string[] = [];
  (raw?.ignore ?? []).forEach((r, i) => {
    if (r === undefined) return;
    const c = sourceRange(r);
    if (!c.ok) return problem(["bans", "ignore", i], c.reason);
    ignore.push(c.value.cidr);
  });
  return {
    enabled: raw?.enabled ?? d.enabled,
    maxFailures: raw?.maxFailures ?? d.maxFailures,
    findTime: seconds("findTime", d.findTime),
    banTime,
    maxBanTime,
    ipv6Prefix: raw?.ipv6Prefix ?? d.ipv6Prefix,
    ignore: [...new Set(ignore)].sort(),
  };
}
