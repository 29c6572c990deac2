// Scenario 6: special-use folders exist; a Sieve script uploaded over ManageSieve (a minimal
// client: STARTTLS, AUTHENTICATE PLAIN, PUTSCRIPT, SETACTIVE) files mail into a folder; moving a
// message into Junk makes Rspamd learn spam (its controller's "learned" counter goes up).
import assert from "node:assert/strict";
import { beforeAll, describe, it } from "@jest/globals";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { HOST, imapLogin, remoteTransport, rspamdController, serviceSecrets, uniqueId, until, upMailStack, waitForMessage, type MailStack } from "./mailStack";

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
  async response(): Promise<string> {
    const end = Date.now() + 10000;
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
  async command(line: string): Promise<string> {
    this.sock.write(`${line}\r\n`);
    return this.response();
  }
  async startTls(): Promise<void> {
    const secure = tlsConnect({ socket: this.sock, rejectUnauthorized: false });
    await new Promise<void>((res, rej) => secure.once("secureConnect", res).once("error", rej));
    this.sock = secure;
    this.attach(secure);
  }
  close() {
    this.sock.destroy();
  }
}

async function uploadSieve(stack: MailStack, user: string, name: string, script: string): Promise<void> {
  const sock = netConnect({ host: HOST, port: stack.ep.sieve });
  const c = new SieveConn(sock);
  try {
    const greeting = await c.response();
    assert.match(greeting, /"STARTTLS"/);
    assert.match(await c.command("STARTTLS"), /^OK/m);
    await c.startTls();
    const caps = await c.response();
    assert.match(caps, /"SASL" "[^"]*PLAIN/);
    const creds = Buffer.from(`\0${user}\0${stack.password(user)}`).toString("base64");
    assert.match(await c.command(`AUTHENTICATE "PLAIN" "${creds}"`), /^OK/m);
    const bytes = Buffer.byteLength(script);
    assert.match(await c.command(`PUTSCRIPT "${name}" {${bytes}+}\r\n${script}`), /^OK/m);
    assert.match(await c.command(`SETACTIVE "${name}"`), /^OK/m);
    await c.command("LOGOUT");
  } finally {
    c.close();
  }
}

describe("folders, Sieve and Junk learning", () => {
  let stack: MailStack;
  beforeAll(() => {
    stack = upMailStack();
  });

  it("shows Drafts, Sent, Junk, Trash and Archive with their special-use flags", async () => {
    const imap = await imapLogin(stack, "bob@e2e.test");
    try {
      const list = await imap.list();
      const uses = new Map(list.map((m) => [m.specialUse, m.path]));
      for (const u of ["\\Drafts", "\\Sent", "\\Junk", "\\Trash", "\\Archive"]) assert.ok(uses.has(u), `missing ${u} in ${JSON.stringify(list.map((m) => m.path))}`);
    } finally {
      await imap.logout();
    }
  });

  it("files mail by a Sieve script uploaded over ManageSieve", async () => {
    await uploadSieve(
      stack,
      "carol@other.test",
      "e2e-rules",
      'require ["fileinto", "mailbox"];\r\nif header :contains "subject" "[invoice]" {\r\n  fileinto :create "Invoices";\r\n}\r\n',
    );
    const id = uniqueId("sieve");
    await remoteTransport(stack).sendMail({ from: "billing@remote.example", to: "carol@other.test", subject: "[invoice] March", text: "Your invoice for March is attached as usual, thank you.", messageId: id });
    await waitForMessage(stack, "carol@other.test", id, { mailbox: "Invoices" });
  });

  it("teaches Rspamd spam when a message is moved into Junk", async () => {
    const password = serviceSecrets().rspamdControllerPassword;
    const learned = async () => {
      const r = await rspamdController(stack, "/stat", password);
      assert.equal(r.status, 200, r.body);
      return (JSON.parse(r.body) as { learned: number }).learned;
    };
    const before = await learned();
    const id = uniqueId("junk");
    const text = Array.from({ length: 12 }, (_, i) => `Cheap watches number ${i} and amazing pharmacy offers you cannot refuse today only ${id}`).join("\n");
    await remoteTransport(stack).sendMail({ from: "promo@remote.example", to: "bob@e2e.test", subject: "Unbelievable offer", text, messageId: id });
    await waitForMessage(stack, "bob@e2e.test", id);
    const imap = await imapLogin(stack, "bob@e2e.test");
    try {
      const lock = await imap.getMailboxLock("INBOX");
      try {
        const uids = await imap.search({ header: { "message-id": id } }, { uid: true });
        assert.ok(uids && uids.length === 1);
        await imap.messageMove(String(uids[0]), "Junk", { uid: true });
      } finally {
        lock.release();
      }
    } finally {
      await imap.logout();
    }
    await until("Rspamd's learned counter to grow", async () => ((await learned()) > before ? true : undefined), 20000);
  });

  it("keeps the controller behind its password (the rendered hash matches the secret)", async () => {
    const anonymous = await rspamdController(stack, "/stat");
    assert.ok([401, 403].includes(anonymous.status), `anonymous got ${anonymous.status}`);
    const wrong = await rspamdController(stack, "/stat", "not-the-password");
    assert.ok([401, 403].includes(wrong.status), `wrong password got ${wrong.status}`);
    const right = await rspamdController(stack, "/stat", serviceSecrets().rspamdControllerPassword);
    assert.equal(right.status, 200);
  });
});
