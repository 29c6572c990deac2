// Scenario 1: mail from the internet reaches the right INBOX (mailbox, alias, catch-all) with
// Rspamd's scan headers; an unknown recipient is refused at RCPT with 5xx.
import assert from "node:assert/strict";
import { beforeAll, describe, it } from "@jest/globals";
import { remoteTransport, sendExpectingError, uniqueId, upMailStack, waitForMessage, type MailStack } from "./mailStack";

describe("inbound mail from a remote server", () => {
  let stack: MailStack;
  beforeAll(() => {
    stack = upMailStack();
  });

  const body = "Hello, this is an ordinary message from a remote server about the quarterly meeting.";

  it("delivers to a mailbox with Rspamd's headers", async () => {
    const id = uniqueId("mailbox");
    const r = await remoteTransport(stack).sendMail({ from: "someone@remote.example", to: "bob@e2e.test", subject: "to bob", text: body, messageId: id });
    assert.match(r.response, /^250 /);
    const msg = await waitForMessage(stack, "bob@e2e.test", id);
    assert.match(msg, /^X-Spamd-Result: /m);
    assert.match(msg, /^X-Rspamd-Queue-Id: /m);
  });

  it("delivers an alias to every target and a mailbox alias to its owner", async () => {
    const id = uniqueId("alias");
    await remoteTransport(stack).sendMail({ from: "someone@remote.example", to: "sales@e2e.test", subject: "to sales", text: body, messageId: id });
    await waitForMessage(stack, "alice@e2e.test", id);
    await waitForMessage(stack, "bob@e2e.test", id);
    const id2 = uniqueId("mbalias");
    await remoteTransport(stack).sendMail({ from: "someone@remote.example", to: "a.smith@e2e.test", subject: "to a.smith", text: body, messageId: id2 });
    await waitForMessage(stack, "alice@e2e.test", id2);
  });

  it("delivers anything@ a catch-all domain to the catch-all target", async () => {
    const id = uniqueId("catchall");
    await remoteTransport(stack).sendMail({ from: "someone@remote.example", to: "whoever-123@other.test", subject: "catch", text: body, messageId: id });
    const msg = await waitForMessage(stack, "carol@other.test", id);
    assert.match(msg, /^Delivered-To: carol@other\.test/m);
  });

  it("refuses an unknown recipient at RCPT with 5xx", async () => {
    const err = await sendExpectingError(() =>
      remoteTransport(stack).sendMail({ from: "someone@remote.example", to: "nobody@e2e.test", subject: "x", text: body }),
    );
    assert.equal(err.responseCode, 550, err.message);
    assert.match(err.response ?? "", /nobody@e2e\.test/);
  });
});
