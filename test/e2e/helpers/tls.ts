// TLS for the tests (not a test file). Owns the TLS clients: HTTPS to any of the stack's web
// names (SNI and Host from the name, which a custom lookup sends to 127.0.0.1, verified against
// pebble's root only, so nothing in /etc/hosts or the system trust store is touched), a handshake
// on every mail port (implicit TLS, or STARTTLS in SMTP, IMAP or ManageSieve) that reports the
// certificate presented, and a stand-in for certbot's folder holding a renewed mail certificate
// signed by a CA of the test's own.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request } from "node:https";
import type { LookupFunction, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { MAIL_CERTIFICATE } from "../../../components/core/containers/certificates";
import { connectTo, LOOPBACK, type Via } from "./smtp";
import type { LocalStack } from "./stack";

/** Every name resolves to 127.0.0.1, where the stack's HTTPS port is published. */
const toLoopback: LookupFunction = (_host, opts, cb) => {
  if (opts.all === true) (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: LOOPBACK, family: 4 }]);
  else cb(null, LOOPBACK, 4);
};

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTPS request to `https://<name>:<https port><path>`, verified for `name` against pebble's root. */
export function httpsTo(stack: LocalStack, name: string, path: string, opts: { method?: string; body?: string } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const options = { host: name, port: stack.topo.ports.https, lookup: toLoopback, path, method: opts.method ?? "GET", ca: stack.ca, agent: false };
    const req = request(options, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** A plain HTTP request to `http://<name>:<http port><path>` (no body read). */
export function httpTo(stack: LocalStack, name: string, path: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: name, port: stack.topo.ports.http, lookup: toLoopback, path, agent: false }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: "" });
    })
      .on("error", reject)
      .end();
  });
}

/** SHA-256 fingerprint of a PEM file's first certificate, as node formats fingerprint256. */
export function fingerprintOfPem(file: string): string {
  const pem = readFileSync(file, "utf8");
  const b64 = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (b64 === null) throw new Error(`${file} holds no certificate`);
  const hex = createHash("sha256").update(Buffer.from(b64[1].replace(/\s+/g, ""), "base64")).digest("hex").toUpperCase();
  return (hex.match(/../g) ?? []).join(":");
}

export type StartTls = "smtp" | "imap" | "sieve";

export interface TlsPort {
  name: string;
  port: number;
  /** How TLS starts on a plain connection; undefined for implicit TLS. */
  starttls?: StartTls;
}

/** Every mail port that speaks TLS, with the local port numbers from endpoints.json. */
export const tlsPorts = (stack: LocalStack): TlsPort[] => [
  { name: "SMTP (25)", port: stack.ep.smtp, starttls: "smtp" },
  { name: "submission (587)", port: stack.ep.submission, starttls: "smtp" },
  { name: "submissions (465)", port: stack.ep.submissions },
  { name: "IMAP (143)", port: stack.ep.imap, starttls: "imap" },
  { name: "IMAPS (993)", port: stack.ep.imaps },
  { name: "ManageSieve (4190)", port: stack.ep.sieve, starttls: "sieve" },
];

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
const sieveDone = (t: string) => /(^|\r\n)(OK|NO|BYE)[^\r\n]*\r\n$/.test(t);

/**
 * Opens a plain connection, reads the greeting and capabilities, and issues STARTTLS. Returns
 * what the server offered before TLS and the socket, ready for the handshake.
 */
export async function startTlsNegotiation(
  stack: LocalStack,
  port: number,
  protocol: StartTls,
  via: Via,
): Promise<{ offered: string; socket: Socket }> {
  const socket = await connectTo(stack, port, via);
  let offered: string;
  try {
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
      offered = await readUntil(socket, sieveDone, "ManageSieve greeting");
      socket.write("STARTTLS\r\n");
      const go = await readUntil(socket, sieveDone, "STARTTLS answer");
      if (!go.startsWith("OK")) throw new Error(`STARTTLS refused on ${port}: ${go}`);
    }
  } catch (e) {
    socket.destroy();
    throw e;
  }
  return { offered, socket };
}

export interface Presented {
  fingerprint: string;
  serial: string;
  /** Whether the chain verifies against pebble's root for the mail host name. */
  authorized: boolean;
  protocol: string | null;
}

/**
 * Connects from 127.0.0.1 (STARTTLS where the port needs it), completes a handshake naming the
 * mail host and returns the certificate presented. `extra` overrides the TLS options (versions).
 */
export async function presentedCertificate(stack: LocalStack, port: TlsPort, extra: ConnectionOptions = {}): Promise<Presented> {
  const socket =
    port.starttls === undefined
      ? await connectTo(stack, port.port, "loopback")
      : (await startTlsNegotiation(stack, port.port, port.starttls, "loopback")).socket;
  const s = await new Promise<TLSSocket>((resolve, reject) => {
    const t = tlsConnect({ socket, servername: stack.ep.mailHost, ca: stack.ca, rejectUnauthorized: false, ...extra });
    t.once("secureConnect", () => resolve(t));
    t.once("error", (e) => {
      socket.destroy();
      reject(e);
    });
  });
  const cert = s.getPeerCertificate();
  const out = { fingerprint: cert.fingerprint256, serial: cert.serialNumber, authorized: s.authorized, protocol: s.getProtocol() };
  s.destroy();
  return out;
}

/**
 * A stand-in for certbot's /etc/letsencrypt holding a renewed mail certificate: a CA of this
 * test's own signs a new key for `names` and writes live/<mail certificate>/{fullchain,privkey}.pem
 * as certbot lays them out. Returns the folder and the new certificate's fingerprint.
 */
export function renewedMailCertificate(names: readonly string[]): { letsencryptDir: string; fingerprint: string; caPem: string } {
  const root = mkdtempSync(join(tmpdir(), "mailstack-renewal-"));
  const live = join(root, "live", MAIL_CERTIFICATE);
  mkdirSync(live, { recursive: true });
  const f = (n: string) => join(root, n);
  const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const caExtensions = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"];
  openssl(["req", "-x509", ...ec, "-days", "2", "-subj", "/CN=mailstack e2e renewal CA", ...caExtensions, "-keyout", f("ca.key"), "-out", f("ca.pem")]);
  openssl(["req", "-new", ...ec, "-subj", `/CN=${names[0]}`, "-keyout", join(live, "privkey.pem"), "-out", f("leaf.csr")]);
  writeFileSync(f("leaf.ext"), `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\nextendedKeyUsage=serverAuth\n`);
  const signer = ["-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial"];
  openssl(["x509", "-req", "-in", f("leaf.csr"), ...signer, "-days", "2", "-extfile", f("leaf.ext"), "-out", f("leaf.pem")]);
  const caPem = readFileSync(f("ca.pem"), "utf8");
  writeFileSync(join(live, "fullchain.pem"), readFileSync(f("leaf.pem"), "utf8") + caPem);
  return { letsencryptDir: root, fingerprint: fingerprintOfPem(f("leaf.pem")), caPem };
}
