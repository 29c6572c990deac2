// Send limits: a mailbox that reaches its limit for the hour gets a temporary refusal that says
// so, counting messages and recipients separately, and other mailboxes are not affected (Rspamd's
// ratelimit per login; limited@e2e.test may send 2 messages and 3 recipients an hour,
// test/e2e/Pulumi.e2e.yaml). And Postfix keeps one client address from holding more than its share
// of connections on port 25 and on submission. The buckets live in Valkey across runs, so each
// test starts by emptying them (the e2e stack's Valkey holds nothing else that matters).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { STATE_DIR } from "../../../local/endpoints";
import { statePaths } from "../../../local/state";
import { startOutside, type Outside } from "../helpers/outside";
import { submissionRecipientLimit } from "../../../components/core/render/postfix";
import { connectTo, expectRefused, plainCredentials, plainDialog, startSink, submit, type Sink } from "../helpers/smtp";
import { execOkInService, upLocalStack, type LocalStack } from "../helpers/stack";

const LIMITED = "limited@e2e.test";
/** The outside source that opens too many connections (it gets its share back as they close). */
const GREEDY = 1;

/** Empties Rspamd's ratelimit buckets (keys RL*) in Valkey; the password goes in on stdin. */
async function emptyBuckets(stack: LocalStack): Promise<void> {
  const { valkeyPassword } = JSON.parse(readFileSync(statePaths(STATE_DIR).serviceSecrets, "utf8")) as { valkeyPassword: string };
  const script = "for _, k in ipairs(redis.call('KEYS', 'RL*')) do redis.call('DEL', k) end return 1";
  await execOkInService(stack, "valkey", "empty the ratelimit buckets", ["valkey-cli", "--no-auth-warning"], {
    input: `AUTH ${valkeyPassword}\nEVAL "${script}" 0\n`,
  });
}

/** The first line the server sends on a new connection. */
async function greeting(socket: Socket): Promise<string> {
  return new Promise<string>((resolve) => {
    let buf = "";
    const t = setTimeout(() => resolve(buf || "(no greeting)"), 10_000);
    socket.on("data", (d: Buffer) => {
      buf += d.toString();
      // The last line of the reply: postscreen on port 25 greets "220-" first and "220 " after
      // its greet wait; Postfix's refusal is one "421 " line.
      const last = buf.split("\r\n").find((l) => /^\d{3} /.test(l));
      if (last !== undefined) {
        clearTimeout(t);
        resolve(last);
      }
    });
    socket.on("error", () => resolve(buf || "(error)"));
  });
}

describe("send limits", () => {
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

  it("refuses a mailbox's third message in the hour with 451 and the limit it reached", async () => {
    await emptyBuckets(stack);
    for (let i = 0; i < 2; i++) await sink.waitFor(await submit(stack, LIMITED, { to: "partner@elsewhere.example" }));
    const e = await expectRefused(() => submit(stack, LIMITED, { to: "partner@elsewhere.example" }));
    assert.equal(e.responseCode, 451, e.message);
    assert.match(e.response ?? "", /4\.7\.1 .*at most 2 messages per hour for this mailbox/);
    // Another mailbox sends as usual.
    await sink.waitFor(await submit(stack, "bob@e2e.test", { to: "partner@elsewhere.example" }));
  });

  it("counts every recipient against the recipient limit", async () => {
    await emptyBuckets(stack);
    await sink.waitFor(await submit(stack, LIMITED, { to: ["a@elsewhere.example", "b@elsewhere.example", "c@elsewhere.example"] }));
    // One more recipient is one too many, though it is only the second message.
    const e = await expectRefused(() => submit(stack, LIMITED, { to: "d@elsewhere.example" }));
    assert.equal(e.responseCode, 451, e.message);
    assert.match(e.response ?? "", /at most 3 recipients per hour/);
    await emptyBuckets(stack);
  });

  it("refuses more recipients in one message than any mailbox may send in an hour, at RCPT", async () => {
    const cap = submissionRecipientLimit(stack.cfg);
    const creds = plainCredentials("bob@e2e.test", stack.password("bob@e2e.test"));
    const rcpts = Array.from({ length: cap + 1 }, (_, i) => `RCPT TO:<r${i}@elsewhere.example>`);
    const replies = await plainDialog(stack, stack.ep.submission, ["EHLO client.example", "STARTTLS", "<STARTTLS>", "EHLO client.example", `AUTH PLAIN ${creds}`, "MAIL FROM:<bob@e2e.test>", ...rcpts, "QUIT"], "loopback");
    const answers = replies.slice(-(cap + 2), -1);
    assert.equal(answers.filter((a) => a.startsWith("250 ")).length, cap);
    assert.match(answers[cap], /^452 4\.5\.3 .*too many recipients/i);
  }, 120_000);
});

describe("per-client connection limits", () => {
  let stack: LocalStack;
  let outside: Outside;
  beforeAll(async () => {
    stack = await upLocalStack();
    outside = await startOutside(stack);
  });
  afterAll(async () => {
    await outside?.stop();
  });

  for (const port of ["smtp", "submission"] as const) {
    it(`refuses a client address's connection beyond its limit at once on ${port} with 421, and not another address's`, async () => {
      const limit = stack.cfg.limits.smtp.concurrentConnections;
      const greedy = outside.client(GREEDY);
      const open: Socket[] = [];
      try {
        for (let i = 0; i < limit; i++) {
          const s = await connectTo(stack, stack.ep[port], greedy);
          open.push(s);
          assert.match(await greeting(s), /^220 /, `connection ${i + 1}`);
        }
        const extra = await connectTo(stack, stack.ep[port], greedy);
        open.push(extra);
        assert.match(await greeting(extra), /^421 4\.7\.0 .*too many connections/i);
        const other = await connectTo(stack, stack.ep[port], outside.client(GREEDY + 1));
        open.push(other);
        assert.match(await greeting(other), /^220 /, "another address is served");
      } finally {
        for (const s of open) s.destroy();
      }
    }, 120_000);
  }
});
