// Faults on the containers, as an operator meets them (runs after every other e2e file: it stops
// services). PostgreSQL's or Rspamd's container stopped -> mail from the internet gets 4xx (never
// 5xx, never accepted unscanned), and the sender's retry is delivered once the container is
// started again. Postfix's master (the container's main process) SIGKILLed during a burst of 200
// messages -> the engine's restart policy brings the container back by itself, once, and every
// message that got 250 is in the mailbox (at least once; a copy in delivery at the kill may come twice). Each test restores what it broke, even on
// failure.
import assert from "node:assert/strict";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import type { ServiceName } from "../../../components/core/topology";
import { sleep } from "../../../local/proc";
import { asUser, countByMessageId, waitForMessage } from "../helpers/imap";
import { startOutside, type Outside } from "../helpers/outside";
import { expectRefused, sendFromInternet, type Mail, type SmtpError } from "../helpers/smtp";
import {
  execOkInService,
  killMaster,
  serviceState,
  startService,
  stopService,
  uniqueId,
  upLocalStack,
  waitRestarted,
  type LocalStack,
  type ServiceState,
} from "../helpers/stack";

/** A temporary refusal: the sender keeps the message and retries. */
const isTemporary = (code: number | undefined) => code !== undefined && code >= 400 && code < 500;

describe("faults", () => {
  let stack: LocalStack;
  let outside: Outside;
  beforeAll(async () => {
    stack = await upLocalStack();
    outside = await startOutside(stack);
  });
  afterAll(async () => {
    // Cleanup: whatever a failed test left stopped runs again for the global teardown.
    if (stack !== undefined) for (const s of ["postgres", "rspamd", "postfix"] as const) await startService(stack, s);
    await outside?.stop();
  });

  const faultMail = (subject: string, messageId = uniqueId("fault")): Partial<Mail> => ({
    from: "sender@remote.example",
    to: "bob@e2e.test",
    subject,
    text: "A message that must not be lost when a service fails.",
    messageId,
  });

  const outages: [string, ServiceName][] = [
    ["PostgreSQL", "postgres"],
    ["Rspamd", "rspamd"],
  ];
  for (const [name, service] of outages) {
    it(`${name} down: incoming mail gets 4xx, and the retry is delivered after restart`, async () => {
      const mail = faultMail(`fault ${name}`);
      // Prepare
      await stopService(stack, service);
      try {
        // Actual
        const err = await expectRefused(() => sendFromInternet(outside, mail));
        assert.ok(isTemporary(err.responseCode), `expected 4xx, got ${err.responseCode}: ${err.message}`);
      } finally {
        // Cleanup (and the second half of the scenario)
        await startService(stack, service);
      }
      // The sender retries, as every MTA does after a 4xx. An smtpd process caches the failed
      // lookup or milter until it is recycled (max_use in master.cf), so retry for up to 90 s.
      const end = Date.now() + 90_000;
      for (;;) {
        const err = await sendFromInternet(outside, mail).then(
          () => undefined,
          (e: SmtpError) => e,
        );
        if (err === undefined) break;
        // No code: the connection itself failed (a container still starting); also temporary.
        assert.ok(err.responseCode === undefined || isTemporary(err.responseCode), `a retry got ${err.responseCode}: never 5xx`);
        if (Date.now() > end) throw err;
        await sleep(3000);
      }
      // Accepted is kept: delivered at once, or (when Dovecot's first lookup after a PostgreSQL
      // restart fails on a connection the restart closed: LMTP 451, measured) held in Postfix's
      // queue, never bounced, and delivered on the queue's next run. `postqueue -f` is that run
      // now, as the README's recovery step says; without it Postfix retries within 5 minutes.
      const inbox = await waitForMessage(stack, "bob@e2e.test", mail.messageId ?? "", { timeoutMs: 30_000 }).catch(() => undefined);
      if (inbox === undefined) {
        const queue = await execOkInService(stack, "postfix", "postqueue -j", ["postqueue", "-j"]);
        assert.match(queue.stdout, /"queue_name": ?"deferred"/, `the accepted message is neither delivered nor queued:\n${queue.stdout}`);
        await execOkInService(stack, "postfix", "postqueue -f", ["postqueue", "-f"]);
        await waitForMessage(stack, "bob@e2e.test", mail.messageId ?? "", { timeoutMs: 60_000 });
      }
    }, 240_000);
  }

  it("Postfix's master SIGKILLed during a burst of 200: the engine restarts it once, and every accepted message arrives, none more than twice", async () => {
    const run = `burst.${Date.now()}`;
    const accepted: string[] = [];
    let sent = 0;
    let killIssued = false;
    let before: ServiceState | undefined;
    const worker = async (source: number) => {
      while (sent < 200) {
        const n = sent++;
        try {
          accepted.push(await sendFromInternet(outside, faultMail(`fault ${run} ${n}`, `<${run}.${n}@e2e.client>`), { source }));
        } catch {
          // Refused or cut off by the kill: the sender still has it; not our responsibility.
        }
        if (!killIssued && n >= 60) {
          killIssued = true;
          before = await killMaster(stack, "postfix");
        }
      }
    };
    // Four servers on the internet sending at once.
    await Promise.all([0, 1, 2, 3].map(worker));
    assert.ok(before !== undefined, "the kill happened during the burst");
    assert.ok(accepted.length > 0, "some messages were accepted before the kill");

    // What an operator sees: the container came back by itself (no one started it), exactly once,
    // and its health check passes.
    const after = await waitRestarted(stack, "postfix", before);
    assert.equal(after.restartCount, before.restartCount + 1, "restarted more than once: a crash loop");
    assert.equal((await serviceState(stack, "postfix")).running, true);

    const counts = await asUser(stack, "bob@e2e.test", async (imap) => {
      const end = Date.now() + 120_000;
      for (;;) {
        const c = await countByMessageId(imap, `fault ${run}`);
        if (accepted.every((id) => c.has(id)) || Date.now() > end) return c;
        await sleep(1000);
      }
    });
    const missing = accepted.filter((id) => !counts.has(id));
    assert.deepEqual(missing, [], `${missing.length} of ${accepted.length} accepted messages lost`);
    // Delivery is at least once, as with every MTA: a message Dovecot saved in the instant the kill
    // took Postfix's LMTP client away before it recorded the 250 is delivered again after the
    // restart, and Dovecot's Message-ID dedupe (sieve/dedupe.sieve) misses it when the killed
    // session never completed (measured today: one message in two runs of five, none in the others). So:
    // never more than two copies, and only of messages that were in LMTP's hands at the kill
    // (Postfix's LMTP concurrency, 20, bounds those).
    const twice = [...counts].filter(([, n]) => n > 1);
    assert.deepEqual(twice.filter(([, n]) => n > 2), [], "delivered three times or more");
    assert.ok(twice.length <= 20, `${twice.length} messages delivered twice: more than were in delivery at the kill`);
  }, 300_000);
});
