// The service part of the post-deploy check, from the operator's machine as any client on the
// internet sees the server: every TLS port answers with a certificate for the mail host that
// verifies and is not about to expire, over TLS 1.2 or later, and refuses TLS 1.1; the MTA-STS
// policy each domain publishes is served; port 25 refuses to relay; and a probe message submitted
// on 587 comes back with SPF, DKIM and DMARC passing (judged by mailauth against the same DNS).
import { randomBytes } from "node:crypto";
import { request } from "node:https";
import { connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { ImapFlow } from "imapflow";
import { authenticate } from "mailauth";
import nodemailer from "nodemailer";
import type { CheckResult } from "./report";
import type { Resolver } from "./dns";

export interface Endpoint {
  /** Where to connect (the server's address, or 127.0.0.1 for the local stack). */
  host: string;
  ports: { smtp: number; submission: number; submissions: number; imap: number; imaps: number; sieve: number; https: number };
  /** The name every certificate must carry. */
  mailHost: string;
  /** Extra trusted roots (the local stack's test CA); the system's otherwise. */
  ca?: string;
}

type Dialect = "smtp" | "imap" | "sieve" | "none";

/** Reads from a plain socket until `done` says the server's answer is complete. */
function readUntil(sock: Socket, done: (text: string) => boolean, ms = 10000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const t = setTimeout(() => {
      cleanup();
      reject(new Error(`no complete answer within ${ms / 1000}s (got ${JSON.stringify(buf.slice(0, 120))})`));
    }, ms);
    const onData = (d: Buffer) => {
      buf += d.toString("latin1");
      if (done(buf)) {
        cleanup();
        resolve(buf);
      }
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      clearTimeout(t);
      sock.off("data", onData);
      sock.off("error", onError);
    };
    sock.on("data", onData);
    sock.on("error", onError);
  });
}

const smtpDone = (b: string) => /(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(b);
const lineDone = (b: string) => b.endsWith("\r\n");

/** Errors after a promise settled (a reset after a refused handshake) must not crash the check. */
const quiet = <T extends Socket>(s: T): T => {
  s.on("error", () => undefined);
  return s;
};

async function plain(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = quiet(tcpConnect({ host, port, timeout: 10000 }, () => resolve(s)));
    s.once("error", reject);
    s.once("timeout", () => reject(new Error(`no connection to ${host}:${port} within 10s`)));
  });
}

/** Opens a TLS session (after the protocol's STARTTLS where there is one). */
export async function openTls(host: string, port: number, dialect: Dialect, opts: ConnectionOptions): Promise<TLSSocket> {
  if (dialect === "none") {
    return new Promise((resolve, reject) => {
      const s = quiet(tlsConnect({ host, port, ...opts }, () => resolve(s)));
      s.once("error", reject);
    });
  }
  const sock = await plain(host, port);
  const say = (l: string) => sock.write(`${l}\r\n`);
  if (dialect === "smtp") {
    await readUntil(sock, smtpDone);
    say("EHLO check.mailstack.invalid");
    const ehlo = await readUntil(sock, smtpDone);
    if (!/STARTTLS/i.test(ehlo)) throw new Error("STARTTLS is not offered");
    say("STARTTLS");
    const r = await readUntil(sock, smtpDone);
    if (!r.startsWith("220")) throw new Error(`STARTTLS refused: ${r.trim()}`);
  } else if (dialect === "imap") {
    await readUntil(sock, lineDone);
    say("a STARTTLS");
    const r = await readUntil(sock, (b) => /(^|\r\n)a (OK|NO|BAD)[^\r\n]*\r\n$/.test(b));
    if (!/(^|\r\n)a OK/.test(r)) throw new Error(`STARTTLS refused: ${r.trim()}`);
  } else {
    await readUntil(sock, (b) => /(^|\r\n)(OK|NO|BYE)[^\r\n]*\r\n$/.test(b));
    say("STARTTLS");
    const r = await readUntil(sock, (b) => /(^|\r\n)(OK|NO|BYE)[^\r\n]*\r\n$/.test(b));
    if (!/^OK/.test(r.trim())) throw new Error(`STARTTLS refused: ${r.trim()}`);
  }
  return new Promise((resolve, reject) => {
    const s = quiet(tlsConnect({ socket: sock, ...opts }, () => resolve(s)));
    s.once("error", (e) => {
      sock.destroy();
      reject(e);
    });
  });
}

export async function tlsChecks(ep: Endpoint, certificateDays = 14): Promise<CheckResult[]> {
  const ports: [string, number, Dialect][] = [
    ["smtp (STARTTLS)", ep.ports.smtp, "smtp"],
    ["submission (STARTTLS)", ep.ports.submission, "smtp"],
    ["submissions", ep.ports.submissions, "none"],
    ["imap (STARTTLS)", ep.ports.imap, "imap"],
    ["imaps", ep.ports.imaps, "none"],
    ["managesieve (STARTTLS)", ep.ports.sieve, "sieve"],
    ["https", ep.ports.https, "none"],
  ];
  const out: CheckResult[] = [];
  const base: ConnectionOptions = { servername: ep.mailHost, ...(ep.ca !== undefined ? { ca: ep.ca } : {}), rejectUnauthorized: false };
  for (const [label, port, dialect] of ports) {
    const id = `tls ${port} ${label}`;
    try {
      const s = await openTls(ep.host, port, dialect, base);
      const cert = s.getPeerCertificate();
      const protocol = s.getProtocol() ?? "?";
      const authorized = s.authorized;
      const error = s.authorizationError;
      s.destroy();
      const daysLeft = Math.floor((new Date(cert.valid_to).getTime() - Date.now()) / 86400000);
      let old = false;
      try {
        const weak = await openTls(ep.host, port, dialect, { ...base, minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" });
        old = true;
        weak.destroy();
      } catch {
        // Refused: as it should be.
      }
      const problems: string[] = [];
      if (!authorized) problems.push(`the certificate does not verify for ${ep.mailHost} (${String(error)})`);
      if (!/^TLSv1\.[23]$/.test(protocol)) problems.push(`negotiated ${protocol}`);
      if (old) problems.push("TLS 1.1 is accepted");
      if (daysLeft < certificateDays) problems.push(`the certificate expires in ${daysLeft} days`);
      out.push(
        problems.length === 0
          ? { id, group: "TLS", verdict: "pass", detail: `${protocol}, certificate for ${ep.mailHost} valid ${daysLeft} more days, TLS 1.1 refused` }
          : {
              id,
              group: "TLS",
              verdict: "fail",
              detail: problems.join("; "),
              fix: !authorized
                ? "certbot has not obtained the certificate yet, or the name is wrong: docker logs certbot on the server (DNS must point here, port 80 open)"
                : daysLeft < certificateDays
                  ? "renewal is failing: docker logs certbot; journalctl -u mailstack-sync-certs"
                  : "the daemon's TLS settings were changed: redeploy with pulumi up",
            },
      );
    } catch (e) {
      out.push({ id, group: "TLS", verdict: "fail", detail: `no TLS session: ${(e as Error).message}`, fix: `port ${port} must be open in the Hetzner firewall and the container running: docker ps on the server` });
    }
  }
  return out;
}

function httpsGet(host: string, port: number, name: string, path: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, servername: name, headers: { host: name }, ...(ca !== undefined ? { ca } : {}), timeout: 10000 }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("no answer within 10s")));
    req.end();
  });
}

export async function mtaStsChecks(ep: Endpoint, policies: { domain: string; policy: string }[]): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const { domain, policy } of policies) {
    const name = `mta-sts.${domain}`;
    const id = `mta-sts ${domain}`;
    try {
      const r = await httpsGet(ep.host, ep.ports.https, name, "/.well-known/mta-sts.txt", ep.ca);
      const lines = (t: string) => t.replace(/\r\n/g, "\n").trim();
      const same = r.status === 200 && lines(r.body) === lines(policy);
      out.push(
        same
          ? { id, group: "MTA-STS", verdict: "pass", detail: `https://${name}/.well-known/mta-sts.txt serves the policy (${/mode: (\w+)/.exec(policy)?.[1] ?? "?"})` }
          : {
              id,
              group: "MTA-STS",
              verdict: "fail",
              detail: r.status !== 200 ? `HTTP ${r.status}` : "the policy served differs from the stack's",
              fix: "nginx serves the policy from the rendered files: pulumi up; the web certificate for mta-sts.<domain> must exist (docker logs certbot)",
            },
      );
    } catch (e) {
      out.push({ id, group: "MTA-STS", verdict: "fail", detail: `no answer: ${(e as Error).message}`, fix: `https://${name} must answer with a valid certificate: DNS A/AAAA for ${name}, port 443 open, docker logs certbot` });
    }
  }
  return out;
}

/** An unauthenticated client on port 25 may deliver to our domains, never relay elsewhere. */
export async function relayCheck(ep: Endpoint): Promise<CheckResult> {
  const id = "no open relay on 25";
  try {
    const sock = await plain(ep.host, ep.ports.smtp);
    const say = (l: string) => sock.write(`${l}\r\n`);
    try {
      await readUntil(sock, smtpDone);
      say("EHLO check.mailstack.invalid");
      await readUntil(sock, smtpDone);
      say("MAIL FROM:<>");
      const from = await readUntil(sock, smtpDone);
      if (!from.startsWith("250")) return { id, group: "SMTP", verdict: "pass", detail: `refused already at MAIL FROM: ${from.trim()}` };
      say("RCPT TO:<relay-test@example.net>");
      const rcpt = (await readUntil(sock, smtpDone)).trim();
      say("QUIT");
      return rcpt.startsWith("5")
        ? { id, group: "SMTP", verdict: "pass", detail: `relaying refused: ${rcpt}` }
        : { id, group: "SMTP", verdict: "fail", detail: `a recipient elsewhere was answered ${rcpt}`, fix: "the server relays for anyone: stop it now (docker stop postfix) and redeploy; check mynetworks in main.cf" };
    } finally {
      sock.destroy();
    }
  } catch (e) {
    return { id, group: "SMTP", verdict: "fail", detail: `port 25 does not answer: ${(e as Error).message}`, fix: "port 25 must be open in the Hetzner firewall and Postfix running" };
  }
}

/** A probe message through submission, back through IMAP, judged by mailauth. */
export async function probeCheck(ep: Endpoint, mailbox: { address: string; password: string }, sendingIp: string, res: Resolver): Promise<CheckResult[]> {
  const id = `probe ${mailbox.address}`;
  const messageId = `<check.${Date.now()}.${randomBytes(6).toString("hex")}@mailstack.check>`;
  const tls = { servername: ep.mailHost, ...(ep.ca !== undefined ? { ca: ep.ca } : {}) };
  try {
    await nodemailer
      .createTransport({ host: ep.host, port: ep.ports.submission, requireTLS: true, auth: { user: mailbox.address, pass: mailbox.password }, tls, connectionTimeout: 10000 })
      .sendMail({ from: mailbox.address, to: mailbox.address, subject: "mailstack post-deploy check", text: "A probe from npm run check. It may be deleted.\n", messageId });
  } catch (e) {
    return [{ id, group: "Probe", verdict: "fail", detail: `submission refused the probe: ${(e as Error).message}`, fix: "the mailbox's password (pulumi stack output --show-secrets mailboxPasswords) and port 587" }];
  }
  const imap = new ImapFlow({ host: ep.host, port: ep.ports.imaps, secure: true, auth: { user: mailbox.address, pass: mailbox.password }, tls, logger: false });
  // A connection error also rejects the call that hit it; the event must not end the process.
  imap.on("error", () => undefined);
  let raw: Buffer | undefined;
  try {
    await imap.connect();
    const until = Date.now() + 60000;
    while (raw === undefined && Date.now() < until) {
      const lock = await imap.getMailboxLock("INBOX");
      try {
        const uids = await imap.search({ header: { "message-id": messageId } }, { uid: true });
        if (uids && uids.length > 0) {
          const m = await imap.fetchOne(String(uids[0]), { source: true }, { uid: true });
          raw = m === false ? undefined : m.source;
          // The probe is not mail anyone wants to read.
          await imap.messageDelete(String(uids[0]), { uid: true });
        }
      } finally {
        lock.release();
      }
      if (raw === undefined) await new Promise((r) => setTimeout(r, 1000));
    }
  } catch (e) {
    return [{ id, group: "Probe", verdict: "fail", detail: `IMAP: ${(e as Error).message}`, fix: "port 993 and the mailbox's password" }];
  } finally {
    await imap.logout().catch(() => undefined);
  }
  if (raw === undefined) return [{ id, group: "Probe", verdict: "fail", detail: "the probe did not arrive within 60 s", fix: "docker logs postfix on the server shows where it is (postqueue -p)" }];
  const domain = mailbox.address.slice(mailbox.address.indexOf("@") + 1);
  const result = await authenticate(raw, {
    ip: sendingIp,
    helo: ep.mailHost,
    sender: mailbox.address,
    mta: "check.mailstack.invalid",
    resolver: ((name: string, rr: string) => res.resolve(name, rr)) as never,
  });
  const dkim = result.dkim.results.find((r: { signingDomain?: string }) => r.signingDomain === domain)?.status.result ?? "none";
  const spf = result.spf && typeof result.spf === "object" ? result.spf.status.result : "none";
  const dmarc = result.dmarc && typeof result.dmarc === "object" ? result.dmarc.status.result : "none";
  const verdict = (name: string, got: string, fix: string): CheckResult =>
    got === "pass" ? { id: `${id} ${name}`, group: "Probe", verdict: "pass", detail: `${name} pass` } : { id: `${id} ${name}`, group: "Probe", verdict: "fail", detail: `${name} ${got}`, fix };
  return [
    verdict("SPF", spf, `the SPF record of ${domain} must allow ${sendingIp} (v=spf1 mx ... -all with the MX resolving to the server)`),
    verdict("DKIM", dkim, `the DKIM record of ${domain} must hold the key Rspamd signs with: pulumi up; docker logs rspamd`),
    verdict("DMARC", dmarc, `DMARC needs SPF or DKIM aligned with ${domain}`),
  ];
}
