// Bans: an address that keeps failing to log in is shut out of every published port, whichever
// service it failed on, while every other address carries on; the ban ends by itself, and the
// operator's `npm run bans -- lift` ends it at once. The failures come from the internet (the
// outside namespace), one address for the ban that expires and one for the ban that is lifted;
// a third address logs in meanwhile. The e2e stack bans for 20 s (test/e2e/Pulumi.e2e.yaml) after
// the production count of 5 failures. IPv6 bans (a whole /64) are tested on the fail2ban image
// itself (test/images/fail2ban.test.ts): the local outside has no IPv6.
import assert from "node:assert/strict";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { bansMain, localRunner } from "../../../tools/bans/cli";
import { bannedAddresses, banSetElements, forgetBans } from "../helpers/bans";
import { expectLoginRefused, imapLogin } from "../helpers/imap";
import { startOutside, type Outside, type OutsideClient } from "../helpers/outside";
import { sieveLogin } from "../helpers/sieve";
import { connectTo, expectRefused, submit } from "../helpers/smtp";
import { until, upLocalStack, type LocalStack } from "../helpers/stack";
import { webmailLogin } from "../helpers/web";

/** Outside sources: one banned until the ban expires, one banned and lifted, one innocent. */
const EXPIRES = 4;
const LIFTED = 2;
const INNOCENT = 3;
const WRONG = "not-the-password";

/** Does a TCP connection from `via` to `port` get through (the ban answers with a reset)? */
async function connects(stack: LocalStack, port: number, via: OutsideClient): Promise<boolean> {
  try {
    const s = await connectTo(stack, port, via);
    s.destroy();
    return true;
  } catch {
    return false;
  }
}

/**
 * One failed login on each service, then more on IMAP, until the address is shut out. Dovecot
 * delays each further failure from one address (2, 4, 8, 15 s): submission comes second, while
 * the delay is still below Postfix's 10 s wait for Dovecot's answer.
 */
async function failUntilBanned(stack: LocalStack, via: OutsideClient): Promise<number> {
  const attempts: (() => Promise<void>)[] = [
    () => expectLoginRefused(stack, "alice@e2e.test", { password: WRONG, via }),
    async () => {
      const e = await expectRefused(() => submit(stack, "alice@e2e.test", { to: "bob@e2e.test" }, { password: WRONG, via }));
      assert.equal(e.responseCode, 535, e.message);
    },
    async () => assert.match(await sieveLogin(stack, "alice@e2e.test", { password: WRONG, via }), /^NO/),
    async () => assert.equal(await webmailLogin(stack, "alice@e2e.test", { password: WRONG, via }), false),
    () => expectLoginRefused(stack, "bob@e2e.test", { password: WRONG, via }),
  ];
  let failures = 0;
  for (const attempt of attempts) {
    if (!(await connects(stack, stack.ep.imaps, via))) break;
    await attempt();
    failures += 1;
  }
  // fail2ban reads Dovecot's file every second.
  await until(`${via.address} banned`, async () => ((await connects(stack, stack.ep.imaps, via)) ? undefined : true), 15_000);
  return failures;
}

describe("bans", () => {
  let stack: LocalStack;
  let outside: Outside;
  beforeAll(async () => {
    stack = await upLocalStack();
    outside = await startOutside(stack);
  });
  afterAll(async () => {
    await outside?.stop();
  });

  it("shuts an address out of every port after 5 failed logins across IMAP, submission, ManageSieve and webmail; others log in", async () => {
    const expires = outside.client(EXPIRES);
    const lifted = outside.client(LIFTED);
    // Prepare: no history from earlier runs (a repeat offender's failures count several times).
    await forgetBans(stack, [expires.address, lifted.address]);
    const [a, b] = await Promise.all([failUntilBanned(stack, expires), failUntilBanned(stack, lifted)]);
    // The fifth failure bans, counted across the four services (the fourth, when smtp/auth.test
    // ran before in the same stack's life: it fails one login from each outside address).
    for (const n of [a, b]) assert.ok(n >= 4 && n <= 5, `banned after ${n} failures`);
    for (const port of [stack.ep.smtp, stack.ep.submission, stack.ep.imap, stack.ep.sieve, stack.topo.ports.https]) {
      assert.equal(await connects(stack, port, expires), false, `port ${port} still answers the banned address`);
    }
    assert.deepEqual((await bannedAddresses(stack)).sort(), [expires.address, lifted.address].sort());
    assert.deepEqual((await banSetElements(stack)).sort(), [expires.address, lifted.address].sort());
    // Another address on the internet is not affected, on any service.
    const innocent = outside.client(INNOCENT);
    await (await imapLogin(stack, "alice@e2e.test", { via: innocent })).logout();
    assert.equal(await webmailLogin(stack, "bob@e2e.test", { via: innocent }), true);
  }, 240_000);

  it("lifts a ban at once with npm run bans -- lift", async () => {
    const lifted = outside.client(LIFTED);
    const lines: string[] = [];
    assert.equal(await bansMain(["lift", lifted.address, "--local"], { out: (l) => lines.push(l), runner: () => localRunner() }), 0);
    assert.match(lines.join("\n"), new RegExp(`lifted the ban of ${lifted.address.replace(/\./g, "\\.")}`));
    await (await imapLogin(stack, "bob@e2e.test", { via: lifted })).logout();
  });

  it("ends a ban by itself after the configured time", async () => {
    // Banned in the first test and never lifted: only the ban's own end lets it back in.
    const expires = outside.client(EXPIRES);
    await until("the ban to expire", async () => ((await connects(stack, stack.ep.imaps, expires)) ? true : undefined), 60_000);
    await (await imapLogin(stack, "alice@e2e.test", { via: expires })).logout();
    assert.deepEqual(await bannedAddresses(stack), []);
  }, 90_000);
});
