// The mail policy inside the mailbox (issue 11): Sieve vacation replies and redirects leave
// through Postfix's internal port signed and with a sender that passes SPF at the destination (the
// user's address for vacation, SRS for a redirect or an alias that forwards a foreign sender),
// forwarded mail carries our ARC seal; spam is filed into Junk before any user script (so no
// vacation reply to it); Bayes learns from messages copied into Junk, not from messages a user
// uploads there; quota warnings reach the user at 80 % and 95 %. Senders are on the outside
// namespace; what leaves the stack is caught at the sink and verified with mailauth against the
// stack's zone and this file's test records.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { authenticate, dkimSign } from "mailauth";
import { clearSieve, ep, findMessages, imapLogin, inContainer, publishTestDns, sendFromOutside, setSieve, startSink, testResolver, uniqueId, unpublishTestDns } from "../helpers/policy";

// Rspamd's test string for "add header", its spam action (options.inc: gtube_patterns = "all").
const GTUBE_ADD_HEADER = "YJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

let sink: Awaited<ReturnType<typeof startSink>>;
beforeAll(async () => {
  sink = await startSink();
});
afterAll(async () => {
  await sink.close();
});

describe("Sieve vacation", () => {
  beforeAll(() => {
    setSieve("alice@e2e.test", 'require ["vacation"];\nvacation :days 1 :subject "Away" "I am away until Monday.";\n');
  });
  afterAll(() => clearSieve("alice@e2e.test"));

  it("answers through Postfix, from the user's address, DKIM-signed for our domain", async () => {
    const sender = `traveller${Date.now()}@remote.example`;
    const tag = uniqueId("vacation");
    const replies = sendFromOutside({ from: sender, to: ["alice@e2e.test"], data: `From: ${sender}\nTo: alice@e2e.test\nMessage-ID: ${tag}\nSubject: meeting?\n\nAre you there?` });
    assert.match(replies[replies.length - 2], /^250 /, replies.join("\n"));
    const reply = await sink.waitFor((m) => m.to.includes(sender) && m.raw.includes(tag));
    assert.equal(reply.from, "alice@e2e.test", "the envelope sender is the user's own address (passes our SPF)");
    assert.match(reply.raw, /^Auto-Submitted: auto-replied/im);
    assert.match(reply.raw, /^Subject: Away/m);
    const res = await authenticate(reply.raw, { ip: "127.0.0.1", helo: ep.mailHost, sender: reply.from, mta: "mx.remote.example", resolver: testResolver() as never });
    const dkim = res.dkim.results.find((r: { signingDomain?: string }) => r.signingDomain === "e2e.test");
    assert.equal(dkim?.status.result, "pass", JSON.stringify(res.dkim.results.map((r: { status: unknown }) => r.status)));
    assert.equal(res.dmarc && typeof res.dmarc === "object" ? res.dmarc.status.result : undefined, "pass");
  });

  it("never answers spam: it goes to Junk before the user's script runs", async () => {
    const sender = `spammer${Date.now()}@remote.example`;
    const tag = uniqueId("spam");
    const replies = sendFromOutside({ from: sender, to: ["alice@e2e.test"], data: `From: ${sender}\nTo: alice@e2e.test\nMessage-ID: ${tag}\nSubject: cheap\n\n${GTUBE_ADD_HEADER}\n` });
    assert.match(replies[replies.length - 2], /^250 /, replies.join("\n"));
    const [junk] = await findMessages("alice@e2e.test", "Junk", "message-id", tag);
    assert.ok(junk, "filed into Junk");
    assert.match(junk, /^X-Spam: Yes/m);
    assert.deepEqual(await findMessages("alice@e2e.test", "INBOX", "message-id", tag, 1000), []);
    await new Promise((r) => setTimeout(r, 5000));
    assert.equal(sink.messages.filter((m) => m.to.includes(sender)).length, 0, "no vacation reply to spam");
  });
});

describe("forwarding to another provider", () => {
  const selector = "test2026";
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const p = publicKey.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
  const keyTxt = `v=DKIM1; k=rsa; p=${p}`;
  const chunks = keyTxt.match(/.{1,255}/g) ?? [];
  const keyName = `${selector}._domainkey.remote.example`;
  beforeAll(() => {
    publishTestDns([`${keyName}. 300 IN TXT ${chunks.map((c) => `"${c}"`).join(" ")}`]);
    setSieve("bob@e2e.test", 'redirect "bobs-phone@remote.example";\n');
  });
  afterAll(() => {
    unpublishTestDns([`${keyName}.`]);
    clearSieve("bob@e2e.test");
  });

  /** A message from the outside, DKIM-signed by remote.example with the key published above. */
  const signed = async (from: string, to: string, tag: string) => {
    const msg = `From: ${from}\r\nTo: ${to}\r\nMessage-ID: ${tag}\r\nSubject: minutes\r\nDate: ${new Date().toUTCString()}\r\n\r\nThe minutes are attached in spirit.\r\n`;
    // mailauth 4.13 signs from `signatureData` (its typings describe only the top-level form, which
    // signs nothing in this version).
    const options = { signatureData: [{ signingDomain: "remote.example", selector, privateKey }] } as unknown as Parameters<typeof dkimSign>[1];
    const { signatures } = await dkimSign(msg, options);
    assert.match(signatures, /^DKIM-Signature: /);
    return signatures + msg;
  };
  const resolver = () => testResolver({ [`${keyName} TXT`]: [chunks] });

  const expectForwarded = async (to: string, tag: string, original: string) => {
    const fwd = await sink.waitFor((m) => m.to.includes(to) && m.raw.includes(tag));
    assert.match(fwd.from, /^SRS0=[^=]+=[^=]+=remote\.example=/i, `SRS envelope sender, not ${fwd.from}`);
    assert.match(fwd.from, /@e2e\.test$/);
    const res = await authenticate(fwd.raw, { ip: "127.0.0.1", helo: ep.mailHost, sender: fwd.from, mta: "mx.remote.example", resolver: resolver() as never });
    const dkim = res.dkim.results.find((r: { signingDomain?: string }) => r.signingDomain === "remote.example");
    assert.equal(dkim?.status.result, "pass", `the author's signature survives: ${JSON.stringify(res.dkim.results.map((r: { status: unknown }) => r.status))}`);
    assert.equal(res.spf && typeof res.spf === "object" ? res.spf.status.result : undefined, "pass", "SPF of the SRS address (our domain) passes");
    assert.ok(res.arc, "an ARC set");
    assert.equal(res.arc.status.result, "pass", JSON.stringify(res.arc.status));
    assert.match(fwd.raw, /^ARC-Seal: i=1;.* d=e2e\.test;/m);
    assert.ok(original.length > 0);
  };

  it("redirects with Sieve: SRS envelope, the author's DKIM signature intact, sealed by us", async () => {
    const tag = uniqueId("redirect");
    const original = await signed("someone@remote.example", "bob@e2e.test", tag);
    const replies = sendFromOutside({ from: "someone@remote.example", to: ["bob@e2e.test"], data: original.replace(/\r\n$/, "") });
    assert.match(replies[replies.length - 2], /^250 /, replies.join("\n"));
    await expectForwarded("bobs-phone@remote.example", tag, original);
  });

  it("forwards an alias to an outside address the same way", async () => {
    const tag = uniqueId("alias");
    const original = await signed("someone@remote.example", "fwd@e2e.test", tag);
    const replies = sendFromOutside({ from: "someone@remote.example", to: ["fwd@e2e.test"], data: original.replace(/\r\n$/, "") });
    assert.match(replies[replies.length - 2], /^250 /, replies.join("\n"));
    await expectForwarded("friend@remote.example", tag, original);
  });
});

describe("learning spam from the Junk folder", () => {
  const learned = (): number => {
    const stat = JSON.parse(inContainer("dovecot", ["curl", "-s", "--fail", "--config", "/config/rspamd-controller.curlrc", "http://rspamd:11334/stat"])) as { learned: number };
    return stat.learned;
  };
  const body = (tag: string) =>
    `From: promo@remote.example\r\nTo: carol@other.test\r\nMessage-ID: ${tag}\r\nSubject: unique offer ${tag}\r\n\r\n` +
    `Dear customer ${tag}, our exclusive weekend sale of garden furniture, ceramic plant pots, solar lamps and ` +
    `hammocks starts now with discounts on every item in the catalogue, free delivery and a bonus voucher ${tag}.\r\n`;

  it("does not learn from a message the user uploads into Junk (APPEND)", async () => {
    const before = learned();
    const imap = await imapLogin("carol@other.test");
    try {
      await imap.append("Junk", body(uniqueId("upload")));
    } finally {
      await imap.logout();
    }
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(learned(), before);
  });

  it("learns spam from a message the user moves into Junk (COPY)", async () => {
    const before = learned();
    const tag = uniqueId("moved");
    const imap = await imapLogin("carol@other.test");
    try {
      const res = await imap.append("INBOX", body(tag));
      assert.ok(res && res.uid);
      const lock = await imap.getMailboxLock("INBOX");
      try {
        await imap.messageMove(String(res.uid), "Junk", { uid: true });
      } finally {
        lock.release();
      }
    } finally {
      await imap.logout();
    }
    const end = Date.now() + 20_000;
    while (learned() === before && Date.now() < end) await new Promise((r) => setTimeout(r, 500));
    assert.equal(learned(), before + 1);
  });
});

describe("quota warnings", () => {
  it("mails the user once the mailbox is over 80 % of its quota (tiny@e2e.test: 40 KiB)", async () => {
    // Prepare: an empty mailbox (earlier runs leave mail in it).
    inContainer("dovecot", ["doveadm", "expunge", "-u", "tiny@e2e.test", "mailbox", "*", "all"]);
    // Three messages of about 11.5 KiB as stored (headers our servers add included): 29 %, 57 %,
    // then 86 %, over the 80 % mark.
    const filler = "x".repeat(76) + "\r\n";
    for (let i = 0; i < 3; i++) {
      const replies = sendFromOutside({ from: "someone@remote.example", to: ["tiny@e2e.test"], data: `From: someone@remote.example\nMessage-ID: ${uniqueId(`fill${i}`)}\nSubject: part ${i}\n\n${filler.repeat(100)}` });
      assert.match(replies[replies.length - 2], /^250 /, replies.join("\n"));
    }
    const warnings = await findMessages("tiny@e2e.test", "INBOX", "subject", "Your mailbox is 80 % full", 30_000);
    assert.equal(warnings.length, 1, "one warning for crossing 80 %");
    assert.match(warnings[0], /^From: Postmaster <postmaster@e2e\.test>/m);
  });
});
