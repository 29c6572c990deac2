// What "a working mail stack" means for a stack deployed by the real Pulumi engine onto this
// machine (test/engine/existingHost.test.ts), checked with real clients against its published
// ports on 127.0.0.1: mail from outside on port 25 is delivered, a mailbox user logs in over IMAPS
// with the password Pulumi generated and finds it, submission on 587 (STARTTLS, authenticated)
// delivers and signs with DKIM, and the web front serves Roundcube's login page. The same things
// the local stack's end-to-end tests check first (test/e2e/01-inbound, 03-auth), in the form a
// Pulumi-deployed stack allows: its passwords come from the stack outputs, not from .local/.
// The TLS certificates are the hook's temporary self-signed ones (no ACME server is reachable),
// so certificates are not verified here. Not a test file; never prints a password.
import { request } from "node:https";
import { ImapFlow } from "imapflow";
import nodemailer from "nodemailer";
import { LOCAL_OUTSIDE_DOMAIN } from "../../components/core/render/unbound";
import type { PublicPorts } from "../../components/core/topology";

export interface DeployedStack {
  ports: PublicPorts;
  mailHost: string;
  password: (address: string) => string;
}

const HOST = "127.0.0.1";

export const uniqueId = (tag: string) => `<${tag}.${Date.now()}.${Math.random().toString(36).slice(2)}@engine.test>`;

/**
 * Mail from the internet: port 25, no authentication, STARTTLS if offered. The sender's domain is
 * the test topology's outside domain, the one name outside the stack its resolver (the local
 * topology's Unbound, which answers only from its own data) knows: Postfix refuses a sender
 * domain that does not resolve (450 4.1.8 Domain not found).
 */
export async function sendFromOutside(stack: DeployedStack, to: string, messageId: string, senderDomain = LOCAL_OUTSIDE_DOMAIN): Promise<void> {
  const t = nodemailer.createTransport({
    host: HOST,
    port: stack.ports.smtp,
    name: `mx.${senderDomain}`,
    tls: { rejectUnauthorized: false },
    connectionTimeout: 10_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
  });
  await t.sendMail({ from: `someone@${senderDomain}`, to, subject: "from outside", text: "Delivered by the real engine's stack.", messageId });
}

/** A mailbox user submitting on 587 with STARTTLS and their password. */
export async function submit(stack: DeployedStack, user: string, to: string, messageId: string): Promise<void> {
  const t = nodemailer.createTransport({
    host: HOST,
    port: stack.ports.submission,
    secure: false,
    requireTLS: true,
    auth: { user, pass: stack.password(user) },
    tls: { rejectUnauthorized: false },
    connectionTimeout: 10_000,
    socketTimeout: 30_000,
  });
  await t.sendMail({ from: user, to, subject: "submitted", text: "Submitted on 587.", messageId });
}

/** Polls the user's INBOX over IMAPS until the message is there; returns its source. */
export async function waitForMessage(stack: DeployedStack, user: string, messageId: string, timeoutMs = 90_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < until) {
    const client = new ImapFlow({ host: HOST, port: stack.ports.imaps, secure: true, auth: { user, pass: stack.password(user) }, tls: { rejectUnauthorized: false }, logger: false });
    try {
      await client.connect();
      const lock = await client.getMailboxLock("INBOX");
      try {
        const uids = await client.search({ header: { "message-id": messageId } }, { uid: true });
        if (uids && uids.length > 0) {
          const msg = await client.fetchOne(String(uids[0]), { source: true }, { uid: true });
          if (msg && msg.source) return msg.source.toString();
        }
      } finally {
        lock.release();
      }
    } catch (e) {
      // Dovecot may still be starting: keep trying until the deadline.
      lastError = e instanceof Error ? e.message : String(e);
    } finally {
      await client.logout().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`no message ${messageId} in ${user}'s INBOX within ${timeoutMs / 1000}s${lastError ? ` (last IMAP error: ${lastError})` : ""}`);
}

/** GET / on the HTTPS port with the mail host's name: status and body. */
export function webmailPage(stack: DeployedStack): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: HOST, port: stack.ports.https, path: "/", method: "GET", servername: stack.mailHost, headers: { host: stack.mailHost }, rejectUnauthorized: false, timeout: 20_000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("webmail request timed out")));
    req.on("error", reject);
    req.end();
  });
}

/** Retries a check until it passes or the deadline: the daemons start at their own pace. */
export async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T>): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      return await check();
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  throw new Error(`${what} did not pass within ${timeoutMs / 1000}s: ${last instanceof Error ? last.message : String(last)}`);
}
