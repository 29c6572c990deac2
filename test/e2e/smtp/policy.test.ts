// The mail policy at SMTP time, as senders on the internet and logged-in users meet it (issue 11):
// SMTP smuggling and unauthorised pipelining refused, our own domains not usable as a sender by
// anyone who has not logged in (envelope at RCPT, header From at the end of DATA), the sender
// domain's DMARC policy enforced (reject -> 5xx, quarantine -> Junk), unknown sender domains
// deferred, and on submission: the header From must be the login's envelope sender, no null
// sender, and the user's client address, HELO and program never leave the server. DNS answers come
// from the stack's own resolver, with records this file adds under the test zone (example.).
// Clients connect from the outside namespace, so the stack sees them as internet hosts.
import assert from "node:assert/strict";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { authenticate } from "mailauth";
import { codes, ep, findMessages, inContainer, outsideDialog, publishTestDns, sendFromOutside, startSink, submitFromOutside, testResolver, uniqueId, unpublishTestDns } from "../helpers/policy";

const OUTSIDE = ep.remote.sources;

describe("SMTP smuggling and pipelining", () => {
  it("refuses a message whose DATA ends in a bare LF, so no second message can be smuggled after it", async () => {
    const tag = uniqueId("smuggle");
    const replies = outsideDialog(ep.smtp, [
      "EHLO mx.remote.example\r\n",
      "MAIL FROM:<someone@remote.example>\r\n",
      "RCPT TO:<alice@e2e.test>\r\n",
      "DATA\r\n",
      // "<LF>.<CR><LF>" ends DATA for a lenient server; the commands after it are a second message.
      {
        write: `Subject: first\r\nMessage-ID: ${tag}\r\n\r\nhello\n.\r\nMAIL FROM:<ceo@e2e.test>\r\nRCPT TO:<alice@e2e.test>\r\nDATA\r\nSubject: smuggled\r\nMessage-ID: ${tag}\r\n\r\nwire the money\r\n.\r\n`,
        replies: 1,
      },
      "QUIT\r\n",
    ]);
    assert.equal(codes(replies)[5], 550, replies.join("\n"));
    assert.match(replies[5], /bare <LF>/);
    assert.deepEqual(await findMessages("alice@e2e.test", "INBOX", "message-id", tag, 5000), [], "neither message was delivered");
  });

  it("disconnects a client that sends commands before it may (pipelining after HELO)", () => {
    const replies = outsideDialog(ep.smtp, [{ write: "HELO mx.remote.example\r\nMAIL FROM:<someone@remote.example>\r\n", replies: 2 }]);
    assert.equal(codes(replies)[1], 554, replies.join("\n"));
    assert.match(replies[1], /synchronization/);
  });
});

describe("postscreen on port 25", () => {
  // Outside sources 3 and 4 are this block's: postscreen remembers the clients it has seen.
  const LISTED = 3;
  const IMPATIENT = 4;
  afterAll(() => unpublishTestDns([`${OUTSIDE[LISTED].split(".").reverse().join(".")}.dnsbl.example.`]));

  it("refuses a client that talks before the greeting (550 for every recipient)", () => {
    const replies = outsideDialog(ep.smtp, ["MAIL FROM:<someone@remote.example>\r\n", "RCPT TO:<alice@e2e.test>\r\n", "QUIT\r\n"], IMPATIENT, "EHLO mta5.remote.example\r\n");
    const rcpt = replies.find((r) => /^5\d\d /.test(r));
    assert.ok(rcpt, replies.join("\n"));
    assert.match(rcpt, /^550 5\.5\.1 Protocol error/);
  });

  it("refuses a client listed on a DNSBL (score 3) and lets an unlisted one through, each seen at its own address", async () => {
    // Prepare: postscreen remembers a client that passed (an hour for DNSBLs), and other files
    // send from this address too; forget them all so the listing counts now.
    inContainer("postfix", ["sh", "-c", "rm -f /var/lib/postfix/postscreen_cache.db && postfix reload >/dev/null"]);
    await new Promise((r) => setTimeout(r, 2000));
    publishTestDns([`${OUTSIDE[LISTED].split(".").reverse().join(".")}.dnsbl.example. 300 IN A 127.0.0.2`]);
    const listed = sendFromOutside({ from: "someone@remote.example", to: ["alice@e2e.test"], data: "Subject: from a listed host\n\nhi", source: LISTED });
    const rcpt = listed.find((r) => /^5\d\d /.test(r));
    assert.ok(rcpt, listed.join("\n"));
    assert.match(rcpt, new RegExp(`^550 5\\.7\\.1 Service unavailable; client \\[${OUTSIDE[LISTED].replace(/\./g, "\\.")}\\] blocked using dnsbl\\.example`));
    const clean = sendFromOutside({ from: "someone@remote.example", to: ["alice@e2e.test"], data: `Message-ID: ${uniqueId("unlisted")}\nSubject: from a clean host\n\nhi`, source: 0 });
    assert.match(clean[clean.length - 2], /^250 /, clean.join("\n"));
  });
});

describe("our own domains as senders from the internet", () => {
  it("refuses an envelope sender in our domain from a client that did not log in (550 at RCPT)", () => {
    const replies = sendFromOutside({ from: "ceo@e2e.test", to: ["alice@e2e.test"], data: "Subject: forged\n\nhi" });
    const rcpt = replies.find((r) => r.includes("Sender address rejected"));
    assert.ok(rcpt, replies.join("\n"));
    assert.match(rcpt, /^550 5\.7\.1 /);
  });

  it("refuses a header From in our domain (5xx at the end of DATA), whatever the envelope", async () => {
    const tag = uniqueId("hdrspoof");
    const replies = sendFromOutside({ from: "someone@remote.example", to: ["alice@e2e.test"], data: `From: The CEO <ceo@other.test>\nMessage-ID: ${tag}\nSubject: urgent\n\npay this` });
    const end = replies[replies.length - 2];
    assert.match(end, /^554 5\.7\.1 .*domains must come from this server/, replies.join("\n"));
    assert.deepEqual(await findMessages("alice@e2e.test", "INBOX", "message-id", tag, 3000), []);
  });

  it("delivers genuine outside mail (SPF of remote.example passes) to the INBOX", async () => {
    const tag = uniqueId("genuine");
    const replies = sendFromOutside({ from: "someone@remote.example", to: ["alice@e2e.test"], data: `From: someone@remote.example\nMessage-ID: ${tag}\nSubject: hello\n\nhello Alice` });
    assert.match(replies[replies.length - 2], /^250 /, replies.join("\n"));
    const [msg] = await findMessages("alice@e2e.test", "INBOX", "message-id", tag);
    assert.ok(msg, "delivered");
    assert.match(msg, /spf=pass/);
  });

  it("defers mail from a sender domain that does not exist (450)", () => {
    const replies = sendFromOutside({ from: "someone@nowhere.example", to: ["alice@e2e.test"], data: "Subject: x\n\nx" });
    assert.ok(replies.some((r) => /^450 4\.1\.8 .*Domain not found/.test(r)), replies.join("\n"));
  });
});

describe("the sender domain's DMARC policy", () => {
  // Domains whose mail comes from another host: mail from the outside namespace fails their SPF.
  const sendsElsewhere = (domain: string, spfAll: string, policy: string) => [
    `${domain}. 300 IN MX 10 mx.${domain}.`,
    `mx.${domain}. 300 IN A 192.0.2.1`,
    `${domain}. 300 IN TXT "v=spf1 ip4:192.0.2.1 ${spfAll}"`,
    `_dmarc.${domain}. 300 IN TXT "v=DMARC1; p=${policy}"`,
  ];
  beforeAll(() => {
    // The quarantine domain soft-fails SPF (~all), so DMARC alone decides where its mail goes.
    publishTestDns([...sendsElsewhere("strict-bank.example", "-all", "reject"), ...sendsElsewhere("careful-shop.example", "~all", "quarantine")]);
  });
  afterAll(() => {
    unpublishTestDns(["strict-bank.example.", "mx.strict-bank.example.", "_dmarc.strict-bank.example.", "careful-shop.example.", "mx.careful-shop.example.", "_dmarc.careful-shop.example."]);
  });

  it("refuses mail that fails DMARC for a p=reject domain (5xx at the end of DATA)", async () => {
    const tag = uniqueId("dmarc-reject");
    const replies = sendFromOutside({ from: "alerts@strict-bank.example", to: ["alice@e2e.test"], data: `From: alerts@strict-bank.example\nMessage-ID: ${tag}\nSubject: verify your account\n\nclick` });
    assert.match(replies[replies.length - 2], /^5\d\d /, replies.join("\n"));
    assert.deepEqual(await findMessages("alice@e2e.test", "INBOX", "message-id", tag, 3000), []);
  });

  it("files mail that fails DMARC for a p=quarantine domain into Junk", async () => {
    const tag = uniqueId("dmarc-quarantine");
    const replies = sendFromOutside({ from: "news@careful-shop.example", to: ["alice@e2e.test"], data: `From: news@careful-shop.example\nMessage-ID: ${tag}\nSubject: offer\n\nbuy` });
    assert.match(replies[replies.length - 2], /^250 /, replies.join("\n"));
    const [junk] = await findMessages("alice@e2e.test", "Junk", "message-id", tag);
    assert.ok(junk, "the message is in Junk");
    assert.match(junk, /^X-Spam: Yes/m);
    assert.deepEqual(await findMessages("alice@e2e.test", "INBOX", "message-id", tag, 1000), []);
  });
});

describe("submission by a logged-in user", () => {
  let sink: Awaited<ReturnType<typeof startSink>>;
  beforeAll(async () => {
    sink = await startSink();
  });
  afterAll(async () => {
    await sink.close();
  });

  it("refuses a header From that is not the login's envelope sender, even one of our own addresses", () => {
    const replies = submitFromOutside("alice@e2e.test", { from: "alice@e2e.test", to: ["friend@remote.example"], data: "From: bob@e2e.test\nTo: friend@remote.example\nSubject: as bob\n\nhi" });
    assert.match(replies[replies.length - 2], /^554 5\.7\.1 .*From header must be your sending address/, replies.join("\n"));
  });

  it("refuses the null sender on 587", () => {
    const replies = submitFromOutside("alice@e2e.test", { from: "", to: ["friend@remote.example"], data: "From: carol@other.test\nSubject: x\n\nx" });
    assert.ok(replies.some((r) => /^553 5\.7\.1 <>: Sender address rejected/.test(r)), replies.join("\n"));
  });

  it("sends the user's own mail signed, without the client's address, HELO or program in any header", async () => {
    const tag = uniqueId("clean");
    const replies = submitFromOutside("alice@e2e.test", {
      from: "alice@e2e.test",
      to: ["friend@remote.example"],
      helo: "alices-laptop.home.example",
      data: `From: Alice <alice@e2e.test>\nTo: friend@remote.example\nMessage-ID: ${tag}\nUser-Agent: SecretClient/1.0\nX-Mailer: SecretMailer 2\nSubject: clean\n\nhello`,
      source: 2,
    });
    assert.match(replies[replies.length - 2], /^250 /, replies.join("\n"));
    const msg = await sink.waitFor((m) => m.raw.includes(tag));
    const headers = msg.raw.split("\r\n\r\n")[0];
    for (const leak of [OUTSIDE[2], "alices-laptop", "SecretClient", "SecretMailer"]) assert.ok(!headers.includes(leak), `${leak} leaks:\n${headers}`);
    assert.match(headers, /^Received: by mail\.e2e\.test \(Postfix\) with ESMTPSA id /m, "our own hop is still recorded");
    const res = await authenticate(msg.raw, { ip: "127.0.0.1", helo: ep.mailHost, sender: msg.from, mta: "mx.remote.example", resolver: testResolver() as never });
    const dkim = res.dkim.results.find((r: { signingDomain?: string }) => r.signingDomain === "e2e.test");
    assert.equal(dkim?.status.result, "pass", JSON.stringify(res.dkim.results.map((r: { status: unknown }) => r.status)));
  });
});
