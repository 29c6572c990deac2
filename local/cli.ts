// `npm run local -- up [--stack <name> | --stack-file <path>]` and `npm run local -- down`: the
// rendered stack as plain processes on 127.0.0.1 high ports, state in .local/ (git-ignored).
// Order: packages -> secrets/certificate -> render -> each daemon's validator -> start, wait until
// answering -> roles, schema, mailbox sync -> endpoints.json and the DNS zone. Greylisting stays
// on unless MAILSTACK_GREYLISTING=off (tests/benchmarks), which is printed loudly.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseMailConfig, type MailConfig } from "../components/core/config/config";
import { dkimTxtContent, dnsRecords } from "../components/core/dns/dnsRecords";
import { mailboxSyncSql } from "../components/core/remote/mailboxSync";
import { renderServiceFiles } from "../components/core/render/render";
import { parseStackYaml, stackFilePath } from "../components/core/config/stackFile";
import { localTopology, type Topology } from "../components/core/topology";
import { zoneFile } from "../components/core/dns/zoneFile";
import { STATE_DIR, type LocalEndpoints } from "./endpoints";
import { portOpen, run, runOk } from "./proc";
import { ensureLogDir, unixUser } from "./services/common";
import { LOCAL_SERVICES } from "./services/index";
import type { LocalContext } from "./services/types";
import { ensureCertificate, ensureSecrets, hashesOf, statePaths, writeRendered, type LocalSecrets } from "./state";
import { REPO_ROOT } from "../components/core/paths";

interface StackChoice {
  file: string;
  greylisting: boolean;
}

export function localContext(choice: StackChoice, log: (l: string) => void = console.log): LocalContext {
  return { stateDir: STATE_DIR, topology: localTopology(STATE_DIR, undefined, { greylisting: choice.greylisting }), log };
}

function loadConfig(file: string): MailConfig {
  const { raw, hasRelayPassword } = parseStackYaml(readFileSync(file, "utf8"), file);
  return parseMailConfig(raw, { hasRelayPassword });
}

async function ensurePackages(): Promise<void> {
  const script = join(REPO_ROOT, "scripts", "install-debian-packages.sh");
  const r = await run("bash", [script]);
  if (r.code !== 0) {
    throw new Error(
      `${r.stderr.trim() || r.stdout.trim()}\n` +
        (process.getuid?.() === 0 ? "installing the Debian packages failed" : "run as root (the local stack installs and runs system daemons)"),
    );
  }
}

async function psql(topo: Topology, db: string, sql: { file?: string; input?: string }, what: string): Promise<void> {
  const { host, port } = topo.internal.postgres;
  const args = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", String(port), "-U", "postgres", "-d", db];
  if (sql.file !== undefined) args.push("-f", sql.file);
  await runOk(what, "psql", args, { input: sql.input, env: { ...process.env, PGPASSFILE: statePaths(STATE_DIR).pgpass } });
}

async function anyRunning(ctx: LocalContext): Promise<boolean> {
  const t = ctx.topology;
  const checks = [t.internal.postgres, t.internal.redis, t.internal.milter, { host: t.publicBind[0], port: t.ports.imap }, { host: t.publicBind[0], port: t.ports.smtp }];
  return (await Promise.all(checks.map((c) => portOpen(c.host, c.port, 300)))).some(Boolean);
}

function writeOutputs(ctx: LocalContext, cfg: MailConfig, secrets: LocalSecrets): void {
  const p = statePaths(STATE_DIR);
  const t = ctx.topology;
  const records = dnsRecords(cfg, { ipv4: "127.0.0.1", ipv6: "::1", dkimTxt: (d) => dkimTxtContent(secrets.dkimPublic[d]) });
  writeFileSync(p.zone, zoneFile(records, `Local stack DNS records for ${cfg.hostname} (127.0.0.1, ::1)`));
  const endpoints: LocalEndpoints = {
    smtp: t.ports.smtp,
    submission: t.ports.submission,
    submissions: t.ports.submissions,
    imap: t.ports.imap,
    imaps: t.ports.imaps,
    sieve: t.ports.sieve,
    webmail: `https://127.0.0.1:${t.ports.https}/`,
    mailboxes: cfg.mailboxes.map((m) => ({ address: m.address, password: secrets.mailboxes[m.address].password })),
    maildir: t.paths.mailRoot,
    zone: p.zone,
  };
  // Holds the demo passwords: readable by root only, like the rest of the local secrets.
  writeFileSync(p.endpoints, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
}

async function up(choice: StackChoice): Promise<void> {
  const started = Date.now();
  const ctx = localContext(choice);
  const p = statePaths(STATE_DIR);
  mkdirSync(STATE_DIR, { recursive: true, mode: 0o755 });
  ensureLogDir(ctx);
  if (existsSync(p.stackFile) && (await anyRunning(ctx))) {
    const running = JSON.parse(readFileSync(p.stackFile, "utf8")) as StackChoice;
    if (running.file === choice.file && running.greylisting === choice.greylisting) {
      console.log(`local stack already running (${running.file}); endpoints in ${p.endpoints}`);
      return;
    }
    throw new Error(`another local stack is running (${running.file}, greylisting ${running.greylisting ? "on" : "off"}); run: npm run local -- down`);
  }
  if (await anyRunning(ctx)) throw new Error("some local stack ports are taken but no stack is recorded; run: npm run local -- down");

  if (!choice.greylisting) console.log("!!! GREYLISTING IS OFF for this local stack (MAILSTACK_GREYLISTING=off): tests/benchmarks only !!!");
  await ensurePackages();
  const cfg = loadConfig(choice.file);
  const secrets = await ensureSecrets(STATE_DIR, cfg, ctx.topology);
  await ensureCertificate(ctx.topology, cfg.hostname);
  const files = renderServiceFiles(cfg, secrets.service, ctx.topology);
  writeRendered(files, ctx.topology, { rspamd: unixUser("_rspamd"), postfix: unixUser("postfix") });
  for (const s of LOCAL_SERVICES) if (s.check) await s.check(ctx);
  writeFileSync(p.stackFile, JSON.stringify(choice));

  for (const s of LOCAL_SERVICES) {
    await s.start(ctx);
    await s.ready(ctx);
    ctx.log(`  ${s.name.padEnd(9)} up (${((Date.now() - started) / 1000).toFixed(1)}s)`);
    if (s.name === "postgres") {
      await psql(ctx.topology, "postgres", { file: join(ctx.topology.configDirs.postgres, "roles.sql") }, "roles.sql");
      await psql(ctx.topology, "mail", { file: join(ctx.topology.configDirs.postgres, "schema.sql") }, "schema.sql");
      await psql(ctx.topology, "mail", { input: mailboxSyncSql(cfg, hashesOf(secrets)) }, "mailbox sync");
    }
  }
  writeOutputs(ctx, cfg, secrets);
  const t = ctx.topology;
  console.log(`local stack for ${cfg.hostname} answering after ${((Date.now() - started) / 1000).toFixed(1)}s`);
  console.log(`  SMTP ${t.ports.smtp} (STARTTLS), submission ${t.ports.submission} (STARTTLS), submissions ${t.ports.submissions} (TLS)`);
  console.log(`  IMAP ${t.ports.imap} (STARTTLS), IMAPS ${t.ports.imaps}, ManageSieve ${t.ports.sieve}; host 127.0.0.1, self-signed certificate ${t.paths.tlsCert}`);
  console.log(`  outbound mail for other domains goes to the sink at ${t.outboundRelay?.host}:${t.outboundRelay?.port}`);
  for (const m of cfg.mailboxes) console.log(`  ${m.address}${m.enabled ? "" : " (disabled)"}  password: ${secrets.mailboxes[m.address].password}`);
  console.log(`  endpoints: ${p.endpoints}  zone: ${p.zone}`);
}

async function down(): Promise<void> {
  const p = statePaths(STATE_DIR);
  const choice: StackChoice = existsSync(p.stackFile) ? (JSON.parse(readFileSync(p.stackFile, "utf8")) as StackChoice) : { file: "", greylisting: true };
  const ctx = localContext(choice);
  for (const s of [...LOCAL_SERVICES].reverse()) {
    await s.stop(ctx);
    ctx.log(`  ${s.name.padEnd(9)} stopped`);
  }
  rmSync(p.stackFile, { force: true });
  console.log("local stack stopped; mail, secrets and data are kept in .local/");
}

export function parseArgs(argv: string[]): { command: string; choice: StackChoice } {
  const [command = "", ...rest] = argv;
  let file = stackFilePath("local");
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--stack") file = stackFilePath(rest[++i] ?? "");
    else if (rest[i] === "--stack-file") file = resolve(rest[++i] ?? "");
    else throw new Error(`unknown argument ${rest[i]}; usage: npm run local -- up [--stack <name> | --stack-file <path>] | down`);
  }
  const grey = (process.env.MAILSTACK_GREYLISTING ?? "on").toLowerCase();
  return { command, choice: { file, greylisting: !(grey === "off" || grey === "0" || grey === "false") } };
}

async function main(): Promise<void> {
  if (["--help", "-h", "help"].includes(process.argv[2] ?? "")) {
    console.log("usage: npm run local -- up [--stack <name> | --stack-file <path>] | down\n  up: the stack on this machine (default Pulumi.local.yaml); down: stop it, keeping mail and secrets");
    return;
  }
  const { command, choice } = parseArgs(process.argv.slice(2));
  if (command === "up") await up(choice);
  else if (command === "down") await down();
  else throw new Error("usage: npm run local -- up [--stack <name> | --stack-file <path>] | down");
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`local: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
