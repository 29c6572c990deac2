// Scenario 3: authentication only over TLS; wrong passwords refused; a disabled mailbox can
// neither log in nor receive.
import assert from "node:assert/strict";
import { beforeAll, describe, it } from "@jest/globals";
import { ImapFlow } from "imapflow";
import { HOST, plainDialog, remoteTransport, sendExpectingError, upMailStack, userTransport, type MailStack } from "./mailStack";

/**
 * Dovecot delays each further failed login from one client address (its auth penalty: 2, 4, 8,
 * 15 s), and Postfix gives up on Dovecot's answer after 10 s with 454 "Connection lost to
 * authentication server". Each submission login that must fail therefore comes from its own
 * address with no failures yet, so the answer the user would see, 535, is what is checked.
 */
const FRESH_CLIENTS = ["127.0.0.3", "127.0.0.4"];

describe("authentication", () => {
  let stack: MailStack;
  beforeAll(() => {
    stack = upMailStack();
  });

  it("587 neither offers nor accepts AUTH before STARTTLS", async () => {
    const creds = Buffer.from(`\0alice@e2e.test\0${stack.password("alice@e2e.test")}`).toString("base64");
    const [, ehlo, auth] = await plainDialog(stack.ep.submission, ["EHLO client.example", `AUTH PLAIN ${creds}`]);
    assert.match(ehlo, /STARTTLS/);
    assert.doesNotMatch(ehlo, /AUTH/);
    assert.match(auth, /^5\d\d /m);
  });

  it("143 refuses LOGIN before STARTTLS", async () => {
    const [greeting, login] = await plainDialog(stack.ep.imap, [`a1 LOGIN alice@e2e.test ${stack.password("alice@e2e.test")}`]);
    assert.match(greeting, /LOGINDISABLED/);
    assert.match(login, /^a1 NO /m);
  });

  it("refuses a wrong password on submission and IMAP", async () => {
    const err = await sendExpectingError(() =>
      userTransport(stack, "alice@e2e.test", { password: "wrong-password", localAddress: FRESH_CLIENTS[0] }).sendMail({ from: "alice@e2e.test", to: "bob@e2e.test", text: "x" }),
    );
    assert.equal(err.responseCode, 535, err.message);
    const imap = new ImapFlow({ host: HOST, port: stack.ep.imaps, secure: true, auth: { user: "alice@e2e.test", pass: "wrong-password" }, tls: { rejectUnauthorized: false }, logger: false });
    await assert.rejects(imap.connect());
    imap.close();
  });

  it("a disabled mailbox cannot log in and receives nothing", async () => {
    const imap = new ImapFlow({ host: HOST, port: stack.ep.imaps, secure: true, auth: { user: "gone@e2e.test", pass: stack.password("gone@e2e.test") }, tls: { rejectUnauthorized: false }, logger: false });
    await assert.rejects(imap.connect());
    imap.close();
    const sub = await sendExpectingError(() =>
      userTransport(stack, "gone@e2e.test", { localAddress: FRESH_CLIENTS[1] }).sendMail({ from: "gone@e2e.test", to: "bob@e2e.test", text: "x" }),
    );
    assert.equal(sub.responseCode, 535, sub.message);
    const inbound = await sendExpectingError(() => remoteTransport(stack).sendMail({ from: "someone@remote.example", to: "gone@e2e.test", subject: "x", text: "x" }));
    assert.equal(inbound.responseCode, 550, inbound.message);
    assert.match(inbound.response ?? "", /disabled/);
  });
});
