// The alerting on the VM as plain data: files/alerts/run-alerts.sh and the checks beside it
// installed under /srv/mail/bin/alerts/, their settings (/srv/mail/alerts/alerts.env, 0600: the
// webhook URL is a secret, kept in its own file), the DNS records the stack published (what the
// DNS check compares with), and systemd units: a 5-minute timer for the checks and a weekly one
// for the digest. Plus the shell script (for `sh -s` over SSH) that installs them, the two host
// tools the checks use (dig, curl) from Debian, and enables the timers. The same pattern as the
// certificate hook (certSync.ts): a remote command, triggered by the content hash and server id.
// Pure: reads files/alerts/, returns text. Never runs a check itself.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { MailConfig } from "../config/config";
import type { DnsRecord } from "../dns/dnsRecords";
import { rdata } from "../dns/zoneFile";
import { FILES_DIR } from "../paths";
import { activeServices, VOLUME_MOUNT } from "../topology";
import { oneLine } from "../render/quote";
import { atomicInstallLines } from "./heredoc";

export const ALERTS_BIN = `${VOLUME_MOUNT}/bin/alerts`;
export const ALERTS_DIR = `${VOLUME_MOUNT}/alerts`;
export const ALERTS_UNIT = "mailstack-alerts";
export const DIGEST_UNIT = "mailstack-digest";
/** Daily `rspamadm dmarc_report` (mailstack:reports.sendDmarc). */
export const DMARC_REPORT_UNIT = "mailstack-dmarc-report";
const UNIT_DIR = "/etc/systemd/system";

export interface AlertFiles {
  files: { path: string; content: string; mode: string }[];
  /** Changes exactly when one of the files changes. */
  contentHash: string;
  /** For `sh -s`: installs dig and curl when missing, the files, and enables both timers. */
  script: string;
}

/** One line per record, "<name> <type> <data>", as `dig +short` prints the data. */
export function expectedDnsLines(records: readonly DnsRecord<string>[]): string {
  return records.map((r) => `${r.name} ${r.type} ${rdata(r)}`).join("\n") + "\n";
}

/**
 * The local mailboxes that receive the domains' DMARC (rua) and TLS-RPT reports: report addresses
 * that are mailboxes, mailbox aliases, or aliases that deliver to mailboxes. Reports sent to an
 * outside address are read there.
 */
export function reportMailboxes(cfg: Pick<MailConfig, "domains" | "mailboxes" | "aliases">): string[] {
  const mailboxes = new Set(cfg.mailboxes.map((m) => m.address));
  const owner = new Map(cfg.mailboxes.flatMap((m) => m.aliases.map((al) => [al, m.address] as const)));
  const resolve = (a: string, seen = new Set<string>()): string[] => {
    if (mailboxes.has(a)) return [a];
    if (owner.has(a)) return [owner.get(a)!];
    if (seen.has(a)) return [];
    seen.add(a);
    const alias = cfg.aliases.find((x) => x.from === a) ?? cfg.aliases.find((x) => x.catchAll && a.endsWith(x.from));
    return alias === undefined ? [] : alias.to.flatMap((t) => resolve(t, seen));
  };
  return [...new Set(cfg.domains.flatMap((d) => [d.dmarc.reportTo, d.tlsRptTo]).flatMap((r) => resolve(r)))].sort();
}

const q = (v: string, what: string) => `'${oneLine(v, what).replace(/'/g, `'\\''`)}'`;

/** The runner's environment (alerts.env), for the checks and the mail it sends. */
export function alertsEnv(cfg: MailConfig, addresses: { ipv4: string; ipv6: string }): string {
  const a = cfg.alerts;
  const from = `postmaster@${cfg.domains[0]?.name ?? cfg.hostname}`;
  const reportBoxes = reportMailboxes(cfg);
  const lines = {
    MAIL_TO: a.mailTo.join(" "),
    MAIL_FROM: from,
    HOST_TAG: cfg.hostname,
    ENGINE: "docker",
    POSTFIX: "postfix",
    CHECKS_DIR: `${ALERTS_BIN}/checks`,
    STATE_DIR: `${ALERTS_DIR}/state`,
    TLS_DIR: `${VOLUME_MOUNT}/tls`,
    CERT_DAYS: String(a.certificateDays),
    QUEUE_MESSAGES: String(a.queueMessages),
    QUEUE_AGE_HOURS: String(a.queueAgeHours),
    DISK_PATHS: `${VOLUME_MOUNT} /`,
    DISK_PERCENT: String(a.diskPercent),
    EXPECTED: activeServices(cfg).join(" "),
    BACKUP_STATUS: `${VOLUME_MOUNT}/backup/status.json`,
    ADDRESSES: `${addresses.ipv4} ${addresses.ipv6}`,
    BLOCKLISTS: a.blocklists.join(" "),
    EXPECTED_FILE: `${ALERTS_DIR}/dns-expected.txt`,
    WEBHOOK_URL_FILE: `${ALERTS_DIR}/webhook-url`,
    REPORT_MAILBOXES: reportBoxes.join(" "),
  };
  const env = Object.entries(lines).map(([k, v]) => `${k}=${q(v, k)}`);
  return ["# Settings of files/alerts/run-alerts.sh and its checks; written by pulumi up.", ...env, ""].join("\n");
}

const service = (description: string, args: string) =>
  [
    "[Unit]",
    `Description=${description}`,
    `RequiresMountsFor=${VOLUME_MOUNT}`,
    "After=docker.service",
    "",
    "[Service]",
    "Type=oneshot",
    `EnvironmentFile=${ALERTS_DIR}/alerts.env`,
    `ExecStart=/bin/bash ${ALERTS_BIN}/run-alerts.sh ${args}`,
    "",
  ].join("\n");

const timer = (description: string, when: string[], unit: string) =>
  ["[Unit]", `Description=${description}`, "", "[Timer]", ...when, `Unit=${unit}.service`, "", "[Install]", "WantedBy=timers.target", ""].join("\n");

const WEEKDAY_SHORT: Record<string, string> = { monday: "Mon", tuesday: "Tue", wednesday: "Wed", thursday: "Thu", friday: "Fri", saturday: "Sat", sunday: "Sun" };

/** Only tests pass other folders. */
export interface AlertPaths {
  unitDir?: string;
}

export function alertFiles(cfg: MailConfig, addresses: { ipv4: string; ipv6: string }, records: readonly DnsRecord<string>[], webhookUrl: string | undefined, paths: AlertPaths = {}): AlertFiles {
  const unitDir = paths.unitDir ?? UNIT_DIR;
  const checks = readdirSync(join(FILES_DIR, "alerts", "checks"))
    .filter((f) => f.endsWith(".sh"))
    .sort()
    // No backups configured: nothing can be late.
    .filter((f) => f !== "backup.sh" || cfg.backup !== undefined);
  const files = [
    { path: `${ALERTS_BIN}/run-alerts.sh`, content: readFileSync(join(FILES_DIR, "alerts", "run-alerts.sh"), "utf8"), mode: "0755" },
    ...checks.map((c) => ({ path: `${ALERTS_BIN}/checks/${c}`, content: readFileSync(join(FILES_DIR, "alerts", "checks", c), "utf8"), mode: "0755" })),
    { path: `${ALERTS_DIR}/alerts.env`, content: alertsEnv(cfg, addresses), mode: "0600" },
    { path: `${ALERTS_DIR}/dns-expected.txt`, content: expectedDnsLines(records), mode: "0644" },
    ...(webhookUrl !== undefined ? [{ path: `${ALERTS_DIR}/webhook-url`, content: `${oneLine(webhookUrl, "mailstack:alertWebhookUrl")}\n`, mode: "0600" }] : []),
    { path: `${unitDir}/${ALERTS_UNIT}.service`, content: service(`Mail stack checks: certificates, queue, disk, containers, backups, blocklists, DNS; mails ${cfg.alerts.mailTo.join(", ")} on a change`, "check"), mode: "0644" },
    { path: `${unitDir}/${ALERTS_UNIT}.timer`, content: timer("Mail stack checks every 5 minutes", ["OnBootSec=10min", "OnUnitActiveSec=5min"], ALERTS_UNIT), mode: "0644" },
    { path: `${unitDir}/${DIGEST_UNIT}.service`, content: service("Mail stack weekly summary", "digest"), mode: "0644" },
    { path: `${unitDir}/${DIGEST_UNIT}.timer`, content: timer("Mail stack weekly summary", [`OnCalendar=${WEEKDAY_SHORT[cfg.alerts.digestWeekday]} *-*-* 07:00:00 UTC`, "Persistent=true"], DIGEST_UNIT), mode: "0644" },
    ...(cfg.reports.sendDmarc
      ? [
          {
            path: `${unitDir}/${DMARC_REPORT_UNIT}.service`,
            content: [
              "[Unit]",
              "Description=Send yesterday's DMARC aggregate reports (rspamadm dmarc_report)",
              "After=docker.service",
              "",
              "[Service]",
              "Type=oneshot",
              "ExecStart=/usr/bin/docker exec rspamd rspamadm dmarc_report",
              "",
            ].join("\n"),
            mode: "0644",
          },
          // Early in the UTC day: the reports cover the previous day, as receivers expect.
          { path: `${unitDir}/${DMARC_REPORT_UNIT}.timer`, content: timer("Daily DMARC aggregate reports", ["OnCalendar=*-*-* 00:20:00 UTC", "RandomizedDelaySec=30min", "Persistent=true"], DMARC_REPORT_UNIT), mode: "0644" },
        ]
      : []),
  ];
  const h = createHash("sha256");
  for (const f of files) h.update(`${f.path}\0${f.mode}\0${f.content}\0`);
  const lines = [
    "set -eu",
    // The checks ask DNS with dig and post webhooks with curl: Debian's, installed once.
    "if ! command -v dig >/dev/null || ! command -v curl >/dev/null; then",
    "  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bind9-dnsutils curl >/dev/null || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bind9-dnsutils curl >/dev/null; }",
    "fi",
    `install -d -m 0700 '${ALERTS_DIR}' '${ALERTS_DIR}/state'`,
  ];
  // A webhook removed from the config is removed from the host.
  if (webhookUrl === undefined) lines.push(`rm -f '${ALERTS_DIR}/webhook-url'`);
  lines.push(`rm -rf '${ALERTS_BIN}/checks.new'`);
  for (const f of files) lines.push(...atomicInstallLines(f));
  // Checks that are no longer part of the stack (backup.sh after backups were removed) go.
  const keep = checks.map((c) => `${c}`).join(" ");
  lines.push(
    `keep=' ${keep} '`,
    `for f in '${ALERTS_BIN}'/checks/*.sh; do case "$keep" in *" $(basename "$f") "*) ;; *) rm -f "$f" ;; esac; done`,
    ...(cfg.reports.sendDmarc
      ? []
      : [`systemctl disable --now ${DMARC_REPORT_UNIT}.timer 2>/dev/null || true`, `rm -f '${unitDir}/${DMARC_REPORT_UNIT}.service' '${unitDir}/${DMARC_REPORT_UNIT}.timer'`]),
    "systemctl daemon-reload",
    `systemctl enable --now ${ALERTS_UNIT}.timer ${DIGEST_UNIT}.timer${cfg.reports.sendDmarc ? ` ${DMARC_REPORT_UNIT}.timer` : ""}`,
  );
  return { files, contentHash: h.digest("hex"), script: lines.join("\n") + "\n" };
}
