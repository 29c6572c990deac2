// Scenario 8: faults. PostgreSQL down or Rspamd down -> incoming mail gets 4xx (never 5xx, never
// accepted unscanned) and the sender's retry is delivered once the service is back. Postfix
// SIGKILLed (master and children) during a burst of 200 messages: every message that got 250 is in
// the mailbox after restart, none twice. Each test restores the service it broke, even on failure.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, it } from "@jest/globals";
import { localContext } from "../../local/cli";
import { postfix, postfixPid } from "../../local/services/postfix";
import { postgres } from "../../local/services/postgres";
import { rspamd } from "../../local/services/rspamd";
import type { LocalService } from "../../local/services/types";
import { imapLogin, remoteTransport, sendExpectingError, STATE_DIR, uniqueId, upMailStack, waitForMessage, type MailStack } from "./mailStack";

const ctx = () => localContext(JSON.parse(readFileSync(join(STATE_DIR, "run", "stack.json"), "utf8")), () => undefined);

async function withServiceDown(service: LocalService, during: () => Promise<void>): Promise<void> {
  await service.stop(ctx());
  try {
    await during();
  } finally {
    await service.start(ctx());
    await service.ready(ctx());
  }
}

describe("faults", () => {
  let stack: MailStack;
  beforeAll(() => {
    stack = upMailStack();
  });

  const mail = (id: string) => ({ from: "sender@remote.example", to: "bob@e2e.test", subject: `fault ${id}`, text: "A message that must not be lost when a service fails.", messageId: id });

  for (const [name, service] of [["PostgreSQL", postgres], ["Rspamd", rspamd]] as const) {
    it(`${name} down: incoming mail gets 4xx, and the retry is delivered after restart`, async () => {
      const id = uniqueId(name);
      await withServiceDown(service, async () => {
        const err = await sendExpectingError(() => remoteTransport(stack).sendMail(mail(id)));
        assert.ok(err.responseCode !== undefined && err.responseCode >= 400 && err.responseCode < 500, `expected 4xx, got ${err.responseCode}: ${err.message}`);
      });
      // The sender retries, as every MTA does after a 4xx. An smtpd process caches the failed
      // resolution until it is recycled (max_use in master.cf), so retry for up to 90 seconds.
      const end = Date.now() + 90000;
      for (;;) {
        try {
          const r = await remoteTransport(stack).sendMail(mail(id));
          assert.match(r.response, /^250 /);
          break;
        } catch (e) {
          const code = (e as { responseCode?: number }).responseCode;
          assert.ok(code === undefined || (code >= 400 && code < 500), `a retry got ${code}: never 5xx`);
          if (Date.now() > end) throw e;
          await new Promise((r) => setTimeout(r, 3000));
        }
      }
      await waitForMessage(stack, "bob@e2e.test", id, { timeoutMs: 60000 });
    }, 120000);
  }

  it("Postfix SIGKILLed during a burst of 200: every accepted message arrives exactly once", async () => {
    const run = `burst.${Date.now()}`;
    const accepted: string[] = [];
    let sent = 0;
    let killed = false;
    const worker = async () => {
      const t = remoteTransport(stack);
      while (sent < 200) {
        const n = sent++;
        const id = `<${run}.${n}@e2e.client>`;
        try {
          const r = await t.sendMail(mail(id));
          if (/^250 /.test(r.response)) accepted.push(id);
        } catch {
          // Refused or cut off by the kill: the sender still has it; not our responsibility.
        }
        if (!killed && n >= 60) {
          killed = true;
          const pid = postfixPid(ctx());
          assert.ok(pid !== undefined, "postfix master pid");
          // The master leads its own process group: this kills it and every child at once.
          process.kill(-pid, "SIGKILL");
        }
      }
      t.close();
    };
    try {
      await Promise.all([worker(), worker(), worker(), worker()]);
    } finally {
      await postfix.stop(ctx()).catch(() => undefined);
      await postfix.start(ctx());
      await postfix.ready(ctx());
    }
    assert.ok(killed, "the kill happened during the burst");
    assert.ok(accepted.length > 0, "some messages were accepted before the kill");

    const counts = new Map<string, number>();
    const end = Date.now() + 120000;
    const imap = await imapLogin(stack, "bob@e2e.test");
    try {
      while (Date.now() < end) {
        counts.clear();
        const lock = await imap.getMailboxLock("INBOX");
        try {
          for await (const m of imap.fetch({ header: { subject: "fault <" + run } }, { envelope: true })) {
            const mid = m.envelope?.messageId ?? "";
            counts.set(mid, (counts.get(mid) ?? 0) + 1);
          }
        } finally {
          lock.release();
        }
        if (accepted.every((id) => counts.has(id))) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
    } finally {
      await imap.logout();
    }
    const missing = accepted.filter((id) => !counts.has(id));
    const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    assert.deepEqual(missing, [], `${missing.length} of ${accepted.length} accepted messages lost`);
    assert.deepEqual(twice, [], "delivered more than once");
  }, 300000);
});
