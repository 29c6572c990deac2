// `npm run bench:auth`: what Dovecot's auth cache (with PostgreSQL checking bcrypt) saves the
// webmail, in IMAP logins per second. Roundcube logs in to IMAP afresh on every request, always as
// the same user with the same password, so the figure is: C clients, each logging one mailbox in
// and out over IMAPS again and again for S seconds, against Dovecot and PostgreSQL from our
// images on a private network of their own (no other container, no published port). Twice: with
// the configuration before issue 12 (Dovecot checks the bcrypt hash itself on every login, no
// cache) and with today's (files/dovecot/dovecot.conf "Auth cache"). The only difference between
// the two runs is the passdb block and the three auth_cache settings; "before" is made from the
// rendered file by putting the old block back. Prints a table and writes
// bench/results-auth.json. Containers and the network are named <prefix>-* (default
// dev-authbench<instance>; MAILSTACK_BENCH_PREFIX overrides) and removed afterwards.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import bcrypt from "bcryptjs";
import { ImapFlow } from "imapflow";
import { execFileSync } from "node:child_process";
import { parseMailConfig } from "../components/core/config/config";
import { parseStackYaml } from "../components/core/config/stackFile";
import { containerSpecs } from "../components/core/containers/containerSpecs";
import { hostConfigDir, hostDir } from "../components/core/containers/hostLayout";
import { imagePlans } from "../components/core/containers/images";
import { CONFIG_FILE_OWNER } from "../components/core/containers/serviceAccounts";
import { REPO_ROOT } from "../components/core/paths";
import { mailboxSyncSql } from "../components/core/remote/mailboxSync";
import { dovecotFiles } from "../components/core/render/dovecot";
import { postgresFiles } from "../components/core/render/postgres";
import type { RenderedFile } from "../components/core/render/render";
import { localInstance, localTopology, NETWORK_NAMES, type NetworkName, type ServiceNetwork, type Topology } from "../components/core/topology";
import { ensureImages } from "../local/engine/buildImages";
import { createOptions, ensureNetwork, execIn, execOk, removeContainer, removeNetwork } from "../local/engine/containers";
import { connectEngine } from "../local/engine/engine";
import { portOpen, sleep } from "../local/proc";

const INSTANCE = localInstance();
const PREFIX = process.env.MAILSTACK_BENCH_PREFIX ?? `dev-authbench${INSTANCE}`;
const NET = { name: `${PREFIX}-net`, ipv4Subnet: `198.19.${220 + INSTANCE * 2}.0/24`, internal: false };
const CLIENTS = Number(process.env.AUTH_BENCH_CLIENTS ?? 4);
const SECONDS = Number(process.env.AUTH_BENCH_SECONDS ?? 20);
const USER = "alice@e2e.test";
const PASSWORD = "bench-password-for-alice";

/** The passdb of the stack before issue 12: Dovecot verified the bcrypt hash on every login. */
const BEFORE_PASSDB = [
  "passdb sql {",
  "  default_password_scheme = BLF-CRYPT",
  "  query = SELECT address AS user, password FROM mailboxes WHERE address = '%{user | lower}' AND active",
  "}",
].join("\n");

export function beforeConfig(after: string): string {
  const passdb = /^passdb sql \{\n[^]*?\n\}$/m;
  if (!passdb.test(after) || !/^auth_cache_size = /m.test(after)) throw new Error("dovecot.conf has no passdb sql block or auth cache settings to undo");
  return after.replace(passdb, BEFORE_PASSDB).replace(/^auth_cache_(size|ttl|negative_ttl) = .*\n/gm, "");
}

function install(files: RenderedFile[], topo: Topology): void {
  for (const f of files) {
    const full = join(hostConfigDir(topo, f.service), f.path);
    mkdirSync(dirname(full), { recursive: true, mode: 0o755 });
    writeFileSync(full, f.content);
    chmodSync(full, f.mode);
    chownSync(full, 0, CONFIG_FILE_OWNER[f.service].gid);
  }
}

interface Run {
  config: "before" | "after";
  logins: number;
  seconds: number;
  loginsPerSecond: number;
  failures: number;
}

async function measure(ip: string): Promise<{ logins: number; failures: number; seconds: number }> {
  let logins = 0;
  let failures = 0;
  const started = Date.now();
  const end = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < end) {
        const c = new ImapFlow({ host: ip, port: 993, secure: true, tls: { rejectUnauthorized: false }, auth: { user: USER, pass: PASSWORD }, logger: false });
        try {
          await c.connect();
          await c.logout();
          logins += 1;
        } catch {
          failures += 1;
          c.close();
        }
      }
    }),
  );
  return { logins, failures, seconds: (Date.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const docker = (await connectEngine({ log: console.log })).docker;
  const tmp = mkdtempSync(join(tmpdir(), `${PREFIX}-`));
  const file = join(REPO_ROOT, "test", "e2e", "Pulumi.e2e.yaml");
  const { raw, hasRelayPassword } = parseStackYaml(readFileSync(file, "utf8"), file);
  const cfg = parseMailConfig(raw, { hasRelayPassword });
  const base = localTopology(join(tmp, "stack"));
  const topo: Topology = { ...base, namePrefix: `${PREFIX}-`, publicBind: [], networks: Object.fromEntries(NETWORK_NAMES.map((n) => [n, NET])) as Record<NetworkName, ServiceNetwork> };
  const plans = imagePlans(topo);
  await ensureImages(docker, plans, { buildDir: join(REPO_ROOT, ".local", "build"), which: [plans.services.dovecot, plans.services.postgres] });
  const secrets = {
    postgresPassword: "bench-pg",
    mailDbPassword: "bench-mail-db",
    roundcubeDbPassword: "bench-rc",
    mailPasswordDbPassword: "bench-mp",
    roundcubeDesKey: "abcdefghijklmnopqrstuvwx",
    rspamdControllerPassword: "bench-ctrl",
    rspamdControllerSalt: "salt",
    valkeyPassword: "benchValkeyPassword",
    backupDbPassword: "benchBackupDbPassword",
    dkimPrivateKeys: {},
  };
  const specs = containerSpecs(cfg, topo, plans);
  const pg = specs.find((s) => s.service === "postgres")!;
  const dv = specs.find((s) => s.service === "dovecot")!;
  const runs: Run[] = [];
  try {
    install([...dovecotFiles(cfg, secrets, topo), ...postgresFiles(cfg, secrets, topo)], topo);
    for (const [dir, uid, mode] of [
      [hostDir(topo, "postgres"), 230, 0o700],
      [hostDir(topo, "vmail"), 5000, 0o750],
      [hostDir(topo, "sieve"), 5000, 0o750],
      [hostDir(topo, "postfixDovecot"), 0, 0o750],
      [hostDir(topo, "authLog"), 210, 0o750],
    ] as const) {
      mkdirSync(dir, { recursive: true });
      chownSync(dir, uid, uid);
      chmodSync(dir, mode);
    }
    const tls = join(hostDir(topo, "tls"), "mail");
    mkdirSync(tls, { recursive: true });
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${cfg.hostname}`, "-keyout", join(tls, "privkey.pem"), "-out", join(tls, "fullchain.pem")], { stdio: "ignore" });
    chmodSync(join(tls, "privkey.pem"), 0o600);

    await removeNetwork(docker, NET.name);
    await ensureNetwork(docker, NET);
    await removeContainer(docker, pg.name, 1);
    await (await docker.createContainer(createOptions(pg, "bench"))).start();
    for (let i = 0; (await execIn(docker, pg.name, ["pg_isready", "-q", "-h", "127.0.0.1", "-U", "postgres"])).code !== 0; i++) {
      if (i > 120) throw new Error("PostgreSQL did not start");
      await sleep(500);
    }
    const psql = (db: string, sql: string) => execOk(docker, pg.name, `psql ${db}`, ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db], { user: "postgres", input: sql });
    await psql("postgres", readFileSync(join(hostConfigDir(topo, "postgres"), "roles.sql"), "utf8"));
    await psql("mail", readFileSync(join(hostConfigDir(topo, "postgres"), "schema.sql"), "utf8"));
    // Cost 10, as the stack's generated passwords.
    const hashes = Object.fromEntries(cfg.mailboxes.map((m) => [m.address, bcrypt.hashSync(PASSWORD, 10)]));
    await psql("mail", mailboxSyncSql(cfg, hashes));

    const conf = join(hostConfigDir(topo, "dovecot"), "dovecot.conf");
    const after = readFileSync(conf, "utf8");
    for (const config of ["before", "after"] as const) {
      writeFileSync(conf, config === "before" ? beforeConfig(after) : after);
      await removeContainer(docker, dv.name, 1);
      await (await docker.createContainer(createOptions(dv, config))).start();
      const ip: string = (await docker.getContainer(dv.name).inspect()).NetworkSettings.Networks[NET.name].IPAddress;
      for (let i = 0; !(await portOpen(ip, 993)); i++) {
        if (i > 120) throw new Error("Dovecot did not start");
        await sleep(500);
      }
      await measure(ip); // warm-up: processes forked, the cache filled
      const r = await measure(ip);
      runs.push({ config, ...r, loginsPerSecond: Math.round((r.logins / r.seconds) * 10) / 10 });
      console.log(`${config}: ${r.logins} logins in ${r.seconds.toFixed(1)} s (${(r.logins / r.seconds).toFixed(1)}/s), ${r.failures} failed`);
    }
  } finally {
    for (const s of [dv, pg]) await removeContainer(docker, s.name, 5);
    await removeNetwork(docker, NET.name);
    rmSync(tmp, { recursive: true, force: true });
  }
  const result = {
    date: new Date().toISOString(),
    machine: { cores: cpus().length, model: cpus()[0]?.model ?? "", loadAverage: loadavg().map((l) => Math.round(l * 100) / 100) },
    clients: CLIENTS,
    secondsPerRun: SECONDS,
    bcryptCost: 10,
    runs,
  };
  console.log("\n| configuration | IMAP logins/s (one user, " + CLIENTS + " clients) | failed |");
  console.log("|---|---|---|");
  for (const r of runs) console.log(`| ${r.config === "before" ? "Dovecot checks bcrypt, no cache" : "PostgreSQL checks bcrypt, Dovecot caches"} | ${r.loginsPerSecond} | ${r.failures} |`);
  writeFileSync(join(REPO_ROOT, "bench", "results-auth.json"), `${JSON.stringify(result, null, 2)}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  });
}
