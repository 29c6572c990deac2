// Who the client is, everywhere: a browser's webmail login reaches Dovecot under the browser's
// own address (Roundcube's mailstack_client_ip plugin sends it in an IMAP ID before LOGIN, and
// Dovecot believes it from the webmail's network only), so Dovecot's log and delay, and the bans,
// name the attacker and not the webmail; a client on the internet cannot claim another address.
// Every browser and client here is on the internet (the outside namespace).
import assert from "node:assert/strict";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { startOutside, type Outside } from "../helpers/outside";
import { imapDialog } from "../helpers/imap";
import { serviceLog, waitForLogLine, upLocalStack, type LocalStack } from "../helpers/stack";
import { webmailLogin } from "../helpers/web";

/**
 * The account the attacker guesses at; no other test logs it in through the webmail (Roundcube
 * locks an account for a minute after 3 failed logins, whoever tried).
 */
const TARGET = "tiny@e2e.test";
/** Outside sources: a browser that fails to log in, one that logs in, a client claiming another address. */
const ATTACKER = 1;
const USER = 0;
const SPOOFER = 3;

const escaped = (a: string) => a.replace(/[.]/g, "\\.");

describe("real client addresses", () => {
  let stack: LocalStack;
  let outside: Outside;
  beforeAll(async () => {
    stack = await upLocalStack();
    outside = await startOutside(stack);
  });
  afterAll(async () => {
    await outside?.stop();
  });

  it("a failed webmail login is logged by Dovecot and Roundcube under the browser's address", async () => {
    const attacker = outside.client(ATTACKER);
    assert.equal(await webmailLogin(stack, TARGET, { password: "wrong-password", via: attacker }), false);
    await waitForLogLine(stack, "dovecot", new RegExp(`auth\\(${escaped(TARGET)},${escaped(attacker.address)},[^)]*\\)[^:]*: .*Password mismatch`));
    await waitForLogLine(stack, "dovecot", new RegExp(`imap-login: .*auth failed.*user=<${escaped(TARGET)}>.*rip=${escaped(attacker.address)}\\b`));
    await waitForLogLine(stack, "roundcube", new RegExp(`Failed login for ${escaped(TARGET)} from ${escaped(attacker.address)}\\b`));
  }, 60_000);

  it("a webmail login is logged under the browser's address, and another browser's failures do not slow it", async () => {
    // Two more failures: Dovecot now holds the attacker's next answer back by several seconds
    // (and Roundcube locks the target account for a minute: its own login_rate_limit).
    const attacker = outside.client(ATTACKER);
    for (let i = 0; i < 2; i++) assert.equal(await webmailLogin(stack, TARGET, { password: "wrong-password", via: attacker }), false);
    const user = outside.client(USER);
    const started = Date.now();
    assert.equal(await webmailLogin(stack, "carol@other.test", { via: user }), true);
    const seconds = (Date.now() - started) / 1000;
    // The attacker's next login would wait 8 s; before this change every webmail user shared it.
    assert.ok(seconds < 4, `the user's login took ${seconds.toFixed(1)} s`);
    await waitForLogLine(stack, "dovecot", new RegExp(`imap-login: .*Logged in: user=<carol@other\\.test>.*rip=${escaped(user.address)}\\b`));
  }, 90_000);

  it("a client on the internet cannot name another address to Dovecot", async () => {
    const spoofer = outside.client(SPOOFER);
    const [id, login] = await imapDialog(stack, spoofer, ['ID ("x-originating-ip" "203.0.113.99")', "LOGIN bob@e2e.test wrong-password"]);
    assert.match(id, /^c1 OK/m);
    assert.match(login, /^c2 NO /m);
    await waitForLogLine(stack, "dovecot", new RegExp(`auth\\(bob@e2e\\.test,${escaped(spoofer.address)},[^)]*\\)[^:]*: .*Password mismatch`), 30_000);
    const log = await serviceLog(stack, "dovecot", 500);
    assert.doesNotMatch(log, /203\.0\.113\.99/, "the claimed address reached Dovecot's log");
  }, 60_000);
});
