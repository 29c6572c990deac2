// Scenario 3: authentication only over TLS; wrong passwords refused; a disabled mailbox can
// neither log in nor receive.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ImapFlow } from "imapflow";
import { HOST, plainDialog, remoteTransport, sendExpectingError, upMailStack, userTransport, type MailStack } from "./mailStack";

/**
 * A submission login that must fail for good (535). A 454 means smtpd lost its connection to
 * Dovecot's auth service (it reconnects on the next try), e.g. after another test reloaded
 * Dovecot for a new certificate; that one attempt is repeated, the answer must then be 535.
 */
async function refusedLogin(send: () => Promise<unknown>) {
  const first = await sendExpectingError(send);
  return first.responseCode === 454 ? sendExpectingError(send) : first;
}

describe("authentication", () => {
  let stack: MailStack;
  before(() => {
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
    const err = await refusedLogin(() =>
      userTransport(stack, "alice@e2e.test", { password: "wrong-password" }).sendMail({ from: "alice@e2e.test", to: "bob@e2e.test", text: "x" }),
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
    const sub = await refusedLogin(() => userTransport(stack, "gone@e2e.test").sendMail({ from: "gone@e2e.test", to: "bob@e2e.test", text: "x" }));
    assert.equal(sub.responseCode, 535, sub.message);
    const inbound = await sendExpectingError(() => remoteTransport(stack).sendMail({ from: "someone@remote.example", to: "gone@e2e.test", subject: "x", text: "x" }));
    assert.equal(inbound.responseCode, 550, inbound.message);
    assert.match(inbound.response ?? "", /disabled/);
  });
});
