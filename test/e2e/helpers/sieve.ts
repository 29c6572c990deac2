// ManageSieve for the tests (not a test file). Owns a minimal ManageSieve client (RFC 5804:
// greeting, STARTTLS, AUTHENTICATE PLAIN, PUTSCRIPT, SETACTIVE, LOGOUT), as a user's mail client
// on 127.0.0.1 (or on the internet) speaks it, and the verbs tests need: upload a script and make
// it active, and try a login.
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { connectTo, LOOPBACK, plainCredentials, type Via } from "./smtp";
import type { LocalStack } from "./stack";

/** Reads ManageSieve responses: everything up to a line starting OK/NO/BYE. */
class SieveConn {
  private buf = "";
  private waiters: (() => void)[] = [];
  constructor(private sock: Socket) {
    this.attach(sock);
  }
  private attach(s: Socket) {
    s.on("data", (d: Buffer) => {
      this.buf += d.toString();
      this.waiters.splice(0).forEach((w) => w());
    });
  }
  async response(timeoutMs = 10_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = /(^|\r\n)(OK|NO|BYE)[^\r\n]*\r\n/.exec(this.buf);
      if (m) {
        const out = this.buf.slice(0, m.index + m[0].length);
        this.buf = this.buf.slice(out.length);
        return out;
      }
      if (Date.now() > end) throw new Error(`ManageSieve: no response; have ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }
  async command(line: string, timeoutMs?: number): Promise<string> {
    this.sock.write(`${line}\r\n`);
    return this.response(timeoutMs);
  }
  async startTls(stack: LocalStack): Promise<void> {
    const secure = tlsConnect({ socket: this.sock, servername: stack.ep.mailHost, ca: stack.ca });
    await new Promise<void>((res, rej) => secure.once("secureConnect", res).once("error", rej));
    this.sock = secure;
    this.attach(secure);
  }
  close() {
    this.sock.destroy();
  }
}

/** Uploads a Sieve script for `user` over ManageSieve (STARTTLS, then PLAIN) and activates it. */
export async function uploadSieve(stack: LocalStack, user: string, name: string, script: string): Promise<void> {
  const sock = netConnect({ host: LOOPBACK, port: stack.ep.sieve });
  const c = new SieveConn(sock);
  try {
    const greeting = await c.response();
    assert.match(greeting, /"STARTTLS"/);
    assert.match(await c.command("STARTTLS"), /^OK/m);
    await c.startTls(stack);
    const caps = await c.response();
    assert.match(caps, /"SASL" "[^"]*PLAIN/);
    assert.match(await c.command(`AUTHENTICATE "PLAIN" "${plainCredentials(user, stack.password(user))}"`), /^OK/m);
    assert.match(await c.command(`PUTSCRIPT "${name}" {${Buffer.byteLength(script)}+}\r\n${script}`), /^OK/m);
    assert.match(await c.command(`SETACTIVE "${name}"`), /^OK/m);
    await c.command("LOGOUT");
  } finally {
    c.close();
  }
}

/**
 * Logs `user` in over ManageSieve (STARTTLS, then PLAIN) from `via` and returns the server's
 * answer to AUTHENTICATE ("OK ..." or "NO ..."); logs out after a success.
 */
export async function sieveLogin(stack: LocalStack, user: string, opts: { password?: string; via?: Via } = {}): Promise<string> {
  const c = new SieveConn(await connectTo(stack, stack.ep.sieve, opts.via ?? "loopback"));
  try {
    assert.match(await c.response(), /"STARTTLS"/);
    assert.match(await c.command("STARTTLS"), /^OK/m);
    await c.startTls(stack);
    await c.response();
    // Dovecot answers a failed login only after its delay for the client's address (up to 15 s).
    const answer = await c.command(`AUTHENTICATE "PLAIN" "${plainCredentials(user, opts.password ?? stack.password(user))}"`, 30_000);
    if (/^OK/m.test(answer)) await c.command("LOGOUT");
    return answer.trim().split("\r\n").pop() ?? "";
  } finally {
    c.close();
  }
}
