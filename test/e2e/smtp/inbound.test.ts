// Mail from the internet (an MTA in the outside namespace, port 25) reaches the right INBOX
// (mailbox, alias, catch-all) with Rspamd's scan headers; an unknown recipient is refused at
// RCPT with 5xx; and the stack sees the sending server's own address, as it must for SPF, rate
// limits and bans.
import assert from "node:assert/strict";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { waitForMessage } from "../helpers/imap";
import { startOutside, type Outside } from "../helpers/outside";
import { expectRefused, sendFromInternet } from "../helpers/smtp";
import { serviceLog, upLocalStack, type LocalStack } from "../helpers/stack";

describe("inbound mail from a remote server", () => {
  let stack: LocalStack;
  let outside: Outside;
  beforeAll(async () => {
    stack = await upLocalStack();
    outside = await startOutside(stack);
  });
  afterAll(async () => {
    await outside?.stop();
  });

  it("delivers to a mailbox with Rspamd's headers", async () => {
    const id = await sendFromInternet(outside, { to: "bob@e2e.test" });
    const msg = await waitForMessage(stack, "bob@e2e.test", id);
    assert.match(msg, /^X-Spamd-Result: /m);
    assert.match(msg, /^X-Rspamd-Queue-Id: /m);
  });

  it("delivers an alias to every target and a mailbox alias to its owner", async () => {
    const id = await sendFromInternet(outside, { to: "sales@e2e.test" });
    await waitForMessage(stack, "alice@e2e.test", id);
    await waitForMessage(stack, "bob@e2e.test", id);
    const id2 = await sendFromInternet(outside, { to: "a.smith@e2e.test" });
    await waitForMessage(stack, "alice@e2e.test", id2);
  });

  it("delivers anything@ a catch-all domain to the catch-all target", async () => {
    const id = await sendFromInternet(outside, { to: "whoever-123@other.test" });
    const msg = await waitForMessage(stack, "carol@other.test", id);
    assert.match(msg, /^Delivered-To: carol@other\.test/m);
  });

  it("refuses an unknown recipient at RCPT with 5xx", async () => {
    const err = await expectRefused(() => sendFromInternet(outside, { to: "nobody@e2e.test" }));
    assert.equal(err.responseCode, 550, err.message);
    assert.match(err.response ?? "", /nobody@e2e\.test/);
  });

  it("sees the sending server's own address: in the Received header and in Postfix's log", async () => {
    // Not the first source, which the other tests use: this address appears only if it is seen.
    const source = 3;
    const address = outside.sources[source];
    const id = await sendFromInternet(outside, { to: "bob@e2e.test" }, { source });
    const msg = await waitForMessage(stack, "bob@e2e.test", id);
    const received = /^Received: from mx\.remote\.example [^\n]*(\n\s[^\n]*)*/m.exec(msg)?.[0] ?? "";
    assert.match(received, new RegExp(`\\[${address.replace(/\./g, "\\.")}\\]`), received);
    const queueId = /^X-Rspamd-Queue-Id: (\w+)/m.exec(msg)?.[1];
    assert.ok(queueId !== undefined, "no queue id in the delivered message");
    const log = await serviceLog(stack, "postfix", 2000);
    // The name is the outside client's PTR from the stack's resolver (mta<n>.remote.example).
    assert.match(log, new RegExp(`${queueId}: client=[^\\[\\s]+\\[${address.replace(/\./g, "\\.")}\\]`));
  });
});
