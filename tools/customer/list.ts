// `npm run customer -- list [--org <org>]`: one line per customer stack file: its domains, its
// mailboxes (and how many are disabled), and its last deploy from `pulumi stack history` when the
// Pulumi CLI is installed ("unknown" otherwise, and when the backend cannot be asked). A stack
// file that does not validate, or a misnamed one, gets a line saying so instead of stopping the
// list. Reads stack files and runs read-only Pulumi commands only.
import { ConfigError } from "../../components/core/config/config";
import { loadStackConfig, StackFileError } from "../../components/core/config/stackFile";
import type { PulumiCli } from "../pulumiCli";
import { listCustomerStacks } from "../stackNames";

interface Row {
  stack: string;
  domains: string;
  mailboxes: string;
  lastDeploy: string;
}

/** The newest update of a stack, from `pulumi stack history --json` (newest first). */
export function lastDeploy(pulumi: PulumiCli | undefined, stackRef: string): string {
  if (pulumi === undefined) return "unknown (no Pulumi CLI)";
  const r = pulumi.capture(["stack", "history", "--stack", stackRef, "--json", "--page-size", "1"]);
  if (r.code !== 0) {
    const line = r.stderr.split("\n").find((l) => l.trim() !== "")?.trim() ?? `exit ${r.code}`;
    return /no stack named|not found/i.test(line) ? "never (no such stack in the backend)" : `unknown (${line.slice(0, 80)})`;
  }
  let updates: { kind?: string; result?: string; startTime?: string; endTime?: string }[];
  try {
    updates = JSON.parse(r.stdout || "[]") as typeof updates;
  } catch {
    return "unknown (unreadable history)";
  }
  const u = updates[0];
  if (u === undefined) return "never";
  const when = (u.endTime ?? u.startTime ?? "").replace(/\.\d+Z$/, "Z").replace("T", " ");
  return `${when} ${u.kind ?? "update"} ${u.result ?? ""}`.trim();
}

export function listCustomers(root: string, pulumi: PulumiCli | undefined, org?: string): string {
  const { stacks, problems } = listCustomerStacks(root);
  const rows: Row[] = stacks.map((stack) => {
    const ref = org === undefined ? stack : `${org}/${stack}`;
    try {
      const cfg = loadStackConfig(stack, root);
      const off = cfg.mailboxes.filter((m) => !m.enabled).length;
      return {
        stack,
        domains: cfg.domains.map((d) => d.name).join(", "),
        mailboxes: `${cfg.mailboxes.length}${off > 0 ? ` (${off} disabled)` : ""}`,
        lastDeploy: lastDeploy(pulumi, ref),
      };
    } catch (e) {
      if (!(e instanceof ConfigError || e instanceof StackFileError)) throw e;
      const what = e instanceof ConfigError ? `invalid config (${e.problems.length} problem(s); npm run render -- --stack ${stack} --out <dir> names them)` : e.message;
      return { stack, domains: what, mailboxes: "", lastDeploy: lastDeploy(pulumi, ref) };
    }
  });
  const header: Row = { stack: "STACK", domains: "DOMAINS", mailboxes: "MAILBOXES", lastDeploy: "LAST DEPLOY" };
  const all = [header, ...rows];
  const w = (k: keyof Row) => Math.max(...all.map((r) => r[k].length));
  const lines = all.map((r) => [r.stack.padEnd(w("stack")), r.domains.padEnd(w("domains")), r.mailboxes.padEnd(w("mailboxes")), r.lastDeploy].join("  ").trimEnd());
  if (rows.length === 0) lines.push("(no customers yet: npm run customer -- new <name> ...)");
  for (const p of problems) lines.push(`misnamed: ${p}`);
  return lines.join("\n");
}
