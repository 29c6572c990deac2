// `npm run check -- (--stack <name> | --local --dns <host:port>) [--dns <host:port>] [--mailbox <address>] [--json]`:
// the post-deploy proof, in the spirit of Mail-in-a-Box's status page. From the operator's
// machine, as the internet sees the stack: every record the stack writes resolves to what it
// expects, both addresses have the mail host as PTR, every port answers TLS 1.2+ with a valid
// certificate (and refuses 1.1), each domain's MTA-STS policy is served, port 25 refuses to relay,
// the server can reach port 25 elsewhere (or its relay), and a probe message submitted on 587
// comes back with SPF, DKIM and DMARC passing. A table with the fix for every failure (or JSON);
// exit 1 when anything failed. --local runs it against the local stack of this checkout, with a
// DNS server that serves its zone (the tests start one on loopback).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { MailConfig } from "../../components/core/config/config";
import { loadStackConfig, loadStackFile } from "../../components/core/config/stackFile";
import { dkimTxtContent, dnsRecords, mtaStsPolicy, type DnsRecord } from "../../components/core/dns/dnsRecords";
import { REPO_ROOT } from "../../components/core/paths";
import { hostDir } from "../../components/core/containers/hostLayout";
import { localTopology } from "../../components/core/topology";
import { readEndpoints, STATE_DIR } from "../../local/endpoints";
import { statePaths } from "../../local/state";
import { EXIT, runCli, UsageError, wantsHelp } from "../cliKit";
import { requirePulumi, systemPulumi } from "../pulumiCli";
import { localTarget, vmTarget, type Target } from "../ops/target";
import { dnsChecks, ptrChecks, resolverFor } from "./dns";
import { DEFAULT_PROBE_MX, outboundCheck } from "./outbound";
import { exitCode, table, type CheckResult } from "./report";
import { mtaStsChecks, probeCheck, relayCheck, tlsChecks, type Endpoint } from "./service";

export const USAGE = `usage: npm run check -- --stack <name> [--dns <host:port>] [--mailbox <address>] [--json]
       npm run check -- --local --dns <host:port> [--json]
  --stack     a deployed stack: addresses, DNS records and mailbox passwords from its outputs
  --local     the local stack of this checkout (MAILSTACK_INSTANCE), with a DNS server for its zone
  --dns       ask this DNS server instead of the system's resolver
  --mailbox   the mailbox that sends itself the probe (default: the first enabled one)
  --json      results as JSON
Exit codes: 0 every check passed, 1 a check failed, 2 bad usage or a missing prerequisite.`;

interface Plan {
  cfg: MailConfig;
  records: DnsRecord<string>[];
  addresses: string[];
  endpoint: Endpoint;
  mailbox: { address: string; password: string };
  /** The address the server's outbound mail comes from (SPF is judged for it). */
  sendingIp: string;
  target: Target;
  outbound: { host: string; port: number; listen: boolean };
}

function localPlan(): Plan {
  const run = statePaths(STATE_DIR);
  if (!existsSync(run.stackFile)) throw new UsageError("the local stack is not running: npm run local -- up");
  const { file } = JSON.parse(readFileSync(run.stackFile, "utf8")) as { file: string };
  const cfg = loadStackFile(file);
  const ep = readEndpoints();
  const dkimPublic = JSON.parse(readFileSync(run.dkimPublic, "utf8")) as Record<string, string>;
  const records = dnsRecords(cfg, { ipv4: "127.0.0.1", ipv6: "::1", dkimTxt: (d) => dkimTxtContent(dkimPublic[d]) });
  const box = cfg.mailboxes.find((m) => m.enabled);
  const mailbox = ep.mailboxes.find((m) => m.address === box?.address);
  if (mailbox === undefined) throw new UsageError("the local stack has no enabled mailbox to send the probe from");
  // The local stack's certificates come from pebble, whose root is published in its state folder.
  const ca = join(hostDir(localTopology(STATE_DIR), "testCa"), "pebble-root.pem");
  return {
    cfg,
    records,
    addresses: ["127.0.0.1", "::1"],
    endpoint: {
      host: "127.0.0.1",
      ports: { smtp: ep.smtp, submission: ep.submission, submissions: ep.submissions, imap: ep.imap, imaps: ep.imaps, sieve: ep.sieve, https: new URL(ep.webmail).port ? Number(new URL(ep.webmail).port) : 443 },
      mailHost: ep.mailHost,
      ca: readFileSync(ca, "utf8"),
    },
    mailbox,
    sendingIp: "127.0.0.1",
    target: localTarget(),
    outbound: { host: ep.sink.host, port: ep.sink.port, listen: true },
  };
}

function stackPlan(stack: string, mailboxAddress: string | undefined): Plan {
  const cfg = loadStackConfig(stack);
  const pulumi = systemPulumi(REPO_ROOT);
  requirePulumi(pulumi, "npm run check -- --stack");
  // Secrets (the probe mailbox's password) stay in this process: never printed.
  const out = pulumi.capture(["stack", "output", "--json", "--show-secrets", "--stack", stack]);
  if (out.code !== 0) throw new UsageError(`pulumi stack output --stack ${stack} failed: ${out.stderr.trim()}`);
  const o = JSON.parse(out.stdout) as { ipv4: string; ipv6: string; dnsRecords: { name: string; type: string; content?: string }[]; mailboxPasswords: Record<string, string> };
  const dkim = new Map(o.dnsRecords.filter((r) => r.type === "TXT" && r.name.includes("._domainkey.")).map((r) => [r.name, r.content ?? ""]));
  const records = dnsRecords(cfg, { ipv4: o.ipv4, ipv6: o.ipv6, dkimTxt: (d) => dkim.get(`${cfg.dkimSelector}._domainkey.${d}`) ?? "" });
  const address = mailboxAddress ?? cfg.mailboxes.find((m) => m.enabled)?.address;
  if (address === undefined || o.mailboxPasswords[address] === undefined) throw new UsageError(`no password for mailbox ${address ?? "(none)"} in the stack's outputs; name one with --mailbox`);
  return {
    cfg,
    records,
    addresses: [o.ipv4, o.ipv6],
    endpoint: { host: o.ipv4, ports: { smtp: 25, submission: 587, submissions: 465, imap: 143, imaps: 993, sieve: 4190, https: 443 }, mailHost: cfg.hostname },
    mailbox: { address, password: o.mailboxPasswords[address] },
    sendingIp: o.ipv4,
    target: vmTarget(stack, pulumi),
    outbound: { host: DEFAULT_PROBE_MX, port: 25, listen: false },
  };
}

export async function runChecks(plan: Plan, dnsServer: string | undefined): Promise<CheckResult[]> {
  const res = resolverFor(dnsServer);
  const policies = plan.cfg.domains.filter((d) => d.cutover).map((d) => ({ domain: d.name, policy: mtaStsPolicy(plan.cfg, d) }));
  return [
    ...(await dnsChecks(plan.records, res)),
    ...(await ptrChecks(plan.addresses, plan.cfg.hostname, res)),
    ...(await tlsChecks(plan.endpoint, plan.cfg.alerts.certificateDays)),
    ...(await mtaStsChecks(plan.endpoint, policies)),
    await relayCheck(plan.endpoint),
    await outboundCheck(plan.cfg, plan.target, plan.outbound, plan.outbound.listen),
    ...(await probeCheck(plan.endpoint, plan.mailbox, plan.sendingIp, res)),
  ];
}

export async function checkMain(argv: string[], out: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Promise<number> {
  if (wantsHelp(argv)) {
    out(USAGE);
    return EXIT.ok;
  }
  let p;
  try {
    p = parseArgs({ args: argv, strict: true, options: { stack: { type: "string" }, local: { type: "boolean" }, dns: { type: "string" }, mailbox: { type: "string" }, json: { type: "boolean" } } });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const v = p.values;
  if ((v.stack === undefined) === (v.local !== true)) throw new UsageError(`name exactly one of --stack <name> and --local\n${USAGE}`);
  if (v.local === true && v.dns === undefined) throw new UsageError("--local needs --dns <host:port>: a DNS server that serves the local stack's zone (no public resolver knows it)");
  if (v.dns !== undefined && !/^[0-9a-fA-F.:[\]]+(:\d+)?$/.test(v.dns)) throw new UsageError(`--dns must be an address with an optional port, such as 127.0.0.1:5353, not ${v.dns}`);
  const plan = v.local === true ? localPlan() : stackPlan(v.stack!, v.mailbox);
  const results = await runChecks(plan, v.dns);
  out(v.json === true ? JSON.stringify({ stack: v.stack ?? "local", mailHost: plan.cfg.hostname, results }, null, 2) : table(results));
  return exitCode(results);
}

if (require.main === module) runCli("check", () => checkMain(process.argv.slice(2)));
