// An authenticated user's mail (a mail client on 127.0.0.1) leaves through the local "remote MX"
// sink DKIM- and ARC-signed, and DKIM, SPF and DMARC pass against the program's own DNS records
// (the local zone: 127.0.0.1 is the server). A user sends only as their own address or aliases
// they own.
import assert from "node:assert/strict";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { authenticate } from "mailauth";
import { expectRefused, startSink, submit, type Sink } from "../helpers/smtp";
import { upLocalStack, type LocalStack } from "../helpers/stack";
import { zoneResolver } from "../helpers/zoneResolver";

describe("outbound mail from an authenticated user", () => {
  let stack: LocalStack;
  let sink: Sink;
  beforeAll(async () => {
    stack = await upLocalStack();
    sink = await startSink(stack);
  });
  afterAll(async () => {
    await sink?.close();
  });

  const meetingNotes = { subject: "Meeting notes", text: "Dear partner, please find the meeting notes from Tuesday below. Kind regards, Alice." };
  /** Alice submits (to partner@elsewhere.example unless told otherwise); returns what the sink got. */
  const sendAndCatch = async (from: string, opts: Parameters<typeof submit>[3] = {}) =>
    sink.waitFor(await submit(stack, "alice@e2e.test", { ...meetingNotes, from }, opts));

  it("reaches the external recipient signed (DKIM and ARC), and DKIM, SPF, DMARC pass", async () => {
    const msg = await sendAndCatch("alice@e2e.test");
    assert.deepEqual(msg.to, ["partner@elsewhere.example"]);
    assert.match(msg.raw, /^DKIM-Signature: .*d=e2e\.test/m);
    assert.match(msg.raw, /^ARC-Seal: /m);
    assert.match(msg.raw, /^ARC-Message-Signature: /m);
    const res = await authenticate(msg.raw, {
      ip: "127.0.0.1",
      helo: stack.cfg.hostname,
      sender: msg.from,
      mta: "mx.elsewhere.example",
      resolver: zoneResolver(stack.ep.zone) as never,
    });
    const dkim = res.dkim.results.find((r: { signingDomain?: string }) => r.signingDomain === "e2e.test");
    assert.equal(dkim?.status.result, "pass", JSON.stringify(res.dkim.results.map((r: { status: unknown }) => r.status)));
    assert.equal(res.spf && typeof res.spf === "object" ? res.spf.status.result : undefined, "pass");
    assert.equal(res.dmarc && typeof res.dmarc === "object" ? res.dmarc.status.result : undefined, "pass");
    assert.ok(res.arc, "mailauth found no ARC set");
    assert.equal(res.arc.status.result, "pass", JSON.stringify(res.arc.status));
  });

  it("also sends over 465 (implicit TLS)", async () => {
    const msg = await sendAndCatch("alice@e2e.test", { port: "submissions" });
    assert.match(msg.raw, /^DKIM-Signature: /m);
  });

  it("can send as an alias it owns (its own alias and an alias that delivers to it)", async () => {
    const own = await sendAndCatch("a.smith@e2e.test");
    assert.equal(own.from, "a.smith@e2e.test");
    const team = await sendAndCatch("sales@e2e.test");
    assert.equal(team.from, "sales@e2e.test");
  });

  it("cannot send as someone else's address, a foreign address, or a catch-all address", async () => {
    for (const from of ["bob@e2e.test", "ceo@elsewhere.example", "anything@other.test"]) {
      const err = await expectRefused(() => submit(stack, "alice@e2e.test", { ...meetingNotes, from }));
      assert.equal(err.responseCode, 553, `${from}: ${err.message}`);
      assert.match(err.response ?? "", /not owned by user/);
    }
  });
});
