// The Dovecot image with our rendered configuration, checked where users and Postfix meet it.
// First its own checker (`check`, doveconf -n) on the e2e stack (local topology) and the example
// customer (production topology). Then Dovecot and PostgreSQL from our images on a private
// network, created from the same container descriptions and engine helpers the local runner
// uses, with mailboxes written by the real mailbox sync: logins with every bcrypt flavour we
// produce, refusals, LMTP delivery into the maildir layout 2.3 used, the dedupe script, as many
// concurrent LMTP sessions as Postfix opens, the quota policy Postfix asks, ManageSieve, Junk
// learning, Postfix's SASL dialog, and mail a Dovecot 2.3 left on the volume. LMTP, SASL and the
// quota policy are Unix sockets in a host folder (the one only Postfix also mounts): the test
// connects to them there, and checks they answer on no network port. Then the auth cache (a
// cached login needs no database), the webmail's forwarded client address, and the failed-login
// file fail2ban reads. Needs the container
// engine (root on our machines); builds the two images when missing. Containers and the network
// are named dev-dovecot-test-* and removed afterwards.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect as netConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import bcrypt from "bcryptjs";
import type Docker from "dockerode";
import { ImapFlow } from "imapflow";
import nodemailer from "nodemailer";
import { parseMailConfig, type MailConfig } from "../../components/core/config/config";
import { parseStackYaml } from "../../components/core/config/stackFile";
import { containerSpecs } from "../../components/core/containers/containerSpecs";
import { hostConfigDir, hostDir } from "../../components/core/containers/hostLayout";
import { imagePlans, type ImagePlans } from "../../components/core/containers/images";
import { ACCOUNT_IDS, CONFIG_FILE_OWNER } from "../../components/core/containers/serviceAccounts";
import { REPO_ROOT } from "../../components/core/paths";
import { mailboxSyncSql } from "../../components/core/remote/mailboxSync";
import { dovecotFiles } from "../../components/core/render/dovecot";
import { postgresFiles } from "../../components/core/render/postgres";
import type { RenderedFile } from "../../components/core/render/render";
import type { ServiceSecrets } from "../../components/core/render/secrets";
import { DOVECOT_SOCKETS, localInstance, localTopology, productionTopology, type Topology } from "../../components/core/topology";
import { onOneNetwork } from "./oneNetwork";
import { ensureImages } from "../../local/engine/buildImages";
import { createOptions, ensureNetwork, execIn, execOk, logsTail, removeContainer, removeNetwork, runOnce } from "../../local/engine/containers";
import { connectEngine } from "../../local/engine/engine";

// Per local instance (MAILSTACK_INSTANCE), so test runs in several checkouts never share a name.
const INSTANCE = localInstance();
const NAME = `dev-dovecot-test${INSTANCE === 0 ? "" : INSTANCE}`;
const NETWORK = { name: `${NAME}-net`, ipv4Subnet: `198.19.${200 + INSTANCE * 2}.0/24` };

/** Test secrets. The database password holds every character Dovecot 2.4's syntax treats specially. */
const SECRETS: ServiceSecrets = {
  postgresPassword: "pg-superuser-test",
  mailDbPassword: `q"uo\\te %{user} %%{x} $SET:y $ENV:HOME #z 'sq' %d%`,
  roundcubeDbPassword: "rc-test",
  mailPasswordDbPassword: "mp-test",
  roundcubeDesKey: "abcdefghijklmnopqrstuvwx",
  rspamdControllerPassword: `ctrl "pw" \\ test`,
  rspamdControllerSalt: "salt",
  valkeyPassword: "valkeyTestPassword5",
  backupDbPassword: "backup-db",
  dkimPrivateKeys: {},
};

function stackConfig(file: string): MailConfig {
  const { raw, hasRelayPassword } = parseStackYaml(readFileSync(join(REPO_ROOT, file), "utf8"), file);
  return parseMailConfig(raw, { hasRelayPassword });
}

/** What the config push leaves on the host: each file with its mode, root and the daemon's group. */
function install(files: RenderedFile[], topo: Topology): void {
  for (const f of files) {
    const full = join(hostConfigDir(topo, f.service), f.path);
    mkdirSync(dirname(full), { recursive: true, mode: 0o755 });
    writeFileSync(full, f.content);
    chmodSync(full, f.mode);
    chownSync(full, 0, CONFIG_FILE_OWNER[f.service].gid);
  }
}

let engine: Docker;
let plans: ImagePlans;
const tmp = mkdtempSync(join(tmpdir(), `${NAME}-`));

beforeAll(
  async () => {
    engine = (await connectEngine({ install: false })).docker;
    plans = imagePlans(productionTopology);
    await ensureImages(engine, plans, { buildDir: join(REPO_ROOT, ".local", "build"), which: [plans.services.dovecot, plans.services.postgres] });
  },
  20 * 60_000,
);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("dovecot image: check", () => {
  const check = async (topo: Topology) => runOnce(engine, plans.services.dovecot.tag, ["check"], { binds: [`${hostConfigDir(topo, "dovecot")}:/config:ro`] });

  it("accepts the e2e stack rendered for the local topology", async () => {
    const topo = localTopology(join(tmp, "check-local"));
    install(dovecotFiles(stackConfig("test/e2e/Pulumi.e2e.yaml"), SECRETS, topo), topo);
    const r = await check(topo);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /dovecot: \/config\/dovecot\.conf OK/);
  });

  it("accepts the example customer rendered for the production topology", async () => {
    const topo = { ...productionTopology, hostRoot: join(tmp, "check-prod") };
    install(dovecotFiles(stackConfig("Pulumi.prod.yaml"), SECRETS, topo), topo);
    const r = await check(topo);
    assert.equal(r.code, 0, r.stdout);
  });

  it("refuses an unknown setting, naming the file and line", async () => {
    const topo = localTopology(join(tmp, "check-broken"));
    install(dovecotFiles(stackConfig("test/e2e/Pulumi.e2e.yaml"), SECRETS, topo), topo);
    const conf = join(hostConfigDir(topo, "dovecot"), "dovecot.conf");
    const line = readFileSync(conf, "utf8").split("\n").length;
    appendFileSync(conf, "disable_plaintext_auth = yes\n");
    const r = await check(topo);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, new RegExp(`/config/dovecot\\.conf line ${line}: .*disable_plaintext_auth`));
  });
});

// ---------------------------------------------------------------------------------------------
// Dovecot with PostgreSQL
// ---------------------------------------------------------------------------------------------

const PASSWORDS: Record<string, string> = {
  "alice@e2e.test": "alice-pw-1",
  "bob@e2e.test": "bob-pw-2",
  "carol@other.test": "carol-pw-3",
  "tiny@e2e.test": "tiny-pw-4",
  "gone@e2e.test": "gone-pw-5",
  "limited@e2e.test": "limited-pw-6",
};

interface Running {
  topo: Topology;
  cfg: MailConfig;
  /** The container's address on the test network; the test reaches every port there. */
  ip: string;
  /** The network's gateway: how the container sees this test process. */
  gateway: string;
  dovecot: string;
  postgres: string;
  /** The fake Rspamd controller: every learn request it got. */
  learned: { path: string; password: string; body: string }[];
  controller: Server;
}
let run: Running | undefined;
const running = (): Running => {
  assert.ok(run, "the containers did not start (see the before hook)");
  return run;
};

/** Port answers a TCP connect. */
function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host, port, timeout: 1000 });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
    s.once("timeout", () => (s.destroy(), resolve(false)));
  });
}

async function waitFor(what: string, ok: () => Promise<boolean>, name: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${what} not ready after ${timeoutMs / 1000}s:\n${await logsTail(engine, name)}`);
}

/** A maildir as Dovecot 2.3 leaves it (Maildir++ folders, dovecot-uidlist), without index files. */
function writeMaildir23(maildir: string): void {
  // Stored with LF line ends; a file name carries S= (size on disk) and W= (size with CRLF).
  const msg = (subject: string) => `From: old@example.org\nTo: bob@e2e.test\nSubject: ${subject}\nMessage-ID: <${subject.replace(/ /g, "-")}@example.org>\n\nkept\n`;
  const name = (base: string, body: string, flags: string) => `${base},S=${Buffer.byteLength(body)},W=${Buffer.byteLength(body) + body.split("\n").length - 1}:2,${flags}`;
  const inbox = msg("from 2.3 inbox");
  const archive = msg("from 2.3 archive");
  const inboxName = name("1700000000.M1P1.old", inbox, "S");
  const archiveName = name("1700000001.M2P2.old", archive, "");
  const files: Record<string, string> = {
    [`cur/${inboxName}`]: inbox,
    "dovecot-uidlist": `3 V1700000000 N8 G0123456789abcdef0123456789abcdef\n7 :${inboxName.split(":")[0]}\n`,
    subscriptions: "V\t2\n\nArchive\n",
    ".Archive/maildirfolder": "",
    [`.Archive/cur/${archiveName}`]: archive,
    ".Archive/dovecot-uidlist": `3 V1700000001 N4 Gfedcba9876543210fedcba9876543210\n3 :${archiveName.split(":")[0]}\n`,
  };
  for (const d of ["", "new", "tmp", "cur", ".Archive", ".Archive/new", ".Archive/tmp", ".Archive/cur"]) mkdirSync(join(maildir, d), { recursive: true });
  for (const [f, content] of Object.entries(files)) writeFileSync(join(maildir, f), content);
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e), uid, gid);
}

async function startStack(): Promise<Running> {
  const cfg = stackConfig("test/e2e/Pulumi.e2e.yaml");
  const prefix = `${NAME}-${process.pid}-`;
  const topo: Topology = { ...onOneNetwork(localTopology(join(tmp, "stack")), NETWORK), namePrefix: prefix, publicBind: [] };
  install([...dovecotFiles(cfg, SECRETS, topo), ...postgresFiles(cfg, SECRETS, topo)], topo);
  const vmail = hostDir(topo, "vmail");
  for (const [dir, uid, mode] of [
    [hostDir(topo, "postgres"), 230, 0o700],
    [vmail, 5000, 0o750],
    [hostDir(topo, "sieve"), 5000, 0o750],
    [hostDir(topo, "postfixDovecot"), 0, 0o750],
    [hostDir(topo, "authLog"), 210, 0o750],
  ] as const) {
    mkdirSync(dir, { recursive: true });
    chownSync(dir, uid, uid);
    chmodSync(dir, mode);
  }
  // The mail host certificate, in the folder layout the certificate hook keeps.
  const tls = join(hostDir(topo, "tls"), "mail");
  mkdirSync(tls, { recursive: true });
  const key = join(tls, "privkey.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${cfg.hostname}`, "-keyout", key, "-out", join(tls, "fullchain.pem")], { stdio: "ignore" });
  chmodSync(key, 0o600);
  writeMaildir23(join(vmail, "e2e.test", "bob", "Maildir"));
  chownTree(join(vmail, "e2e.test"), 5000, 5000);

  await ensureNetwork(engine, topo.networks.mail);
  const net = await engine.getNetwork(NETWORK.name).inspect();
  const gateway: string = net.IPAM?.Config?.[0]?.Gateway ?? NETWORK.ipv4Subnet.replace(/0\/24$/, "1");

  const specs = containerSpecs(cfg, topo, plans);
  const spec = (s: string) => {
    const found = specs.find((x) => x.service === s);
    assert.ok(found, `no container spec for ${s}`);
    return found;
  };
  const pg = spec("postgres");
  await removeContainer(engine, pg.name, 1);
  await (await engine.createContainer(createOptions(pg, "test"))).start();
  await waitFor("postgres", async () => (await execIn(engine, pg.name, ["pg_isready", "-q", "-h", "127.0.0.1", "-U", "postgres"])).code === 0, pg.name);
  // A stand-in for Rspamd's controller on the host, reached by the container as "rspamd". The
  // gateway address exists on the host once a container is attached to the network.
  const learned: Running["learned"] = [];
  const controller = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      learned.push({ path: req.url ?? "", password: String(req.headers.password ?? ""), body });
      res.setHeader("content-type", "application/json");
      res.end('{"success":true}');
    });
  });
  await new Promise<void>((res, rej) => controller.once("error", rej).listen(topo.internal.rspamdController.port, gateway, res));

  const psql = (db: string, sql: string) => execOk(engine, pg.name, `psql ${db}`, ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db], { user: "postgres", input: sql });
  const pgConfig = hostConfigDir(topo, "postgres");
  await psql("postgres", readFileSync(join(pgConfig, "roles.sql"), "utf8"));
  await psql("mail", readFileSync(join(pgConfig, "schema.sql"), "utf8"));

  // Every bcrypt flavour that reaches the table: $2a$10$ as Pulumi's bcryptHash writes it (Go's
  // bcrypt; the same algorithm as bcryptjs with a $2a$ salt), $2b$10$ from bcryptjs (the local
  // stack), and $2y$ from Dovecot's own `doveadm pw -s BLF-CRYPT`.
  const a2a = (pw: string) => bcrypt.hashSync(pw, `$2a$10$${bcrypt.genSaltSync(10).slice(7)}`);
  const a2b = (pw: string) => bcrypt.hashSync(pw, bcrypt.genSaltSync(10));
  const y = await runOnce(engine, plans.services.dovecot.tag, ["-O", "pw", "-s", "BLF-CRYPT", "-r", "10", "-p", PASSWORDS["carol@other.test"]], { entrypoint: ["doveadm"] });
  assert.equal(y.code, 0, y.stdout);
  const hashes: Record<string, string> = {
    "alice@e2e.test": a2a(PASSWORDS["alice@e2e.test"]),
    "bob@e2e.test": a2b(PASSWORDS["bob@e2e.test"]),
    "carol@other.test": y.stdout.trim(),
    "tiny@e2e.test": a2b(PASSWORDS["tiny@e2e.test"]),
    "gone@e2e.test": a2b(PASSWORDS["gone@e2e.test"]),
    "limited@e2e.test": a2b(PASSWORDS["limited@e2e.test"]),
  };
  assert.match(hashes["alice@e2e.test"], /^\$2a\$10\$/);
  assert.match(hashes["bob@e2e.test"], /^\$2b\$10\$/);
  assert.match(hashes["carol@other.test"], /^\{BLF-CRYPT\}\$2y\$10\$/);
  await psql("mail", mailboxSyncSql(cfg, hashes));

  const dv = spec("dovecot");
  const opts = createOptions(dv, "test");
  opts.HostConfig = { ...opts.HostConfig, ExtraHosts: [`${topo.internal.rspamdController.host}:${gateway}`] };
  await removeContainer(engine, dv.name, 1);
  await (await engine.createContainer(opts)).start();
  const ip: string = (await engine.getContainer(dv.name).inspect()).NetworkSettings.Networks[NETWORK.name].IPAddress;
  for (const port of [993, 4190]) await waitFor(`dovecot port ${port}`, () => portOpen(ip, port), dv.name);
  for (const s of Object.values(DOVECOT_SOCKETS)) await waitFor(`dovecot socket ${s}`, async () => existsSync(join(hostDir(topo, "postfixDovecot"), s)), dv.name);
  return { topo, cfg, ip, gateway, dovecot: dv.name, postgres: pg.name, learned, controller };
}

const imapClient = (user: string, pass: string, opts: { port?: number; secure?: boolean; doSTARTTLS?: boolean } = {}) =>
  new ImapFlow({
    host: running().ip,
    port: opts.port ?? 993,
    secure: opts.secure ?? true,
    ...(opts.doSTARTTLS !== undefined ? { doSTARTTLS: opts.doSTARTTLS } : {}),
    auth: { user, pass },
    tls: { rejectUnauthorized: false },
    logger: false,
    connectionTimeout: 15_000,
  });

async function imapSession<T>(user: string, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const c = imapClient(user, PASSWORDS[user]);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.logout().catch(() => c.close());
  }
}

/** What a failed login attempt throws, for an assertion message; the attempt's socket is closed. */
async function loginRefused(c: ImapFlow): Promise<string> {
  try {
    await c.connect();
  } catch (e) {
    c.close();
    const err = e as Error & { responseText?: string; authenticationFailed?: boolean };
    return `${err.message} ${err.responseText ?? ""}`;
  }
  await c.logout();
  assert.fail("the login was accepted");
}

/** One of Dovecot's sockets for Postfix, where the host sees it. */
const socketPath = (which: keyof typeof DOVECOT_SOCKETS) => join(hostDir(running().topo, "postfixDovecot"), DOVECOT_SOCKETS[which]);

const lmtp = () =>
  nodemailer.createTransport({
    host: "localhost",
    lmtp: true,
    secure: false,
    ignoreTLS: true,
    getSocket: (_opts: unknown, cb: (err: Error | null, socket: { connection: Socket }) => void) => cb(null, { connection: netConnect({ path: socketPath("lmtp") }) }),
  } as nodemailer.TransportOptions);

async function deliver(to: string, messageId: string, text = "hello"): Promise<string> {
  const r = await lmtp().sendMail({ from: "someone@remote.example", to, subject: `test ${messageId}`, text, messageId });
  return r.response;
}

/** Files under a user's Maildir (any folder) that hold this Message-ID. */
function filesWith(user: string, messageId: string): string[] {
  const [local, domain] = user.split("@");
  const root = join(hostDir(running().topo, "vmail"), domain, local, "Maildir");
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/^(new|cur)$/.test(dir.split("/").pop() ?? "") && readFileSync(p, "utf8").includes(`Message-ID: <${messageId}>`)) out.push(p);
    }
  };
  walk(root);
  return out;
}

/** One Postfix policy request (smtpd_access_policy) to Dovecot's quota-status service. */
function quotaPolicy(recipient: string, size: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ path: socketPath("quotaPolicy") });
    let out = "";
    s.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.endsWith("\n\n")) {
        s.end();
        resolve(out.trim());
      }
    });
    s.on("error", reject);
    s.write(`request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nsender=someone@remote.example\nrecipient=${recipient}\nsize=${size}\n\n`);
  });
}

/** A line-based dialog on a socket: send a line, read until a line matches. */
class Dialog {
  private buf = "";
  private wake: (() => void) | undefined;
  constructor(private sock: Socket) {
    this.listen(sock);
  }
  private listen(s: Socket): void {
    s.on("data", (d: Buffer) => {
      this.buf += d.toString();
      this.wake?.();
    });
  }
  async until(re: RegExp, timeoutMs = 10_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.buf);
      if (m) {
        const out = this.buf.slice(0, m.index + m[0].length);
        this.buf = this.buf.slice(out.length);
        return out;
      }
      if (Date.now() > end) throw new Error(`no ${re} in ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 200);
      });
    }
  }
  send(text: string): void {
    this.sock.write(text);
  }
  async startTls(): Promise<void> {
    const secure = tlsConnect({ socket: this.sock, rejectUnauthorized: false });
    await new Promise<void>((res, rej) => secure.once("secureConnect", res).once("error", rej));
    this.sock = secure;
    this.listen(secure);
  }
  close(): void {
    this.sock.destroy();
  }
}

const MANAGESIEVE_REPLY = /(^|\r\n)(OK|NO|BYE)[^\r\n]*\r\n/;
const plainResponse = (user: string, pass: string) => Buffer.from(`\0${user}\0${pass}`).toString("base64");

describe("dovecot image: with PostgreSQL", () => {
  beforeAll(
    async () => {
      run = await startStack();
    },
    5 * 60_000,
  );

  afterAll(async () => {
    run?.controller.close();
    for (const name of [run?.dovecot, run?.postgres]) if (name !== undefined) await removeContainer(engine, name, 5);
    await removeNetwork(engine, NETWORK.name);
  });

  for (const [user, kind] of [
    ["alice@e2e.test", "$2a$10$ (Pulumi's bcryptHash)"],
    ["bob@e2e.test", "$2b$10$ (bcryptjs)"],
    ["carol@other.test", "$2y$ (doveadm pw)"],
  ] as const) {
    it(`logs in over IMAPS with a ${kind} password hash`, async () => {
      const status = await imapSession(user, (c) => c.status("INBOX", { messages: true }));
      assert.equal(status.path, "INBOX");
    });
  }

  it("gives every mailbox Drafts, Sent, Junk, Trash and Archive, subscribed, with special-use flags", async () => {
    const list = await imapSession("carol@other.test", (c) => c.list());
    const special = Object.fromEntries(list.filter((m) => m.specialUse).map((m) => [m.specialUse, { path: m.path, subscribed: m.subscribed }]));
    for (const [flag, path] of [["\\Drafts", "Drafts"], ["\\Sent", "Sent"], ["\\Junk", "Junk"], ["\\Trash", "Trash"], ["\\Archive", "Archive"]]) {
      assert.deepEqual(special[flag], { path, subscribed: true }, flag);
    }
  });

  it("serves LMTP, SASL and the quota policy only as sockets of the postfix group, on no network port", async () => {
    for (const port of [24, 12340, 12345]) assert.equal(await portOpen(running().ip, port), false, `port ${port} answers on the network`);
    for (const which of Object.keys(DOVECOT_SOCKETS) as (keyof typeof DOVECOT_SOCKETS)[]) {
      const st = statSync(socketPath(which));
      assert.ok(st.isSocket(), which);
      assert.equal(st.mode & 0o777, 0o660, `${which} mode`);
      assert.equal(st.gid, ACCOUNT_IDS.postfix.gid, `${which} group`);
    }
  });

  it("delivers over LMTP into <domain>/<user>/Maildir, owned by the mail user", async () => {
    const id = `lmtp-${Date.now()}@test`;
    assert.match(await deliver("alice@e2e.test", id), /^250 /);
    const files = filesWith("alice@e2e.test", id);
    assert.equal(files.length, 1, files.join(", "));
    assert.match(files[0], /\/vmail\/e2e\.test\/alice\/Maildir\/(new|cur)\//);
    assert.equal(statSync(files[0]).uid, running().topo.mailUser.uid);
  });

  it("discards a second delivery of a Message-ID the mailbox already has (dedupe)", async () => {
    const id = `dup-${Date.now()}@test`;
    assert.match(await deliver("alice@e2e.test", id), /^250 /);
    // Postfix retrying after a crash gets a success, and the mailbox still holds one copy.
    assert.match(await deliver("alice@e2e.test", id), /^250 /);
    assert.equal(filesWith("alice@e2e.test", id).length, 1);
    const other = `other-${Date.now()}@test`;
    assert.match(await deliver("alice@e2e.test", other), /^250 /);
    assert.equal(filesWith("alice@e2e.test", other).length, 1, "a new Message-ID is delivered");
  });

  it("accepts a recipient on 20 LMTP sessions to one mailbox at once", async () => {
    // Postfix opens up to 20 LMTP sessions to Dovecot (default_destination_concurrency_limit). A
    // burst to one mailbox must not get 451 "Too many concurrent deliveries" for some of them:
    // Postfix would hold those back for minutes before retrying.
    const sessions = Array.from({ length: 20 }, () => new Dialog(netConnect({ path: socketPath("lmtp") })));
    try {
      const replies = await Promise.all(
        sessions.map(async (d) => {
          await d.until(/^220 [^\n]*\n/m);
          d.send("LHLO test\r\n");
          await d.until(/^250 [^\n]*\n/m);
          d.send("MAIL FROM:<someone@remote.example>\r\n");
          await d.until(/^250 [^\n]*\n/m);
          d.send("RCPT TO:<bob@e2e.test>\r\n");
          return (await d.until(/^\d{3} [^\n]*\n/m)).trim();
        }),
      );
      assert.deepEqual(replies.filter((r) => !r.startsWith("250 ")), []);
    } finally {
      for (const d of sessions) d.close();
    }
  });

  it("answers Postfix's quota policy request with 552 over quota and DUNNO otherwise", async () => {
    // tiny@e2e.test has a 40 KiB quota.
    assert.equal(await quotaPolicy("tiny@e2e.test", 50_000), "action=552 5.2.2 Mailbox is full (quota exceeded)", "larger than the whole quota");
    assert.equal(await quotaPolicy("tiny@e2e.test", 1_000), "action=DUNNO");
    assert.match(await deliver("tiny@e2e.test", `fill-${Date.now()}@test`, "x".repeat(30_000)), /^250 /);
    assert.equal(await quotaPolicy("tiny@e2e.test", 20_000), "action=552 5.2.2 Mailbox is full (quota exceeded)", "more than what is left");
    assert.equal(await quotaPolicy("alice@e2e.test", 20_000), "action=DUNNO");
    // Unknown and disabled recipients are Postfix's to refuse from its own maps.
    assert.equal(await quotaPolicy("nobody@e2e.test", 10), "action=DUNNO");
    assert.equal(await quotaPolicy("gone@e2e.test", 10), "action=DUNNO");
  });

  it("refuses over-quota mail at LMTP without an overdraft", async () => {
    // After the quota test's 30 KB, 20 KB more would pass with 2.4's default 10 MB grace.
    assert.match(await deliver("tiny@e2e.test", `over-${Date.now()}@test`, "y".repeat(20_000)), /^552 5\.2\.2 /);
  });

  it("stores and activates a script over ManageSieve after STARTTLS, and runs it at delivery", async () => {
    const user = "carol@other.test";
    const plain = new Dialog(netConnect({ host: running().ip, port: 4190 }));
    try {
      assert.match(await plain.until(MANAGESIEVE_REPLY), /^"SASL" ""\r\n.*^"STARTTLS"/ms, "no mechanism offered before STARTTLS");
      plain.send(`AUTHENTICATE "PLAIN" "${plainResponse(user, PASSWORDS[user])}"\r\n`);
      assert.match(await plain.until(MANAGESIEVE_REPLY), /^NO \(ENCRYPT-NEEDED\)/m, "no login before STARTTLS");
    } finally {
      plain.close();
    }
    // A new connection: Dovecot 2.4.1 refuses the next AUTHENTICATE on a connection whose first
    // one came before STARTTLS ("Invalid base64 data in initial response"); clients that follow
    // the capability list never do that.
    const d = new Dialog(netConnect({ host: running().ip, port: 4190 }));
    try {
      assert.match(await d.until(MANAGESIEVE_REPLY), /"STARTTLS"/);
      d.send("STARTTLS\r\n");
      assert.match(await d.until(MANAGESIEVE_REPLY), /^OK/m);
      await d.startTls();
      assert.match(await d.until(MANAGESIEVE_REPLY), /"SASL" "[^"]*PLAIN/);
      d.send(`AUTHENTICATE "PLAIN" "${plainResponse(user, PASSWORDS[user])}"\r\n`);
      assert.match(await d.until(MANAGESIEVE_REPLY), /^OK/m);
      const script = 'require "fileinto";\r\nif header :contains "subject" "[archive]" { fileinto "Archive"; }\r\n';
      d.send(`PUTSCRIPT "rules" {${Buffer.byteLength(script)}+}\r\n${script}\r\n`);
      assert.match(await d.until(MANAGESIEVE_REPLY), /^OK/m);
      d.send('SETACTIVE "rules"\r\n');
      assert.match(await d.until(MANAGESIEVE_REPLY), /^OK/m);
      d.send("LOGOUT\r\n");
    } finally {
      d.close();
    }
    const sieveDir = join(hostDir(running().topo, "sieve"), "other.test", "carol");
    assert.ok(readdirSync(join(sieveDir, "scripts")).includes("rules.sieve"));
    const id = `sieve-${Date.now()}@test`;
    await lmtp().sendMail({ from: "someone@remote.example", to: user, subject: "[archive] monthly report", text: "x", messageId: id });
    const files = filesWith(user, id);
    assert.equal(files.length, 1);
    assert.match(files[0], /\/Maildir\/\.Archive\/(new|cur)\//, "filed by the user's script");
  });

  it("teaches Rspamd spam when a message moves into Junk and ham when it moves out", async () => {
    const id = `junk-${Date.now()}@test`;
    assert.match(await deliver("alice@e2e.test", id, "buy now"), /^250 /);
    const learned = running().learned;
    learned.length = 0;
    await imapSession("alice@e2e.test", async (c) => {
      const lock = await c.getMailboxLock("INBOX");
      try {
        const found = await c.search({ header: { "message-id": id } }, { uid: true });
        assert.ok(found && found.length === 1, "the delivered message is in INBOX");
        await c.messageMove(String(found[0]), "Junk", { uid: true });
      } finally {
        lock.release();
      }
      const junk = await c.getMailboxLock("Junk");
      try {
        const found = await c.search({ header: { "message-id": id } }, { uid: true });
        assert.ok(found && found.length === 1, "the message is in Junk");
        await c.messageMove(String(found[0]), "INBOX", { uid: true });
      } finally {
        junk.release();
      }
    });
    const until = Date.now() + 10_000;
    while (learned.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(
      learned.map((l) => l.path),
      ["/learnspam", "/learnham"],
    );
    for (const l of learned) {
      assert.ok(l.password === SECRETS.rspamdControllerPassword, "the controller password from the rendered curlrc");
      assert.match(l.body, new RegExp(`Message-ID: <${id}>`));
    }
  });

  it("reads mail a Dovecot 2.3 left on the volume: same folders, flags and UIDs", async () => {
    await imapSession("bob@e2e.test", async (c) => {
      const inbox = await c.getMailboxLock("INBOX");
      try {
        // A changed UIDVALIDITY would make every client download the mailbox again.
        assert.equal(c.mailbox && c.mailbox.uidValidity, 1700000000n);
        const m = await c.fetchOne("7", { uid: true, flags: true, envelope: true }, { uid: true });
        assert.ok(m, "message UID 7 in INBOX");
        assert.equal(m.envelope?.subject, "from 2.3 inbox");
        assert.ok(m.flags?.has("\\Seen"));
      } finally {
        inbox.release();
      }
      const archive = await c.getMailboxLock("Archive");
      try {
        assert.equal(c.mailbox && c.mailbox.uidValidity, 1700000001n);
        const m = await c.fetchOne("3", { uid: true, envelope: true }, { uid: true });
        assert.ok(m, "message UID 3 in Archive");
        assert.equal(m.envelope?.subject, "from 2.3 archive");
      } finally {
        archive.release();
      }
    });
  });

  // Failed logins come last: Dovecot delays every later login from the same address (all of
  // these come from the network gateway) by a growing auth penalty.
  it("refuses a login on 143 before STARTTLS and accepts it after", async () => {
    const why = await loginRefused(imapClient("alice@e2e.test", PASSWORDS["alice@e2e.test"], { port: 143, secure: false, doSTARTTLS: false }));
    assert.match(why, /disabled/i, "LOGINDISABLED until STARTTLS");
    const c = imapClient("alice@e2e.test", PASSWORDS["alice@e2e.test"], { port: 143, secure: false, doSTARTTLS: true });
    await c.connect();
    assert.equal(c.secureConnection, true);
    await c.logout();
  });

  it("refuses a wrong password and logs the failure with the client's address", async () => {
    const why = await loginRefused(imapClient("alice@e2e.test", "not-the-password"));
    assert.match(why, /Authentication failed/i);
    const log = await logsTail(engine, running().dovecot, 200);
    assert.match(log, new RegExp(`auth\\(alice@e2e\\.test,${running().gateway.replace(/\./g, "\\.")},[^)]*\\).*Password mismatch`));
  });

  it("refuses a disabled mailbox even with its own password", async () => {
    const why = await loginRefused(imapClient("gone@e2e.test", PASSWORDS["gone@e2e.test"]));
    assert.match(why, /Authentication failed/i);
  });

  it("authenticates Postfix's SASL dialog on the auth socket and refuses a wrong password", async () => {
    const d = new Dialog(netConnect({ path: socketPath("sasl") }));
    try {
      // What Postfix's xsasl_dovecot client sends and expects (Dovecot's auth protocol 1.x).
      d.send(`VERSION\t1\t2\nCPID\t${process.pid}\n`);
      const handshake = await d.until(/^DONE\n/m);
      assert.match(handshake, /^MECH\tPLAIN/m);
      const auth = (id: number, pass: string) =>
        d.send(`AUTH\t${id}\tPLAIN\tservice=smtp\tnologin\tlip=${running().ip}\trip=${running().gateway}\tsecured\tresp=${plainResponse("bob@e2e.test", pass)}\n`);
      auth(1, PASSWORDS["bob@e2e.test"]);
      assert.match(await d.until(/^(OK|FAIL)\t1\t[^\n]*\n/m), /^OK\t1\tuser=bob@e2e\.test/m);
      auth(2, "wrong");
      assert.match(await d.until(/^(OK|FAIL)\t2\t[^\n]*\n/m, 15_000), /^FAIL\t2/m);
    } finally {
      d.close();
    }
  });
  it("takes the webmail's browser address from IMAP ID on its trusted network, and logs that address", async () => {
    // The test process is on the test network, which stands for the webmail's network here.
    const d = new Dialog(tlsConnect({ host: running().ip, port: 993, rejectUnauthorized: false }));
    try {
      await d.until(/^\* OK[^\n]*\n/m);
      d.send('a ID ("x-originating-ip" "203.0.113.9")\r\n');
      await d.until(/^a OK[^\n]*\n/m);
      d.send("b LOGIN alice@e2e.test not-the-password\r\n");
      assert.match(await d.until(/^b (OK|NO|BAD)[^\n]*\n/m, 20_000), /^b NO/m);
    } finally {
      d.close();
    }
    const log = await logsTail(engine, running().dovecot, 200);
    assert.match(log, /auth\(alice@e2e\.test,203\.0\.113\.9,[^)]*\).*Password mismatch/);
  });

  it("writes every failed login, with the client's address, as one JSON line for fail2ban", async () => {
    const file = join(hostDir(running().topo, "authLog"), running().topo.paths.authFailureLog.split("/").pop() ?? "");
    const until = Date.now() + 10_000;
    let lines: Record<string, unknown>[] = [];
    while (Date.now() < until) {
      lines = existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
      if (lines.some((l) => (l.fields as Record<string, unknown>)?.remote_ip === "203.0.113.9")) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const fields = lines.map((l) => l.fields as Record<string, string>);
    assert.ok(lines.every((l) => l.event === "auth_passdb_request_finished"), "only failed logins reach the file");
    assert.ok(fields.some((f) => f.remote_ip === "203.0.113.9" && f.user === "alice@e2e.test"), "the webmail's failure, under the browser's address");
    assert.ok(fields.some((f) => f.remote_ip === running().gateway && f.protocol === "smtp"), "Postfix's SASL failure");
    assert.ok(fields.every((f) => f.result === "password_mismatch" || f.result === "user_unknown"), "only failures");
    // The password itself is never written.
    assert.doesNotMatch(readFileSync(file, "utf8"), /not-the-password/);
  });

  it("logs in with a cached password while PostgreSQL is down, and refuses any other password then", async () => {
    const user = "bob@e2e.test";
    await imapSession(user, (c) => c.noop());
    await engine.getContainer(running().postgres).stop({ t: 5 });
    try {
      // Cached: no query, no bcrypt; what Roundcube's login on every click gets.
      await imapSession(user, (c) => c.noop());
      const why = await loginRefused(imapClient(user, "another-password"));
      assert.match(why, /temporar|failed/i);
    } finally {
      await engine.getContainer(running().postgres).start();
    }
  });
});
