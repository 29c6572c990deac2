// Authentication only over TLS; wrong passwords refused (and logged with the client's own
// address, what an operator or fail2ban reads); a disabled mailbox can neither log in nor receive.
// Clients whose login must fail come from the internet (the outside namespace), each from an
// address of its own: Dovecot delays every further failed login from one address (its auth
// penalty: 2, 4, 8, 15 s), and Postfix gives up on Dovecot's answer after 10 s with 454
// "Connection lost to authentication server". A fresh address per failing login keeps the answer
// the user would see, 535, the one checked; and no penalty lands on 127.0.0.1, which every
// human-style client in the suite shares (the containers see it as the engine's gateway).
import assert from "node:assert/strict";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { expectLoginRefused } from "../helpers/imap";
import { startOutside, type Outside } from "../helpers/outside";
import { expectRefused, plainCredentials, plainDialog, sendFromInternet, submit } from "../helpers/smtp";
import { upLocalStack, waitForLogLine, type LocalStack } from "../helpers/stack";

/** Outside sources, one per login that must fail (source 0 also sends mail, with no login). */
const LOGGED_IMAP = 0;
const WRONG_SUBMISSION = 1;
const WRONG_IMAP = 2;
const DISABLED_IMAP = 3;
const DISABLED_SUBMISSION = 4;

describe("authentication", () => {
  let stack: LocalStack;
  let outside: Outside;
  beforeAll(async () => {
    stack = await upLocalStack();
    outside = await startOutside(stack);
  });
  afterAll(async () => {
    await outside?.stop();
  });

  it("587 neither offers nor accepts AUTH before STARTTLS", async () => {
    const creds = plainCredentials("alice@e2e.test", stack.password("alice@e2e.test"));
    const [, ehlo, auth] = await plainDialog(stack, stack.ep.submission, ["EHLO client.example", `AUTH PLAIN ${creds}`], outside.client());
    assert.match(ehlo, /STARTTLS/);
    assert.doesNotMatch(ehlo, /AUTH/);
    assert.match(auth, /^5\d\d /m);
  });

  it("143 refuses LOGIN before STARTTLS", async () => {
    const login = `a1 LOGIN alice@e2e.test ${stack.password("alice@e2e.test")}`;
    const [greeting, answer] = await plainDialog(stack, stack.ep.imap, [login], outside.client());
    assert.match(greeting, /LOGINDISABLED/);
    assert.match(answer, /^a1 NO /m);
  });

  it("refuses a wrong password on submission and IMAP", async () => {
    const wrong = { password: "wrong-password", via: outside.client(WRONG_SUBMISSION) };
    const err = await expectRefused(() => submit(stack, "alice@e2e.test", { to: "bob@e2e.test" }, wrong));
    assert.equal(err.responseCode, 535, err.message);
    await expectLoginRefused(stack, "alice@e2e.test", { password: "wrong-password", via: outside.client(WRONG_IMAP) });
  });

  it("logs a failed login with the client's own address", async () => {
    await expectLoginRefused(stack, "bob@e2e.test", { password: "wrong-password", via: outside.client(LOGGED_IMAP) });
    const address = outside.sources[LOGGED_IMAP].replace(/\./g, "\\.");
    await waitForLogLine(stack, "dovecot", new RegExp(`imap-login: .*auth failed.*user=<bob@e2e\\.test>.*rip=${address}\\b`));
  });

  it("a disabled mailbox cannot log in and receives nothing", async () => {
    await expectLoginRefused(stack, "gone@e2e.test", { via: outside.client(DISABLED_IMAP) });
    const sub = await expectRefused(() => submit(stack, "gone@e2e.test", { to: "bob@e2e.test" }, { via: outside.client(DISABLED_SUBMISSION) }));
    assert.equal(sub.responseCode, 535, sub.message);
    const inbound = await expectRefused(() => sendFromInternet(outside, { to: "gone@e2e.test" }));
    assert.equal(inbound.responseCode, 550, inbound.message);
    assert.match(inbound.response ?? "", /disabled/);
  });
});
