// `npm run reports -- (--stack <name> | --local) [--days 7] [--json]`: the DMARC aggregate and
// TLS-RPT reports the stack's domains received, summarised per domain (tools/reports/summary.ts).
// The reports are read where they are delivered: from the mailboxes behind every domain's rua and
// TLS-RPT address, with `doveadm fetch` in the Dovecot container (on the VM over SSH, or locally),
// so no mailbox password is needed and a password a user changed does not matter. Reports of the
// last --days are summarised; the 60 days before tell which senders are already known.
import { readFileSync, existsSync } from "node:fs";
import { parseArgs } from "node:util";
import type { MailConfig } from "../../components/core/config/config";
import { loadStackConfig, loadStackFile } from "../../components/core/config/stackFile";
import { reportMailboxes } from "../../components/core/remote/alerts";
import { STATE_DIR } from "../../local/endpoints";
import { statePaths } from "../../local/state";
import { EXIT, runCli, UsageError, wantsHelp } from "../cliKit";
import { targetFrom, type Target } from "../ops/target";
import { reportsFromMessage, type Report } from "./parse";
import { formatSummary, summarize } from "./summary";

export const USAGE = `usage: npm run reports -- (--stack <name> | --local) [--days <n>] [--json]
  Summarises the DMARC aggregate (rua) and TLS-RPT reports received in the last <n> days (7),
  per domain: reporters, volumes, pass/fail by DKIM and SPF alignment, the receivers' dispositions,
  sending sources, new senders failing alignment, and TLS session failures.
Exit codes: 0 printed, 1 reading the mailboxes failed, 2 bad usage.`;

/** Every message of the last `days` days in each mailbox's INBOX, raw, through doveadm. */
export async function fetchReportMail(target: Target, users: readonly string[], days: number): Promise<Buffer[]> {
  if (users.length === 0) return [];
  const inner = [
    'for u in "$@"; do',
    '  doveadm search -u "$u" mailbox INBOX SINCE "$SINCE" | while read -r guid uid; do',
    '    doveadm -f pager fetch -u "$u" text mailbox-guid "$guid" uid "$uid" | base64 -w0; echo',
    "  done",
    "done",
  ].join("\n");
  const script = `"$ENGINE" exec -e SINCE="$SINCE" "$DOVECOT" sh -c '${inner.replace(/'/g, `'\\''`)}' sh ${users.map((u) => `'${u.replace(/'/g, "")}'`).join(" ")}\n`;
  const since = new Date(Date.now() - days * 86400000).toISOString().slice(0, 10);
  const r = await target.run(script, { ENGINE: target.engine, DOVECOT: `${target.prefix}dovecot`, SINCE: since });
  if (r.code !== 0) throw new Error(`reading the report mailboxes on ${target.describe} failed:\n${r.stderr.trim()}`);
  return r.stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      // doveadm's pager format: "text:" on its own line, the message, then a form feed.
      const text = Buffer.from(l, "base64").toString("latin1");
      return Buffer.from(text.replace(/^text:\r?\n/, "").replace(/\n?\f\n?$/, ""), "latin1");
    });
}

export async function reportsMain(argv: string[], out: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Promise<number> {
  if (wantsHelp(argv)) {
    out(USAGE);
    return EXIT.ok;
  }
  let p;
  try {
    p = parseArgs({ args: argv, strict: true, options: { stack: { type: "string" }, local: { type: "boolean" }, days: { type: "string" }, json: { type: "boolean" } } });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const days = p.values.days === undefined ? 7 : Number(p.values.days);
  if (!Number.isInteger(days) || days < 1 || days > 366) throw new UsageError(`--days must be a whole number of days from 1 to 366, not ${p.values.days}`);
  const target = targetFrom(p.values);
  let cfg: MailConfig;
  if (p.values.local === true) {
    const run = statePaths(STATE_DIR).stackFile;
    if (!existsSync(run)) throw new UsageError("the local stack is not running: npm run local -- up");
    cfg = loadStackFile((JSON.parse(readFileSync(run, "utf8")) as { file: string }).file);
  } else cfg = loadStackConfig(p.values.stack!);
  const users = reportMailboxes(cfg);
  const messages = await fetchReportMail(target, users, days + 60);
  const reports: Report[] = [];
  const problems: string[] = [];
  for (const m of messages) {
    const r = await reportsFromMessage(m);
    reports.push(...r.reports);
    problems.push(...r.problems);
  }
  const since = Math.floor(Date.now() / 1000) - days * 86400;
  const summaries = summarize(reports, since, cfg.domains.map((d) => d.name));
  if (p.values.json === true) out(JSON.stringify({ days, mailboxes: users, summaries, problems }, null, 2));
  else {
    out(`Reports received by ${users.join(", ") || "(no local report mailbox)"} in the last ${days} days\n`);
    out(formatSummary(summaries, days));
    for (const pr of problems) out(`unreadable attachment: ${pr}`);
  }
  return EXIT.ok;
}

if (require.main === module) runCli("reports", () => reportsMain(process.argv.slice(2)));
