// Shared plumbing for the TLS and webmail end-to-end tests (not a test file): brings up the local
// stack for test/e2e/Pulumi.e2e.yaml through the local runner (a no-op when it is already up),
// and gives TLS clients that trust only Caddy's local root and name the host via SNI, so
// mta-sts.<domain> and the mail host "resolve" to 127.0.0.1 without touching /etc/hosts.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import type { Topology } from "../../components/core/topology";
import { HOST, REMOTE_ADDRESS, upMailStack, type MailStack } from "./mailStack";

export { E2E_STACK_FILE, STATE_DIR } from "./mailStack";
export const LOOPBACK = HOST;
/** A client address outside mynetworks, and not "the same host" for Dovecot. */
export const REMOTE_CLIENT = REMOTE_ADDRESS;

export interface LocalStack extends MailStack {
  /** Caddy's local root: the only CA these clients trust. */
  ca: Buffer;
}

export function bringUpLocalStack(): LocalStack {
  const stack = upMailStack();
  return { ...stack, ca: readFileSync(stack.topo.paths.webmailTrustedCa) };
}

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTPS request to `host` (by SNI and Host header) at 127.0.0.1, verified against `ca`. */
export function httpsTo(stack: LocalStack, host: string, path: string, opts: { method?: string; body?: string } = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: LOOPBACK, port: stack.topo.ports.https, servername: host, headers: { host }, path, method: opts.method ?? "GET", ca: stack.ca },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** SHA-256 fingerprint of a PEM certificate file's first certificate, as node formats it. */
export function fingerprintOfPem(file: string): string {
  const pem = readFileSync(file, "utf8");
  const b64 = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (b64 === null) throw new Error(`${file} holds no certificate`);
  const hex = createHash("sha256").update(Buffer.from(b64[1].replace(/\s+/g, ""), "base64")).digest("hex").toUpperCase();
  return hex.match(/../g)!.join(":");
}

export type Protocol = "smtp" | "imap" | "sieve";

/** Reads from a plain socket until `done` says the server's answer is complete. */
function readUntil(sock: Socket, done: (text: string) => boolean, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => finish(new Error(`timeout waiting for ${what}; got ${JSON.stringify(text)}`)), 10_000);
    const onData = (d: Buffer) => {
      text += d.toString("latin1");
      if (done(text)) finish();
    };
    const finish = (err?: Error) => {
      clearTimeout(timer);
      sock.off("data", onData);
      sock.off("error", finish);
      if (err) reject(err);
      else resolve(text);
    };
    sock.on("data", onData);
    sock.once("error", finish);
  });
}

const smtpDone = (t: string) => /(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(t);

/**
 * Opens a plain connection, reads the greeting and capabilities, and issues STARTTLS.
 * Returns the capability text the server offered before TLS and the socket ready for a handshake.
 */
export async function startTlsNegotiation(port: number, protocol: Protocol, localAddress?: string): Promise<{ offered: string; socket: Socket }> {
  const socket = netConnect({ host: LOOPBACK, port, localAddress });
  await new Promise<void>((res, rej) => socket.once("connect", res).once("error", rej));
  let offered: string;
  if (protocol === "smtp") {
    await readUntil(socket, smtpDone, "SMTP greeting");
    socket.write("EHLO client.example\r\n");
    offered = await readUntil(socket, smtpDone, "EHLO answer");
    socket.write("STARTTLS\r\n");
    const go = await readUntil(socket, smtpDone, "STARTTLS answer");
    if (!go.startsWith("220")) throw new Error(`STARTTLS refused on ${port}: ${go}`);
  } else if (protocol === "imap") {
    await readUntil(socket, (t) => t.endsWith("\r\n"), "IMAP greeting");
    socket.write("a1 CAPABILITY\r\n");
    offered = await readUntil(socket, (t) => /a1 (OK|NO|BAD)[^\r\n]*\r\n$/.test(t), "IMAP capabilities");
    socket.write("a2 STARTTLS\r\n");
    const go = await readUntil(socket, (t) => /a2 (OK|NO|BAD)[^\r\n]*\r\n$/.test(t), "STARTTLS answer");
    if (!go.startsWith("a2 OK")) throw new Error(`STARTTLS refused on ${port}: ${go}`);
  } else {
    offered = await readUntil(socket, (t) => /(^|\r\n)(OK|NO|BYE)[^\r\n]*\r\n$/.test(t), "ManageSieve greeting");
    socket.write("STARTTLS\r\n");
    const go = await readUntil(socket, (t) => /(^|\r\n)(OK|NO|BYE)[^\r\n]*\r\n$/.test(t), "STARTTLS answer");
    if (!go.startsWith("OK")) throw new Error(`STARTTLS refused on ${port}: ${go}`);
  }
  return { offered, socket };
}

/** Completes a TLS handshake (implicit TLS when no plain socket is given). */
export function handshake(port: number, opts: ConnectionOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: LOOPBACK, port, ...opts });
    s.once("secureConnect", () => resolve(s));
    s.once("error", reject);
  });
}

export const TLS_PORTS = (topo: Topology): { name: string; port: number; starttls?: Protocol }[] => [
  { name: "SMTP (25)", port: topo.ports.smtp, starttls: "smtp" },
  { name: "submission (587)", port: topo.ports.submission, starttls: "smtp" },
  { name: "submissions (465)", port: topo.ports.submissions },
  { name: "IMAP (143)", port: topo.ports.imap, starttls: "imap" },
  { name: "IMAPS (993)", port: topo.ports.imaps },
  { name: "ManageSieve (4190)", port: topo.ports.sieve, starttls: "sieve" },
];

/** Connects (with STARTTLS where the port needs it) and returns the peer certificate's fingerprint and serial. */
export async function presentedCertificate(stack: LocalStack, port: number, starttls: Protocol | undefined, extra: ConnectionOptions = {}): Promise<{ fingerprint: string; serial: string; authorized: boolean; protocol: string | null }> {
  const plain = starttls === undefined ? undefined : (await startTlsNegotiation(port, starttls)).socket;
  const s = await handshake(port, { servername: stack.cfg.hostname, ca: stack.ca, rejectUnauthorized: false, socket: plain, ...extra });
  const cert = s.getPeerCertificate();
  const out = { fingerprint: cert.fingerprint256, serial: cert.serialNumber, authorized: s.authorized, protocol: s.getProtocol() };
  s.destroy();
  return out;
}
