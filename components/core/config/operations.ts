// The operations part of a stack's configuration: `mailstack:backup` (where and when restic backs
// the volume up, and how long snapshots are kept), `mailstack:alerts` (who is told when something
// is about to break, and the thresholds) and `mailstack:reports` (the DMARC aggregate reports the
// stack sends). Kept apart from config.ts so the mail settings and the operations settings can
// change independently; config.ts only plugs the schemas in and calls `normaliseOperations`.
// Owns the defaults of these keys (OPERATIONS_DEFAULTS, part of DEFAULTS) and every rule about
// them. Pure: no Pulumi, no I/O; the secrets are judged by presence only, never by value.
import { z } from "zod";
import { mailAddress } from "./names";

const text = (what: string) => z.string({ error: `must be ${what}` });
const wholeNumber = (min: number, max: number, what: string) => {
  const error = `must be ${what}, a whole number from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const mapping = <T extends z.core.$ZodLooseShape>(shape: T, what: string) => z.strictObject(shape, { error: `must be a mapping with ${what}` });

/** Secrets (`pulumi config set --secret mailstack:<key>`) the operations settings need. */
export const OPERATIONS_SECRET_KEYS = {
  /** restic's repository password: without it no snapshot can be read, so keep a copy offline. */
  backupPassword: "backupPassword",
  /** S3-compatible object storage (Hetzner Object Storage, ...): access key id and secret key. */
  backupAccessKeyId: "backupAccessKeyId",
  backupSecretAccessKey: "backupSecretAccessKey",
  /** SFTP (a Hetzner Storage Box, ...): the private key that logs in (OpenSSH format). */
  backupSshKey: "backupSshKey",
  /** REST server with HTTP basic auth: the password for backup.restUsername. */
  backupRestPassword: "backupRestPassword",
  /** A webhook (Slack, Mattermost, ntfy, ...) that receives every alert as JSON; its URL holds a token. */
  alertWebhookUrl: "alertWebhookUrl",
} as const;
export type OperationsSecret = keyof typeof OPERATIONS_SECRET_KEYS;

export const OPERATIONS_DEFAULTS = {
  /** Times of day (UTC) a backup starts. */
  backupSchedule: ["02:30"] as readonly string[],
  /** restic forget --keep-daily / --keep-weekly / --keep-monthly. */
  backupKeepDaily: 7,
  backupKeepWeekly: 5,
  backupKeepMonthly: 12,
  /** Hours a backup may be late (after the longest gap of its schedule) before it alerts. */
  backupGraceHours: 6,
  alertCertificateDays: 14,
  alertQueueMessages: 100,
  alertQueueAgeHours: 6,
  alertDiskPercent: 80,
  /** Checked for both addresses of the server; each answers 127.0.0.x for a listed address. */
  alertBlocklists: ["zen.spamhaus.org", "bl.spamcop.net", "psbl.surriel.com"] as readonly string[],
  /** The day the weekly digest (DMARC/TLS reports received, backups, alerts of the week) goes out. */
  alertDigestWeekday: "monday" as Weekday,
  /** Rspamd sends DMARC aggregate reports for the mail our domains receive. */
  reportsSendDmarc: true,
};

export const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The kinds of restic repository a stack can back up to, by the prefix restic uses. */
export type RepositoryKind = "s3" | "sftp" | "rest";

const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

export const backupSchema = mapping(
  {
    /** restic repository: s3:https://host/bucket[/path], sftp:user@host:/path (or sftp://user@host:port//path), rest:https://host[:port]/path */
    repository: text("a restic repository such as s3:https://fsn1.your-objectstorage.com/acme-mail-backups"),
    schedule: z
      .array(text('a time of day in UTC such as "02:30"'), { error: 'must be a list of times of day in UTC, such as ["02:30"]' })
      .min(1, { error: 'needs at least one time of day, such as ["02:30"]' })
      .optional(),
    retention: mapping(
      {
        daily: wholeNumber(1, 366, "the number of daily snapshots kept").optional(),
        weekly: wholeNumber(0, 520, "the number of weekly snapshots kept").optional(),
        monthly: wholeNumber(0, 240, "the number of monthly snapshots kept").optional(),
      },
      "daily, weekly and monthly",
    ).optional(),
    /** SFTP only: the server's host key as a known_hosts line; never trusted on first use. */
    sftpKnownHosts: text("the SFTP server's host key as a known_hosts line ([host]:port ssh-ed25519 AAAA...)").optional(),
    /** REST server only: the HTTP basic-auth user (its password is the secret backupRestPassword). */
    restUsername: text("the REST server's user name").optional(),
  },
  "repository (and optionally schedule, retention, sftpKnownHosts, restUsername)",
);

export const alertsSchema = mapping(
  {
    mailTo: z.array(text("a mail address"), { error: "must be a list of mail addresses" }).min(1, { error: "needs at least one address" }).optional(),
    certificateDays: wholeNumber(1, 60, "days before a certificate expires that it alerts").optional(),
    queueMessages: wholeNumber(1, 1_000_000, "the number of queued messages that alerts").optional(),
    queueAgeHours: wholeNumber(1, 240, "the age in hours of the oldest queued message that alerts").optional(),
    diskPercent: wholeNumber(10, 99, "the disk usage in percent that alerts").optional(),
    backupGraceHours: wholeNumber(1, 168, "hours a backup may be late before it alerts").optional(),
    blocklists: z.array(text("a DNS blocklist zone such as zen.spamhaus.org"), { error: "must be a list of DNS blocklist zones" }).optional(),
    digestWeekday: z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(", ")}` }).optional(),
  },
  "mailTo, certificateDays, queueMessages, queueAgeHours, diskPercent, backupGraceHours, blocklists, digestWeekday",
);

export const reportsSchema = mapping(
  {
    sendDmarc: z.boolean({ error: "must be true (send DMARC aggregate reports for the mail we receive) or false" }).optional(),
  },
  "sendDmarc",
);

export interface BackupConfig {
  repository: string;
  kind: RepositoryKind;
  /** "HH:MM" in UTC, sorted, unique. @default OPERATIONS_DEFAULTS.backupSchedule (["02:30"]) */
  schedule: string[];
  retention: { daily: number; weekly: number; monthly: number };
  sftpKnownHosts?: string;
  restUsername?: string;
}

export interface AlertsConfig {
  /** @default [acmeEmail] */
  mailTo: string[];
  certificateDays: number;
  queueMessages: number;
  queueAgeHours: number;
  diskPercent: number;
  backupGraceHours: number;
  blocklists: string[];
  digestWeekday: Weekday;
}

export interface ReportsConfig {
  sendDmarc: boolean;
}

export interface OperationsConfig {
  /** Absent: the stack takes no backups (a warning at every parse says so). */
  backup?: BackupConfig;
  alerts: AlertsConfig;
  reports: ReportsConfig;
}

type Loose<T> = T extends (infer U)[] ? (Loose<U> | undefined)[] : T extends object ? { [K in keyof T]?: Loose<T[K]> } : T;
export interface RawOperations {
  backup?: Loose<z.output<typeof backupSchema>>;
  alerts?: Loose<z.output<typeof alertsSchema>>;
  reports?: Loose<z.output<typeof reportsSchema>>;
}

type Problem = (path: (string | number)[], message: string) => void;

/** The kind of a restic repository string, or why it is not one this stack can use. */
export function repositoryKind(repo: string): { ok: true; kind: RepositoryKind } | { ok: false; reason: string } {
  const r = repo.trim();
  const examples =
    "s3:https://fsn1.your-objectstorage.com/<bucket>/<path> (S3-compatible object storage), " +
    "sftp:<user>@<host>:/<path> or sftp://<user>@<host>:23//<path> (a Storage Box), rest:https://<host>/<path> (a REST server)";
  if (r.startsWith("s3:")) {
    if (!/^s3:https:\/\/[^/\s]+\/[^/\s]+/.test(r)) return { ok: false, reason: `"${repo}" is not s3:https://<endpoint>/<bucket>[/<path>] (HTTPS only: the repository is reached over the internet)` };
    return { ok: true, kind: "s3" };
  }
  if (r.startsWith("sftp:")) {
    if (!/^sftp:(\/\/[^@/\s]+@[^/\s:]+(:\d+)?\/\/?\S+|[^@/\s]+@[^/\s:]+:\S+)$/.test(r)) return { ok: false, reason: `"${repo}" is not sftp:<user>@<host>:/<path> or sftp://<user>@<host>:<port>//<path>` };
    return { ok: true, kind: "sftp" };
  }
  if (r.startsWith("rest:")) {
    if (/^rest:https?:\/\/[^/\s]*:[^@/\s]*@/.test(r)) return { ok: false, reason: `"${r.replace(/:[^:@/\s]*@/, ":***@")}" has a password in the URL, which would be stored in plain text; set backup.restUsername and the secret mailstack:backupRestPassword instead` };
    if (!/^rest:https:\/\/[^/\s]+(\/\S*)?$/.test(r)) return { ok: false, reason: `"${repo}" is not rest:https://<host>[:<port>]/<path> (HTTPS only)` };
    return { ok: true, kind: "rest" };
  }
  if (r.startsWith("/") || r.startsWith("local:")) {
    return { ok: false, reason: `"${repo}" is a folder on the server itself, which is lost with the server; use ${examples}` };
  }
  return { ok: false, reason: `"${repo}" is not a restic repository this stack can use; use ${examples}` };
}

/** Seconds between the furthest-apart consecutive backup times (24 h for one time a day). */
export function longestScheduleGapSeconds(schedule: readonly string[]): number {
  const mins = [...new Set(schedule)].map((t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5))).sort((a, b) => a - b);
  if (mins.length <= 1) return 24 * 3600;
  let gap = mins[0] + 24 * 60 - mins[mins.length - 1];
  for (let i = 1; i < mins.length; i++) gap = Math.max(gap, mins[i] - mins[i - 1]);
  return gap * 60;
}

/** The age (seconds) of the last successful backup beyond which the backup alert fires. */
export function backupMaxAgeSeconds(backup: Pick<BackupConfig, "schedule">, alerts: Pick<AlertsConfig, "backupGraceHours">): number {
  return longestScheduleGapSeconds(backup.schedule) + alerts.backupGraceHours * 3600;
}

export interface OperationsContext {
  acmeEmail: string;
  /**
   * Secrets set for the stack (by key), judged by presence only. Undefined: the caller cannot
   * know them (a test parsing a config object), and their presence is not judged.
   */
  secretsSet: ReadonlySet<string> | undefined;
}

/** What `pulumi up` and the tools warn about a valid config (not an error: the operator's choice). */
export function operationsWarnings(cfg: OperationsConfig): string[] {
  return cfg.backup === undefined ? ["mailstack:backup is not set: this stack takes no backups. Set mailstack:backup.repository (README: Operations, backups)"] : [];
}

export function normaliseOperations(raw: RawOperations, ctx: OperationsContext, problem: Problem): OperationsConfig {
  const D = OPERATIONS_DEFAULTS;
  const secret = (k: OperationsSecret) => ctx.secretsSet === undefined || ctx.secretsSet.has(OPERATIONS_SECRET_KEYS[k]);
  const setSecret = (k: OperationsSecret, what: string) => `pulumi config set --secret mailstack:${OPERATIONS_SECRET_KEYS[k]} (${what})`;

  let backup: BackupConfig | undefined;
  if (raw.backup !== undefined) {
    const b = raw.backup;
    let kind: RepositoryKind | undefined;
    if (b.repository !== undefined) {
      const k = repositoryKind(b.repository);
      if (!k.ok) problem(["backup", "repository"], k.reason);
      else kind = k.kind;
    }
    const schedule: string[] = [];
    (b.schedule ?? D.backupSchedule).forEach((t, i) => {
      if (t === undefined) return;
      if (!TIME_OF_DAY.test(t.trim())) return problem(["backup", "schedule", i], `"${t}" is not a time of day in UTC as HH:MM, such as "02:30"`);
      schedule.push(t.trim());
    });
    const needs: string[] = [];
    if (!secret("backupPassword")) needs.push(setSecret("backupPassword", "restic's repository password; keep a copy outside Pulumi too"));
    if (kind === "s3" && !(secret("backupAccessKeyId") && secret("backupSecretAccessKey"))) {
      needs.push(setSecret("backupAccessKeyId", "the S3 access key"), setSecret("backupSecretAccessKey", "the S3 secret key"));
    }
    if (kind === "sftp") {
      if (!secret("backupSshKey")) needs.push(setSecret("backupSshKey", "the private key the SFTP server accepts"));
      if (b.sftpKnownHosts === undefined) problem(["backup", "sftpKnownHosts"], "an SFTP repository needs the server's host key as a known_hosts line (ssh-keyscan -p 23 <host>); it is never trusted on first use");
    }
    if (kind === "rest" && b.restUsername !== undefined && !secret("backupRestPassword")) needs.push(setSecret("backupRestPassword", "the REST server's password"));
    if (b.sftpKnownHosts !== undefined && kind !== undefined && kind !== "sftp") problem(["backup", "sftpKnownHosts"], `only an sftp: repository uses it; this one is ${kind}:`);
    if (b.restUsername !== undefined && kind !== undefined && kind !== "rest") problem(["backup", "restUsername"], `only a rest: repository uses it; this one is ${kind}:`);
    if (b.sftpKnownHosts !== undefined && (/[\r\n]/.test(b.sftpKnownHosts) || !/^\S+\s+(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521))\s+[A-Za-z0-9+/=]+$/.test(b.sftpKnownHosts.trim()))) {
      problem(["backup", "sftpKnownHosts"], "must be one known_hosts line: <host or [host]:port> <key type> <base64 key>");
    }
    if (needs.length > 0) problem(["backup"], `a backup needs its secrets: ${needs.join("; ")}`);
    backup = {
      repository: b.repository?.trim() ?? "",
      kind: kind ?? "s3",
      schedule: [...new Set(schedule)].sort(),
      retention: {
        daily: b.retention?.daily ?? D.backupKeepDaily,
        weekly: b.retention?.weekly ?? D.backupKeepWeekly,
        monthly: b.retention?.monthly ?? D.backupKeepMonthly,
      },
      ...(b.sftpKnownHosts !== undefined ? { sftpKnownHosts: b.sftpKnownHosts.trim() } : {}),
      ...(b.restUsername !== undefined ? { restUsername: b.restUsername } : {}),
    };
  }

  const a = raw.alerts ?? {};
  const mailTo: string[] = [];
  (a.mailTo ?? [ctx.acmeEmail]).forEach((m, i) => {
    if (m === undefined || m === "") return;
    const addr = mailAddress(m);
    if (!addr.ok) return problem(["alerts", "mailTo", i], addr.reason);
    mailTo.push(addr.value.address);
  });
  const blocklists: string[] = [];
  (a.blocklists ?? D.alertBlocklists).forEach((z, i) => {
    if (z === undefined) return;
    const name = z.trim().toLowerCase().replace(/\.$/, "");
    if (!DNS_NAME.test(name)) return problem(["alerts", "blocklists", i], `"${z}" is not a DNS zone name such as zen.spamhaus.org`);
    blocklists.push(name);
  });
  const alerts: AlertsConfig = {
    mailTo: [...new Set(mailTo)].sort(),
    certificateDays: a.certificateDays ?? D.alertCertificateDays,
    queueMessages: a.queueMessages ?? D.alertQueueMessages,
    queueAgeHours: a.queueAgeHours ?? D.alertQueueAgeHours,
    diskPercent: a.diskPercent ?? D.alertDiskPercent,
    backupGraceHours: a.backupGraceHours ?? D.backupGraceHours,
    blocklists: [...new Set(blocklists)],
    digestWeekday: a.digestWeekday ?? D.alertDigestWeekday,
  };
  const reports: ReportsConfig = { sendDmarc: raw.reports?.sendDmarc ?? D.reportsSendDmarc };
  return { ...(backup !== undefined ? { backup } : {}), alerts, reports };
}
