// Special-use folders exist; a Sieve script uploaded over ManageSieve files mail into a folder;
// moving a message into Junk makes Rspamd learn spam (its controller's "learned" counter goes
// up); the controller, reachable only inside the service network, wants its password.
import assert from "node:assert/strict";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { asUser, moveMessage, waitForMessage } from "../helpers/imap";
import { startOutside, type Outside } from "../helpers/outside";
import { learnedCount, rspamdController } from "../helpers/rspamd";
import { uploadSieve } from "../helpers/sieve";
import { sendFromInternet } from "../helpers/smtp";
import { uniqueId, until, upLocalStack, type LocalStack } from "../helpers/stack";

describe("folders, Sieve and Junk learning", () => {
  let stack: LocalStack;
  let outside: Outside;
  beforeAll(async () => {
    stack = await upLocalStack();
    outside = await startOutside(stack);
  });
  afterAll(async () => {
    await outside?.stop();
  });

  it("shows Drafts, Sent, Junk, Trash and Archive with their special-use flags", async () => {
    const list = await asUser(stack, "bob@e2e.test", (imap) => imap.list());
    const uses = new Map(list.map((m) => [m.specialUse, m.path]));
    for (const u of ["\\Drafts", "\\Sent", "\\Junk", "\\Trash", "\\Archive"]) {
      assert.ok(uses.has(u), `missing ${u} in ${JSON.stringify(list.map((m) => m.path))}`);
    }
  });

  it("files mail by a Sieve script uploaded over ManageSieve", async () => {
    // Prepare
    const rules = 'require ["fileinto", "mailbox"];\r\nif header :contains "subject" "[invoice]" {\r\n  fileinto :create "Invoices";\r\n}\r\n';
    await uploadSieve(stack, "carol@other.test", "e2e-rules", rules);
    // Actual
    const id = await sendFromInternet(outside, { from: "billing@remote.example", to: "carol@other.test", subject: "[invoice] March" });
    await waitForMessage(stack, "carol@other.test", id, { mailbox: "Invoices" });
  });

  it("teaches Rspamd spam when a message is moved into Junk", async () => {
    // Prepare
    const before = await learnedCount(stack);
    const messageId = uniqueId("junk");
    const spammy = (i: number) => `Cheap watches number ${i} and amazing pharmacy offers you cannot refuse today only ${messageId}`;
    const text = Array.from({ length: 12 }, (_, i) => spammy(i)).join("\n");
    await sendFromInternet(outside, { from: "promo@remote.example", to: "bob@e2e.test", subject: "Unbelievable offer", text, messageId });
    await waitForMessage(stack, "bob@e2e.test", messageId);
    // Actual
    await moveMessage(stack, "bob@e2e.test", messageId, "Junk");
    await until("Rspamd's learned counter to grow", async () => ((await learnedCount(stack)) > before ? true : undefined), 20_000);
  });

  it("keeps the controller behind its password (the rendered hash matches the secret)", async () => {
    const anonymous = await rspamdController(stack, "/stat", "anonymous");
    assert.ok([401, 403].includes(anonymous.status), `anonymous got ${anonymous.status}`);
    const wrong = await rspamdController(stack, "/stat", { password: "not-the-password" });
    assert.ok([401, 403].includes(wrong.status), `wrong password got ${wrong.status}`);
    const right = await rspamdController(stack, "/stat", "secret");
    assert.equal(right.status, 200);
  });
});
