// Never an open relay. Without authentication, mail for a foreign domain is refused on 25, 587
// and 465 from the internet (the outside namespace), and from 127.0.0.1 too: the containers see a
// loopback client as the engine's gateway, which must not be in mynetworks either. Nothing
// reaches the sink, the stack's way out.
import assert from "node:assert/strict";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { startOutside, type Outside } from "../helpers/outside";
import { expectRefused, plainCredentials, plainDialog, sendFromInternet, sendFromLoopback, startSink, type Sink } from "../helpers/smtp";
import { upLocalStack, type LocalStack } from "../helpers/stack";
import { sleep } from "../../../local/proc";

describe("no open relay", () => {
  let stack: LocalStack;
  let outside: Outside;
  let sink: Sink;
  beforeAll(async () => {
    stack = await upLocalStack();
    outside = await startOutside(stack);
    sink = await startSink(stack);
  });
  afterAll(async () => {
    await sink?.close();
    await outside?.stop();
  });

  const relayAttempt = { from: "spammer@remote.example", to: "victim@elsewhere.example", subject: "relay?", text: "relay attempt" };
  /** Nothing for the victim left the stack: a relayed message would be at the sink by now. */
  const assertNothingRelayed = async () => {
    await sleep(1000);
    assert.deepEqual(sink.messages.filter((m) => m.to.includes(relayAttempt.to)), []);
  };

  it("refuses relaying on port 25 with 554 Relay access denied", async () => {
    const err = await expectRefused(() => sendFromInternet(outside, relayAttempt));
    assert.equal(err.responseCode, 554, err.message);
    assert.match(err.response ?? "", /Relay access denied/);
    // Even a forged local sender does not open the relay: it is refused as a forgery first (550
    // 5.7.1, our own domains are not senders for clients that did not log in; smtp/policy.test.ts).
    const forged = await expectRefused(() => sendFromInternet(outside, { ...relayAttempt, from: "alice@e2e.test" }));
    assert.equal(forged.responseCode, 550, forged.message);
    assert.match(forged.response ?? "", /Sender address rejected/);
    await assertNothingRelayed();
  });

  it("refuses unauthenticated mail on submission 587 and 465", async () => {
    const e587 = await expectRefused(() => sendFromInternet(outside, relayAttempt, { port: "submission" }));
    assert.ok(e587.responseCode !== undefined && e587.responseCode >= 500, e587.message);
    const e465 = await expectRefused(() => sendFromInternet(outside, relayAttempt, { port: "submissions" }));
    assert.ok(e465.responseCode !== undefined && e465.responseCode >= 500, e465.message);
    await assertNothingRelayed();
  });

  it("does not offer or accept AUTH on port 25, even after STARTTLS", async () => {
    const creds = plainCredentials("alice@e2e.test", stack.password("alice@e2e.test"));
    const dialog = ["EHLO client.example", "STARTTLS", "<STARTTLS>", "EHLO client.example", `AUTH PLAIN ${creds}`];
    const r = await plainDialog(stack, stack.ep.smtp, dialog, outside.client());
    assert.match(r[2], /^220 /);
    assert.doesNotMatch(r[3], /AUTH/);
    assert.match(r[4], /^503 /);
  });

  it("refuses relaying from 127.0.0.1 too: a loopback client is not in mynetworks", async () => {
    const err = await expectRefused(() => sendFromLoopback(stack, relayAttempt));
    assert.equal(err.responseCode, 554, err.message);
    assert.match(err.response ?? "", /Relay access denied/);
    await assertNothingRelayed();
  });
});
