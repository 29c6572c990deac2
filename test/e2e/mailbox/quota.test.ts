// Scenario 7: a mailbox that cannot take a message refuses it at SMTP time (RCPT, via Dovecot's
// quota-status policy) with a quota message, like a real sender that announces SIZE= sees;
// every other mailbox keeps receiving.
import assert from "node:assert/strict";
import { beforeAll, describe, it } from "@jest/globals";
import { plainDialog, remoteTransport, uniqueId, upMailStack, waitForMessage, type MailStack } from "./mailStack";

describe("quota", () => {
  let stack: MailStack;
  beforeAll(() => {
    stack = upMailStack();
  });

  const rcptWithSize = async (to: string, size: number) => {
    const r = await plainDialog(stack.ep.smtp, ["EHLO mx.remote.example", `MAIL FROM:<bulk@remote.example> SIZE=${size}`, `RCPT TO:<${to}>`, "QUIT"]);
    return r[3];
  };

  it("refuses mail for a full mailbox with 552 and a quota message at RCPT, and others still receive", async () => {
    // tiny@ has a 40K quota; each filler is ~15K. Fill until a 15K message no longer fits.
    const filler = `${"x".repeat(60)}\n`.repeat(250);
    let answer = await rcptWithSize("tiny@e2e.test", 16000);
    for (let i = 0; i < 4 && /^250 /.test(answer); i++) {
      const id = uniqueId(`fill${i}`);
      await remoteTransport(stack).sendMail({ from: "bulk@remote.example", to: "tiny@e2e.test", subject: `fill ${i}`, text: filler, messageId: id });
      await waitForMessage(stack, "tiny@e2e.test", id);
      answer = await rcptWithSize("tiny@e2e.test", 16000);
    }
    assert.match(answer, /^552 /, answer);
    assert.match(answer, /quota/i);

    assert.match(await rcptWithSize("bob@e2e.test", 16000), /^250 /);
    const id = uniqueId("stillok");
    await remoteTransport(stack).sendMail({ from: "bulk@remote.example", to: "bob@e2e.test", subject: "still fine", text: "Bob still receives mail.", messageId: id });
    await waitForMessage(stack, "bob@e2e.test", id);
  });
});
