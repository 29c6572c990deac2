// IMAP for the tests (not a test file). Owns the IMAP client a mailbox user has: a login on
// IMAPS (993) that trusts only pebble's root and names the mail host, from 127.0.0.1 (a human's
// mail client) or from an outside source, and the few things tests do with it: wait for a message
// by Message-ID or subject, move a message, count messages by Message-ID. Also a raw tagged
// dialog on 143 for what no client library sends.
import assert from "node:assert/strict";
import type { ConnectionOptions, TlsOptions } from "node:tls";
import { ImapFlow } from "imapflow";
import { sleep } from "../../../local/proc";
import { connect as tlsConnect } from "node:tls";
import type { Socket } from "node:net";
import { connectTo, LOOPBACK, type Via } from "./smtp";
import type { LocalStack } from "./stack";

/** An IMAPS client for `user`, not yet connected (its password unless `password` says otherwise). */
export function imapClient(stack: LocalStack, user: string, opts: { password?: string; via?: Via } = {}): ImapFlow {
  const via = opts.via ?? "loopback";
  // ImapFlow types `tls` as server options but passes it to tls.connect, which reads servername.
  const tls: TlsOptions & ConnectionOptions = { servername: stack.ep.mailHost, ca: stack.ca };
  return new ImapFlow({
    host: via === "loopback" ? LOOPBACK : stack.ep.remote.address,
    port: stack.ep.imaps,
    secure: true,
    tls,
    ...(via === "loopback" ? {} : { proxy: via.proxy }),
    auth: { user, pass: opts.password ?? stack.password(user) },
    logger: false,
  });
}

/** Logs `user` in over IMAPS; rejects when the server refuses the login. */
export async function imapLogin(stack: LocalStack, user: string, opts: Parameters<typeof imapClient>[2] = {}): Promise<ImapFlow> {
  const client = imapClient(stack, user, opts);
  try {
    await client.connect();
  } catch (e) {
    client.close();
    throw e;
  }
  return client;
}

/** Tries to log `user` in over IMAPS and asserts that the server refused the login itself. */
export async function expectLoginRefused(stack: LocalStack, user: string, opts: Parameters<typeof imapClient>[2] = {}): Promise<void> {
  const outcome = await imapLogin(stack, user, opts).then(
    async (imap) => {
      await imap.logout();
      return undefined;
    },
    (e: Error & { authenticationFailed?: boolean }) => e,
  );
  assert.ok(outcome !== undefined, `the server accepted ${user}'s login`);
  // Not a connection, proxy or TLS failure, which would prove nothing.
  assert.equal(outcome.authenticationFailed, true, `${user}'s login failed, but not as a refused login: ${outcome.message}`);
}

/** Runs `body` logged in as `user`, and logs out whatever happens. */
export async function asUser<T>(stack: LocalStack, user: string, body: (imap: ImapFlow) => Promise<T>): Promise<T> {
  const imap = await imapLogin(stack, user);
  try {
    return await body(imap);
  } finally {
    await imap.logout().catch(() => imap.close());
  }
}

type Search = { messageId: string } | { subject: string };

/**
 * Polls a folder (INBOX unless `mailbox` says otherwise) until a message matching `search` is
 * there; returns the newest match's source.
 */
export async function waitForMessage(
  stack: LocalStack,
  user: string,
  search: string | Search,
  opts: { mailbox?: string; timeoutMs?: number } = {},
): Promise<string> {
  const s: Search = typeof search === "string" ? { messageId: search } : search;
  const query = "messageId" in s ? { header: { "message-id": s.messageId } } : { subject: s.subject };
  const folder = opts.mailbox ?? "INBOX";
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const until = Date.now() + timeoutMs;
  const found = await asUser(stack, user, async (imap) => {
    while (Date.now() < until) {
      const lock = await imap.getMailboxLock(folder);
      try {
        const uids = await imap.search(query, { uid: true });
        if (uids && uids.length > 0) {
          const msg = await imap.fetchOne(String(uids[uids.length - 1]), { source: true }, { uid: true });
          if (msg && msg.source) return msg.source.toString("utf8");
        }
      } finally {
        lock.release();
      }
      await sleep(300);
    }
    return undefined;
  });
  if (found === undefined) throw new Error(`no message ${JSON.stringify(s)} in ${user}'s ${folder} within ${timeoutMs / 1000}s`);
  return found;
}

/** Moves the message with this Message-ID from one folder to another, as a mail client does. */
export async function moveMessage(stack: LocalStack, user: string, messageId: string, to: string, from = "INBOX"): Promise<void> {
  await asUser(stack, user, async (imap) => {
    const lock = await imap.getMailboxLock(from);
    try {
      const uids = await imap.search({ header: { "message-id": messageId } }, { uid: true });
      if (!uids || uids.length !== 1) throw new Error(`expected one message ${messageId} in ${user}'s ${from}, found ${uids ? uids.length : 0}`);
      await imap.messageMove(String(uids[0]), to, { uid: true });
    } finally {
      lock.release();
    }
  });
}

/** How many messages in INBOX carry each Message-ID, among those whose subject contains `subject`. */
export async function countByMessageId(imap: ImapFlow, subject: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const lock = await imap.getMailboxLock("INBOX");
  try {
    for await (const m of imap.fetch({ subject }, { envelope: true })) {
      const id = m.envelope?.messageId ?? "";
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  } finally {
    lock.release();
  }
  return counts;
}

/**
 * A raw IMAP dialog on 143 from `via`: STARTTLS first, then each command (tagged c1, c2, ...),
 * returning each command's whole answer up to its tagged status line. `timeoutMs` covers
 * Dovecot's delay of a failed login.
 */
export async function imapDialog(stack: LocalStack, via: Via, commands: string[], timeoutMs = 30_000): Promise<string[]> {
  let sock: Socket = await connectTo(stack, stack.ep.imap, via);
  let buf = "";
  const onData = (d: Buffer) => (buf += d.toString());
  sock.on("data", onData);
  const answer = async (done: RegExp): Promise<string> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = done.exec(buf);
      if (m) {
        const out = buf.slice(0, m.index + m[0].length);
        buf = buf.slice(out.length);
        return out;
      }
      if (Date.now() > end) throw new Error(`IMAP: no ${done} within ${timeoutMs / 1000}s; have ${JSON.stringify(buf)}`);
      await sleep(100);
    }
  };
  try {
    await answer(/^\* OK[^\r\n]*\r\n/m);
    sock.write("c0 STARTTLS\r\n");
    await answer(/^c0 OK[^\r\n]*\r\n/m);
    sock.off("data", onData);
    sock = tlsConnect({ socket: sock, servername: stack.ep.mailHost, ca: stack.ca });
    await new Promise<void>((res, rej) => sock.once("secureConnect", () => res()).once("error", rej));
    sock.on("data", onData);
    const out: string[] = [];
    for (const [i, c] of commands.entries()) {
      sock.write(`c${i + 1} ${c}\r\n`);
      out.push(await answer(new RegExp(`^c${i + 1} (OK|NO|BAD)[^\r\n]*\r\n`, "m")));
    }
    return out;
  } finally {
    sock.destroy();
  }
}
