// Helpers for the mail-policy tests (not a test file): the running local stack's endpoints and
// mailbox passwords, raw SMTP from the "outside" namespace (outsideSmtp.mjs: a source address the
// containers see as itself, bytes exactly as given), DNS answers the test controls (records added
// to the stack's own Unbound with unbound-control, under the test zone example.), users' Sieve
// scripts written where Dovecot reads them, the outbound sink, IMAP polling and a DNS resolver
// for mailauth that knows the stack's zone and the test's records. Passwords are never printed.
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ImapFlow } from "imapflow";
import nodemailer from "nodemailer";
import { SMTPServer } from "smtp-server";
import { localInstance, localTopology } from "../../../components/core/topology";
import { readEndpoints, STATE_DIR, type LocalEndpoints } from "../../../local/endpoints";
import { zoneResolver } from "./zoneResolver";

const PREFIX = localInstance() === 0 ? "mailstack-" : `mailstack${localInstance()}-`;
export const ep: LocalEndpoints = readEndpoints();
export const topo = localTopology(STATE_DIR, { instance: localInstance() });

export const password = (address: string): string => {
  const m = ep.mailboxes.find((x) => x.address === address);
  if (m === undefined) throw new Error(`no mailbox ${address} in endpoints.json`);
  return m.password;
};

export const uniqueId = (tag: string) => `<${tag}.${Date.now()}.${Math.random().toString(36).slice(2)}@remote.example>`;

/** One raw SMTP conversation from the outside (source i), to a port of the stack as published there. */
export function outsideDialog(port: number, steps: (string | { write: string; replies: number })[], source = 0, early?: string): string[] {
  const r = spawnSync("ip", ["netns", "exec", ep.remote.netns, process.execPath, join(__dirname, "outsideSmtp.mjs")], {
    input: JSON.stringify({ source: ep.remote.sources[source], host: ep.remote.address, port, steps, servername: ep.mailHost, early }),
    encoding: "utf8",
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`outside SMTP client failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

/** The headers a real client always writes (To, Date), unless the message has its own. */
function withUsualHeaders(data: string, to: string[]): string {
  const head = data.split(/\r?\n\r?\n/)[0];
  const extra = [...(/^To:/im.test(head) ? [] : [`To: ${to.join(", ")}`]), ...(/^Date:/im.test(head) ? [] : [`Date: ${new Date().toUTCString()}`])];
  return [...extra, data].join("\n").replace(/\r?\n/g, "\r\n");
}

/** A whole message from the outside on port 25: EHLO, STARTTLS, envelope, DATA; every reply. */
export function sendFromOutside(opts: { from: string; to: string[]; data: string; helo?: string; source?: number }): string[] {
  const body = withUsualHeaders(opts.data, opts.to);
  return outsideDialog(
    ep.smtp,
    [
      `EHLO ${opts.helo ?? `mta${(opts.source ?? 0) + 1}.remote.example`}\r\n`,
      "STARTTLS\r\n",
      "<STARTTLS>",
      `EHLO ${opts.helo ?? `mta${(opts.source ?? 0) + 1}.remote.example`}\r\n`,
      `MAIL FROM:<${opts.from}>\r\n`,
      ...opts.to.map((t) => `RCPT TO:<${t}>\r\n`),
      "DATA\r\n",
      `${body}\r\n.\r\n`,
      "QUIT\r\n",
    ],
    opts.source ?? 0,
  );
}

/** The reply codes of a conversation, greeting first. */
export const codes = (replies: string[]) => replies.map((r) => Number(r.slice(0, 3)));

/** Runs a command in one of this stack's containers; returns stdout. */
export function inContainer(service: string, args: string[], input?: string): string {
  return execFileSync("podman", ["exec", "-i", `${PREFIX}${service}`, ...args], { encoding: "utf8", input, timeout: 60_000 });
}

/** Adds records to the stack's resolver (local test zone example. only); every line "name TTL IN TYPE data". */
export function publishTestDns(records: string[]): void {
  for (const rr of records) inContainer("unbound", ["unbound-control", "-c", "/config/unbound.conf", "local_data", rr]);
  inContainer("unbound", ["unbound-control", "-c", "/config/unbound.conf", "flush_zone", "example."]);
}

export function unpublishTestDns(names: string[]): void {
  for (const n of names) inContainer("unbound", ["unbound-control", "-c", "/config/unbound.conf", "local_data_remove", n]);
}

/** mailauth's resolver: the stack's zone file, then the records a test published. */
export function testResolver(extra: Record<string, string[][]> = {}) {
  const zone = zoneResolver(ep.zone);
  return async (name: string, type: string) => {
    const k = `${name.toLowerCase().replace(/\.$/, "")} ${type}`;
    if (extra[k] !== undefined) return extra[k];
    return zone(name, type);
  };
}

/** Makes `script` the active Sieve script of a mailbox (the file driver's layout, owned by vmail). */
export function setSieve(address: string, script: string): void {
  const [local, domain] = address.split("@");
  const dir = join(topo.hostRoot, "sieve", domain, local);
  const scripts = join(dir, "scripts");
  mkdirSync(scripts, { recursive: true });
  writeFileSync(join(scripts, "test.sieve"), script);
  rmSync(join(dir, "active.sieve"), { force: true });
  symlinkSync("scripts/test.sieve", join(dir, "active.sieve"));
  for (const p of [join(topo.hostRoot, "sieve", domain), dir, scripts, join(scripts, "test.sieve")]) chownSync(p, topo.mailUser.uid, topo.mailUser.gid);
  execFileSync("chown", ["-h", `${topo.mailUser.uid}:${topo.mailUser.gid}`, join(dir, "active.sieve")]);
}

export function clearSieve(address: string): void {
  const [local, domain] = address.split("@");
  rmSync(join(topo.hostRoot, "sieve", domain, local), { recursive: true, force: true });
}

export async function imapLogin(user: string): Promise<ImapFlow> {
  const client = new ImapFlow({ host: "127.0.0.1", port: ep.imaps, secure: true, auth: { user, pass: password(user) }, tls: { rejectUnauthorized: false }, logger: false });
  await client.connect();
  return client;
}

/** Sources of the messages in a folder whose header `name` contains `value` (polls until one is there, or returns [] after timeoutMs). */
export async function findMessages(user: string, folder: string, name: string, value: string, timeoutMs = 20_000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  const client = await imapLogin(user);
  try {
    for (;;) {
      const lock = await client.getMailboxLock(folder);
      try {
        const uids = (await client.search({ header: { [name]: value } }, { uid: true })) || [];
        if (uids.length > 0) {
          const out: string[] = [];
          for await (const m of client.fetch(uids.join(","), { source: true }, { uid: true })) if (m.source) out.push(m.source.toString());
          return out;
        }
      } finally {
        lock.release();
      }
      if (Date.now() > until) return [];
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await client.logout().catch(() => undefined);
  }
}

export interface SinkMessage {
  from: string;
  to: string[];
  raw: string;
}

/** Listens where the stack relays outbound mail (endpoints.json `sink`). */
export async function startSink(): Promise<{ messages: SinkMessage[]; waitFor: (match: (m: SinkMessage) => boolean, timeoutMs?: number) => Promise<SinkMessage>; close: () => Promise<void> }> {
  const messages: SinkMessage[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        messages.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString() });
        cb();
      });
    },
  });
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(ep.sink.port, ep.sink.host, () => res());
  });
  const waitFor = async (match: (m: SinkMessage) => boolean, timeoutMs = 30_000) => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const m = messages.find(match);
      if (m !== undefined) return m;
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`no matching message at the sink within ${timeoutMs / 1000} s (got ${messages.length})`);
  };
  return { messages, waitFor, close: () => new Promise<void>((res) => server.close(() => res())) };
}

/** A logged-in user submitting on 587 (STARTTLS) from the outside namespace (its SOCKS proxy is not needed: raw client). */
export function submitFromOutside(user: string, opts: { from: string; to: string[]; data: string; helo?: string; source?: number }): string[] {
  const auth = Buffer.from(`\0${user}\0${password(user)}`).toString("base64");
  const body = withUsualHeaders(opts.data, opts.to);
  return outsideDialog(
    ep.submission,
    [
      `EHLO ${opts.helo ?? "laptop.home.example"}\r\n`,
      "STARTTLS\r\n",
      "<STARTTLS>",
      `EHLO ${opts.helo ?? "laptop.home.example"}\r\n`,
      `AUTH PLAIN ${auth}\r\n`,
      `MAIL FROM:<${opts.from}>\r\n`,
      ...opts.to.map((t) => `RCPT TO:<${t}>\r\n`),
      "DATA\r\n",
      `${body}\r\n.\r\n`,
      "QUIT\r\n",
    ],
    opts.source ?? 1,
  );
}

export { nodemailer };
