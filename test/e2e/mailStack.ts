// Shared plumbing for the mail end-to-end tests (not a test file): brings the local e2e stack up
// through the runner (a no-op when it already runs), and gives real clients: a "remote" SMTP
// sender bound to 127.0.0.2 (outside mynetworks), submission and IMAP as a mailbox user, the
// local "remote MX" sink, and the Rspamd controller. Passwords come from .local/ and are never printed.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ImapFlow } from "imapflow";
import nodemailer from "nodemailer";
import { SMTPServer } from "smtp-server";
import { parseMailConfig, type MailConfig } from "../../components/core/config/config";
import { parseStackYaml } from "../../components/core/config/stackFile";
import { localTopology, type Topology } from "../../components/core/topology";
import { readEndpoints, STATE_DIR, type LocalEndpoints } from "../../local/endpoints";
import { REPO_ROOT } from "../../components/core/paths";

export const E2E_STACK_FILE = join(REPO_ROOT, "test", "e2e", "Pulumi.e2e.yaml");
export { STATE_DIR };
export const REMOTE_ADDRESS = "127.0.0.2";
export const HOST = "127.0.0.1";

export interface MailStack {
  cfg: MailConfig;
  topo: Topology;
  ep: LocalEndpoints;
  password: (address: string) => string;
}

export function upMailStack(): MailStack {
  execFileSync("npx", ["tsx", join(REPO_ROOT, "local", "cli.ts"), "up", "--stack-file", E2E_STACK_FILE], {
    cwd: REPO_ROOT,
    env: { ...process.env, MAILSTACK_GREYLISTING: "off" },
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 300_000,
  });
  const { raw, hasRelayPassword } = parseStackYaml(readFileSync(E2E_STACK_FILE, "utf8"), E2E_STACK_FILE);
  const cfg = parseMailConfig(raw, { hasRelayPassword });
  const ep = readEndpoints();
  const password = (address: string) => {
    const m = ep.mailboxes.find((x) => x.address === address);
    if (m === undefined) throw new Error(`no mailbox ${address} in endpoints.json`);
    return m.password;
  };
  return { cfg, topo: localTopology(STATE_DIR), ep, password };
}

export const uniqueId = (tag: string) => `<${tag}.${Date.now()}.${Math.random().toString(36).slice(2)}@e2e.client>`;

export interface SmtpError extends Error {
  responseCode?: number;
  response?: string;
}

/** Mail from the internet: port 25 (local smtp port) from 127.0.0.2, STARTTLS if offered. */
export function remoteTransport(stack: MailStack, port = stack.ep.smtp, secure = false) {
  return nodemailer.createTransport({
    host: HOST,
    port,
    secure,
    localAddress: REMOTE_ADDRESS,
    name: "mx.remote.example",
    tls: { rejectUnauthorized: false },
    connectionTimeout: 10000,
    greetingTimeout: 10000,
    socketTimeout: 20000,
  });
}

/** A mailbox user submitting on 587 (STARTTLS) or 465 (implicit TLS). */
export function userTransport(
  stack: MailStack,
  user: string,
  opts: { port?: number; secure?: boolean; password?: string; localAddress?: string } = {},
) {
  return nodemailer.createTransport({
    host: HOST,
    localAddress: opts.localAddress,
    port: opts.port ?? stack.ep.submission,
    secure: opts.secure ?? false,
    requireTLS: !(opts.secure ?? false),
    auth: { user, pass: opts.password ?? stack.password(user) },
    tls: { rejectUnauthorized: false },
    connectionTimeout: 10000,
    socketTimeout: 20000,
  });
}

export async function imapLogin(stack: MailStack, user: string): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: HOST,
    port: stack.ep.imaps,
    secure: true,
    auth: { user, pass: stack.password(user) },
    tls: { rejectUnauthorized: false },
    logger: false,
  });
  await client.connect();
  return client;
}

/** Polls a mailbox until a message with this Message-ID is there; returns its source. */
export async function waitForMessage(stack: MailStack, user: string, messageId: string, opts: { mailbox?: string; timeoutMs?: number } = {}): Promise<string> {
  const until = Date.now() + (opts.timeoutMs ?? 30000);
  const client = await imapLogin(stack, user);
  try {
    while (Date.now() < until) {
      const lock = await client.getMailboxLock(opts.mailbox ?? "INBOX");
      try {
        const uids = await client.search({ header: { "message-id": messageId } }, { uid: true });
        if (uids && uids.length > 0) {
          const msg = await client.fetchOne(String(uids[0]), { source: true }, { uid: true });
          if (msg && msg.source) return msg.source.toString();
        }
      } finally {
        lock.release();
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    await client.logout().catch(() => undefined);
  }
  throw new Error(`no message ${messageId} in ${user}'s ${opts.mailbox ?? "INBOX"} within ${(opts.timeoutMs ?? 30000) / 1000}s`);
}

export async function sendExpectingError(send: () => Promise<unknown>): Promise<SmtpError> {
  try {
    await send();
  } catch (e) {
    return e as SmtpError;
  }
  throw new Error("the server accepted a message it should have refused");
}

/** The local "remote MX": every outbound message of the stack ends up here (topology.outboundRelay). */
export async function startSink(stack: MailStack): Promise<{ messages: { from: string; to: string[]; raw: string }[]; close: () => Promise<void> }> {
  const relay = stack.topo.outboundRelay;
  if (relay === undefined) throw new Error("the local topology has no outboundRelay");
  const messages: { from: string; to: string[]; raw: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString(),
        });
        cb();
      });
    },
  });
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(relay.port, relay.host, () => res());
  });
  return { messages, close: () => new Promise<void>((res) => server.close(() => res())) };
}

export function serviceSecrets(): { rspamdControllerPassword: string } {
  return JSON.parse(readFileSync(join(STATE_DIR, "secrets", "service-secrets.json"), "utf8")) as { rspamdControllerPassword: string };
}

/** GET on the Rspamd controller; password omitted = anonymous. */
export async function rspamdController(stack: MailStack, path: string, password?: string): Promise<{ status: number; body: string }> {
  const c = stack.topo.internal.rspamdController;
  const res = await fetch(`http://${c.host}:${c.port}${path}`, { headers: password === undefined ? {} : { Password: password } });
  return { status: res.status, body: await res.text() };
}

export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
}

/**
 * A raw SMTP/IMAP conversation from 127.0.0.2: sends each line after the previous reply and
 * returns every reply. The line "<STARTTLS>" upgrades the socket to TLS in place.
 */
export async function plainDialog(port: number, lines: string[]): Promise<string[]> {
  const { connect } = await import("node:net");
  const tls = await import("node:tls");
  let sock: import("node:net").Socket = connect({ host: HOST, port, localAddress: REMOTE_ADDRESS });
  const replies: string[] = [];
  let buf = "";
  const complete = (b: string) => {
    const last = b.split("\r\n").slice(-2)[0] ?? "";
    return b.endsWith("\r\n") && !/^\d{3}-/.test(last);
  };
  const next = () =>
    new Promise<string>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no reply on port ${port}; got ${JSON.stringify(buf)}`)), 10000);
      const onData = (d: Buffer) => {
        buf += d.toString();
        if (complete(buf)) {
          clearTimeout(t);
          sock.off("data", onData);
          const out = buf;
          buf = "";
          res(out);
        }
      };
      sock.on("data", onData);
    });
  try {
    replies.push(await next());
    for (const l of lines) {
      if (l === "<STARTTLS>") {
        const plain = sock;
        sock = tls.connect({ socket: plain, rejectUnauthorized: false });
        await new Promise<void>((res, rej) => {
          sock.once("secureConnect", () => res());
          sock.once("error", rej);
        });
        continue;
      }
      sock.write(`${l}\r\n`);
      replies.push(await next());
    }
  } finally {
    sock.destroy();
  }
  return replies;
}
