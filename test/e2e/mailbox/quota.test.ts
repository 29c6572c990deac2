// A mailbox that cannot take a message refuses it at SMTP time (RCPT, via Dovecot's quota-status
// policy) with a quota message, as a real sender that announces SIZE= sees; every other mailbox
// keeps receiving. Mail is kept across runs: a second run finds tiny@ already full.
import assert from "node:assert/strict";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { waitForMessage } from "../helpers/imap";
import { startOutside, type Outside } from "../helpers/outside";
import { plainDialog, sendFromInternet } from "../helpers/smtp";
import { upLocalStack, type LocalStack } from "../helpers/stack";

describe("quota", () => {
  let stack: LocalStack;
  let outside: Outside;
  beforeAll(async () => {
    stack = await upLocalStack();
    outside = await startOutside(stack);
  });
  afterAll(async () => {
    await outside?.stop();
  });

  /** The answer to RCPT for a message of `size` bytes announced at MAIL FROM, from the internet. */
  const rcptWithSize = async (to: string, size: number) => {
    const dialog = ["EHLO mx.remote.example", `MAIL FROM:<bulk@remote.example> SIZE=${size}`, `RCPT TO:<${to}>`, "QUIT"];
    const [, , , rcpt] = await plainDialog(stack, stack.ep.smtp, dialog, outside.client());
    return rcpt;
  };

  it("refuses mail for a full mailbox with 552 and a quota message at RCPT, and others still receive", async () => {
    // Prepare: tiny@ has a 40K quota; each filler is ~15K. Fill until a 15K message no longer fits.
    const filler = `${"x".repeat(60)}\n`.repeat(250);
    let answer = await rcptWithSize("tiny@e2e.test", 16000);
    for (let i = 0; i < 4 && /^250 /.test(answer); i++) {
      const id = await sendFromInternet(outside, { from: "bulk@remote.example", to: "tiny@e2e.test", subject: `fill ${i}`, text: filler });
      await waitForMessage(stack, "tiny@e2e.test", id);
      answer = await rcptWithSize("tiny@e2e.test", 16000);
    }
    // Actual
    assert.match(answer, /^552 /, answer);
    assert.match(answer, /quota/i);
    assert.match(await rcptWithSize("bob@e2e.test", 16000), /^250 /);
    const id = await sendFromInternet(outside, { from: "bulk@remote.example", to: "bob@e2e.test", subject: "still fine" });
    await waitForMessage(stack, "bob@e2e.test", id);
  });
});
