// The local stack: the production images run on this machine's container engine, from the same
// container description (components/core/containers/containerSpecs.ts) and the same rendered
// files as on the VM, with the local topology (ports published on 127.0.0.1 and on the
// "outside" namespace's link, state under .local/). `up` is idempotent: it builds missing
// images, checks every rendered file with its daemon's own checker before anything starts, loads
// the host's container guard (nftables), and then replaces exactly the containers whose image or
// files changed. `down` removes every container, the networks and the guard, and keeps all data.
// Owns ordering and state; how a container is created lives in local/engine/.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type Docker from "dockerode";
import { parseMailConfig, type MailConfig } from "../components/core/config/config";
import { parseStackYaml } from "../components/core/config/stackFile";
import { CONFIG_HASH_LABEL, containerSpecs, SERVICE_LABEL, type ContainerSpec } from "../components/core/containers/containerSpecs";
import { dataDirs, hostConfigDir } from "../components/core/containers/hostLayout";
import { imagePlans, type ImagePlans } from "../components/core/containers/images";
import { dkimTxtContent, dnsRecords } from "../components/core/dns/dnsRecords";
import { zoneFile } from "../components/core/dns/zoneFile";
import { databaseSetupInput } from "../components/core/remote/databaseSetup";
import { mailboxSyncSql } from "../components/core/remote/mailboxSync";
import { serviceContentHash } from "../components/core/remote/pushScript";
import { renderServiceFiles, type RenderedFile } from "../components/core/render/render";
import { localInstance, localNetworks, localTopology, NETWORK_NAMES, SERVICES, type ServiceName, type Topology } from "../components/core/topology";
import { STATE_DIR, type LocalEndpoints } from "./endpoints";
import { ensureImages } from "./engine/buildImages";
import { containerState, ensureNetwork, execIn, execOk, logsTail, removeContainer, removeNetwork, runOnce, startContainer, waitHealthy } from "./engine/containers";
import { ensureGuard, removeGuard } from "./engine/hostGuard";
import { connectEngine, type Engine } from "./engine/engine";
import { ensureOutside, removeOutside } from "./engine/outside";
import { localWebmailUrl } from "../components/core/containers/certificates";
import { ensureHostDir } from "./hostDirs";
import { runCertHook, waitPebbleRoot } from "./certificates";
import { run } from "./proc";
import { ensureSecrets, hashesOf, statePaths, writeRendered, type LocalSecrets } from "./state";

export interface StackChoice {
  file: string;
  greylisting: boolean;
}

export interface LocalStack {
  cfg: MailConfig;
  topo: Topology;
  specs: ContainerSpec[];
  plans: ImagePlans;
}

const log = (l: string) => console.log(l);

export function loadConfig(file: string): MailConfig {
  if (!existsSync(file)) throw new Error(`no stack file ${file}`);
  const { raw, hasRelayPassword, secretsSet } = parseStackYaml(readFileSync(file, "utf8"), file);
  return parseMailConfig(raw, { hasRelayPassword, secretsSet });
}

export function localStack(choice: StackChoice, stateDir = STATE_DIR): LocalStack {
  const cfg = loadConfig(choice.file);
  const topo = localTopology(stateDir, { greylisting: choice.greylisting, instance: localInstance() });
  const plans = imagePlans(topo);
  return { cfg, topo, plans, specs: containerSpecs(cfg, topo, plans) };
}

/**
 * Start order: pebble first (the local stand-in for Let's Encrypt publishes a new root at every
 * start), the database (others need its roles), the mail daemons (fail2ban watches Dovecot's
 * failed logins), the web front and ACME last.
 */
const START_ORDER: readonly string[] = ["pebble", "postgres", "valkey", "unbound", "rspamd", "dovecot", "fail2ban", "postfix", "roundcube", "nginx", "certbot", "backup"];
/** Services whose image has a `check` mode for its rendered files: every one. */
const CHECKED: readonly ServiceName[] = SERVICES;

/** A published host port that something else holds: names the port and, where ss can tell, the process. */
async function portHolder(ip: string, port: number): Promise<string | undefined> {
  const free = await new Promise<boolean>((resolve) => {
    const s = createServer();
    // Only "in use" counts: an address that does not exist (yet) is not a conflict.
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code !== "EADDRINUSE"));
    s.listen({ host: ip, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
  if (free) return undefined;
  const ss = await run("ss", ["-Hltnp", `sport = :${port}`]);
  const who = /users:\(\("([^"]+)",pid=(\d+)/.exec(ss.stdout);
  return `port ${port} on ${ip} is in use${who ? ` by ${who[1]} (pid ${who[2]})` : ""}`;
}

async function checkPorts(docker: Docker, stack: LocalStack): Promise<void> {
  const problems: string[] = [];
  for (const spec of stack.specs) {
    const state = await containerState(docker, spec.name);
    if (state?.State.Running) continue; // ours: it holds its own ports
    for (const p of spec.ports) {
      const held = await portHolder(p.hostIp, p.hostPort);
      if (held !== undefined) problems.push(`${held} (needed by ${spec.service})`);
    }
  }
  if (problems.length > 0) throw new Error(`cannot start the local stack:\n  ${problems.join("\n  ")}\nstop what holds them, or run: npm run local -- down`);
}

/** Runs each image's `check` on its rendered files; every failure is reported, nothing starts. */
async function checkConfigs(docker: Docker, stack: LocalStack): Promise<void> {
  const checked = stack.specs.filter((s) => (CHECKED as readonly string[]).includes(s.service));
  // All at once: each checker is a short-lived container, mostly waiting on its own start-up.
  const results = await Promise.all(
    checked.map(async (spec) => {
      const service = spec.service as ServiceName;
      const binds = [`${hostConfigDir(stack.topo, service)}:${stack.topo.configDirs[service]}:ro`];
      const r = await runOnce(docker, spec.imageTag, ["check"], { binds });
      return r.code === 0 ? undefined : `${service} (${spec.imageTag} check) rejects ${hostConfigDir(stack.topo, service)}:\n${r.stdout.trim()}`;
    }),
  );
  const failures = results.filter((f): f is string => f !== undefined);
  if (failures.length > 0) throw new Error(`rendered configuration rejected; nothing was started:\n${failures.join("\n\n")}`);
}

async function setupDatabase(docker: Docker, stack: LocalStack, secrets: LocalSecrets): Promise<void> {
  const dir = hostConfigDir(stack.topo, "postgres");
  const input = databaseSetupInput(
    readFileSync(join(dir, "roles.sql"), "utf8"),
    readFileSync(join(dir, "schema.sql"), "utf8"),
    mailboxSyncSql(stack.cfg, hashesOf(secrets)),
  );
  const pg = stack.specs.find((s) => s.service === "postgres");
  if (pg === undefined) throw new Error("no postgres container in the stack");
  await execOk(docker, pg.name, "roles, schema and mailbox sync", ["psql", "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "-d", "postgres"], {
    input,
    user: "postgres",
  });
  // As on the VM (databaseSetup.ts): a password the sync replaced stops working at once.
  const dovecot = stack.specs.find((s) => s.service === "dovecot");
  if (dovecot !== undefined && (await containerState(docker, dovecot.name))?.State.Running === true) {
    await execIn(docker, dovecot.name, ["doveadm", "auth", "cache", "flush"]);
  }
}

function writeOutputs(stack: LocalStack, secrets: LocalSecrets): LocalEndpoints {
  const p = statePaths(STATE_DIR);
  const t = stack.topo;
  // One key per domain locally: earlier selectors (dkimPrevious) have no key here.
  const records = dnsRecords({ ...stack.cfg, dkimPrevious: [] }, { ipv4: "127.0.0.1", ipv6: "::1", dkimTxt: (d) => dkimTxtContent(secrets.dkimPublic[d]) });
  writeFileSync(p.zone, zoneFile(records, `Local stack DNS records for ${stack.cfg.hostname} (127.0.0.1, ::1)`));
  const out = localNetworks(localInstance()).outside;
  const endpoints: LocalEndpoints = {
    smtp: t.ports.smtp,
    submission: t.ports.submission,
    submissions: t.ports.submissions,
    imap: t.ports.imap,
    imaps: t.ports.imaps,
    sieve: t.ports.sieve,
    webmail: localWebmailUrl(stack.cfg, t),
    mailHost: stack.cfg.hostname,
    mailboxes: stack.cfg.mailboxes.map((m) => ({ address: m.address, password: secrets.mailboxes[m.address].password })),
    maildir: join(t.hostRoot, "vmail"),
    zone: p.zone,
    remote: { netns: out.netns, address: out.hostAddress, sources: [...out.sources] },
    sink: { host: t.outboundRelay?.host ?? out.hostAddress, port: t.outboundRelay?.port ?? 0 },
  };
  // Holds the demo passwords: readable by root only, like the rest of the local secrets.
  writeFileSync(p.endpoints, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
  return endpoints;
}

/** The containers of this stack that exist on the engine, by name. */
export async function ourContainers(docker: Docker, topo: Topology): Promise<Docker.ContainerInfo[]> {
  const all = await docker.listContainers({ all: true, filters: { label: [SERVICE_LABEL] } });
  return all.filter((c) => c.Names.some((n) => n.replace(/^\//, "").startsWith(topo.namePrefix)) && c.Labels[SERVICE_LABEL] !== "check");
}

export async function up(choice: StackChoice): Promise<void> {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const p = statePaths(STATE_DIR);
  mkdirSync(p.runDir, { recursive: true, mode: 0o755 });
  const stack = localStack(choice);
  const engine: Engine = await connectEngine({ log });
  const docker = engine.docker;
  log(`engine: ${engine.name} ${engine.version} at ${engine.socket}`);

  const running = await ourContainers(docker, stack.topo);
  if (existsSync(p.stackFile) && running.length > 0) {
    const prev = JSON.parse(readFileSync(p.stackFile, "utf8")) as StackChoice;
    if (prev.file !== choice.file) throw new Error(`another local stack is running (${prev.file}); run: npm run local -- down`);
  }
  if (!choice.greylisting) log("!!! GREYLISTING IS OFF for this local stack (MAILSTACK_GREYLISTING=off): tests/benchmarks only !!!");

  const reports = await ensureImages(docker, stack.plans, { buildDir: p.buildDir, log });
  const built = reports.filter((r) => r.built);
  log(`images: ${built.length > 0 ? `built ${built.map((r) => r.image).join(", ")}` : "all cached"} (${elapsed()})`);
  await ensureOutside(localNetworks(localInstance()).outside);
  await checkPorts(docker, stack);

  const secrets = ensureSecrets(STATE_DIR, stack.cfg);
  const files = renderServiceFiles(stack.cfg, secrets.service, stack.topo);
  writeRendered(files, stack.topo);
  await checkConfigs(docker, stack);
  log(`configuration checked by each daemon (${elapsed()})`);

  for (const d of dataDirs(stack.topo)) ensureHostDir(d);
  await removeNetwork(docker, localNetworks(localInstance()).legacy);
  // The local stack's backup repository: a folder here instead of backup.repository.
  if (stack.topo.backupRepository !== undefined) ensureHostDir({ path: stack.topo.backupRepository, uid: 0, gid: 0, mode: "0700" });
  for (const n of NETWORK_NAMES) await ensureNetwork(docker, stack.topo.networks[n]);
  await ensureGuard(docker, stack.plans.services.fail2ban.tag, stack.topo, p.runDir);
  writeFileSync(p.stackFile, JSON.stringify(choice));
  // A certificate (a kept one, or a temporary one) for every name before anything reads it.
  await runCertHook(stack, engine, { daemonsRunning: false });

  const hashes = configHashes(files);
  const bySvc = new Map(stack.specs.map((s) => [s.service as string, s]));
  for (const service of START_ORDER) {
    const spec = bySvc.get(service);
    if (spec === undefined) continue;
    const hash = hashes[spec.service] ?? "";
    const current = await containerState(docker, spec.name);
    const imageId = (await docker.getImage(spec.imageTag).inspect()).Id;
    const same = current?.State.Running === true && current.Image === imageId && current.Config.Labels?.[CONFIG_HASH_LABEL] === hash;
    if (!same) {
      await startContainer(docker, spec, hash);
      log(`  ${spec.service.padEnd(9)} ${current === undefined ? "started" : "replaced"} (${elapsed()})`);
    }
    if (spec.service === "pebble" && !same) await waitPebbleRoot(stack);
    if (spec.service === "postgres") {
      await waitHealthy(docker, spec.name);
      await setupDatabase(docker, stack, secrets);
    }
  }
  // certbot turns healthy once it holds every certificate; then the hook installs them.
  for (const spec of stack.specs) await waitHealthy(docker, spec.name, spec.service === "certbot" ? 300_000 : 120_000);
  await runCertHook(stack, engine, { daemonsRunning: true });
  const ep = writeOutputs(stack, secrets);
  const t = stack.topo;
  log(`local stack for ${stack.cfg.hostname} answering after ${elapsed()}`);
  log(`  SMTP ${t.ports.smtp} (STARTTLS), submission ${t.ports.submission} (STARTTLS), submissions ${t.ports.submissions} (TLS)`);
  log(`  IMAP ${t.ports.imap} (STARTTLS), IMAPS ${t.ports.imaps}, ManageSieve ${t.ports.sieve}; host 127.0.0.1`);
  log(`  webmail ${ep.webmail}`);
  log(`  outside: namespace ${ep.remote.netns}, ports on ${ep.remote.address}; outbound mail goes to the sink at ${ep.sink.host}:${ep.sink.port}`);
  for (const m of stack.cfg.mailboxes) log(`  ${m.address}${m.enabled ? "" : " (disabled)"}  password: ${secrets.mailboxes[m.address].password}`);
  log(`  endpoints: ${p.endpoints}  zone: ${p.zone}`);
}

function configHashes(files: readonly RenderedFile[]): Record<string, string> {
  const by = new Map<string, RenderedFile[]>();
  for (const f of files) by.set(f.service, [...(by.get(f.service) ?? []), f]);
  return Object.fromEntries([...by].map(([s, fs]) => [s, serviceContentHash(fs)]));
}

async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}

export async function down(): Promise<void> {
  const p = statePaths(STATE_DIR);
  const engine = await connectEngine({ install: false });
  const topo = localTopology(STATE_DIR, { instance: localInstance() });
  const ours = await ourContainers(engine.docker, topo);
  // Reverse start order: the web front first, the database last (it flushes on SIGINT).
  const rank = (c: Docker.ContainerInfo) => START_ORDER.indexOf(c.Labels[SERVICE_LABEL] ?? "");
  for (const c of [...ours].sort((a, b) => rank(b) - rank(a))) {
    const name = c.Names[0].replace(/^\//, "");
    await removeContainer(engine.docker, name, c.Labels[SERVICE_LABEL] === "postgres" ? 60 : 10);
    log(`  ${(c.Labels[SERVICE_LABEL] ?? name).padEnd(9)} removed`);
  }
  for (const n of NETWORK_NAMES) await removeNetwork(engine.docker, topo.networks[n].name);
  await removeNetwork(engine.docker, localNetworks(localInstance()).legacy);
  // The image the runner built for this stack; without it (never built here) there is no guard.
  const plans = imagePlans(topo);
  if (await imageExists(engine.docker, plans.services.fail2ban.tag)) await removeGuard(engine.docker, plans.services.fail2ban.tag, topo);
  await removeOutside(localNetworks(localInstance()).outside);
  rmSync(p.stackFile, { force: true });
  log(`local stack stopped; mail, secrets and data are kept in ${STATE_DIR}`);
}

/** For tests: the log of a service's container. */
export async function serviceLog(service: string, lines = 60): Promise<string> {
  const engine = await connectEngine({ install: false });
  return logsTail(engine.docker, `${localTopology(STATE_DIR, { instance: localInstance() }).namePrefix}${service}`, lines);
}
