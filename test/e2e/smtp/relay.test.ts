// Scenario 2: never an open relay. Without authentication, mail for a foreign domain is refused
// on 25, 587 and 465, from an address outside mynetworks.
import assert from "node:assert/strict";
import { beforeAll, describe, it } from "@jest/globals";
import { plainDialog, remoteTransport, sendExpectingError, startSink, upMailStack, type MailStack } from "./mailStack";

describe("no open relay", () => {
  let stack: MailStack;
  beforeAll(() => {
    stack = upMailStack();
  });

  const relayAttempt = { from: "spammer@remote.example", to: "victim@elsewhere.example", subject: "relay?", text: "relay attempt" };

  it("refuses relaying on port 25 with 554 Relay access denied", async () => {
    const sink = await startSink(stack);
    try {
      const err = await sendExpectingError(() => remoteTransport(stack, stack.ep.smtp).sendMail(relayAttempt));
      assert.equal(err.responseCode, 554, err.message);
      assert.match(err.response ?? "", /Relay access denied/);
      // Even a forged local sender does not open the relay.
      const forged = await sendExpectingError(() => remoteTransport(stack, stack.ep.smtp).sendMail({ ...relayAttempt, from: "alice@e2e.test" }));
      assert.equal(forged.responseCode, 554, forged.message);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(sink.messages.length, 0);
    } finally {
      await sink.close();
    }
  });

  it("refuses unauthenticated mail on submission 587 and 465", async () => {
    const e587 = await sendExpectingError(() => remoteTransport(stack, stack.ep.submission).sendMail(relayAttempt));
    assert.ok(e587.responseCode !== undefined && e587.responseCode >= 500, e587.message);
    const e465 = await sendExpectingError(() => remoteTransport(stack, stack.ep.submissions, true).sendMail(relayAttempt));
    assert.ok(e465.responseCode !== undefined && e465.responseCode >= 500, e465.message);
  });

  it("does not offer or accept AUTH on port 25, even after STARTTLS", async () => {
    const creds = Buffer.from(`\0alice@e2e.test\0${stack.password("alice@e2e.test")}`).toString("base64");
    const r = await plainDialog(stack.ep.smtp, ["EHLO client.example", "STARTTLS", "<STARTTLS>", "EHLO client.example", `AUTH PLAIN ${creds}`]);
    assert.match(r[2], /^220 /);
    assert.doesNotMatch(r[3], /AUTH/);
    assert.match(r[4], /^503 /);
  });
});
