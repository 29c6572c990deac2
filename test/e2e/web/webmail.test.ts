// Webmail as a user meets it: in a real browser over HTTPS, Alice logs in to Roundcube, reads a
// message Bob sent her a moment ago, and replies; the reply arrives in Bob's INBOX and sits in
// Alice's Sent folder. Every hop is real: submission, Rspamd, LMTP, Dovecot, PHP-FPM, Caddy.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConnectionOptions, TlsOptions } from "node:tls";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { ImapFlow } from "imapflow";
import { createTransport } from "nodemailer";
import { chromium, type BrowserContext } from "playwright-core";
import { bringUpLocalStack, LOOPBACK, REMOTE_CLIENT, type LocalStack } from "./tlsStack";

const ALICE = "alice@e2e.test";
const BOB = "bob@e2e.test";

let stack: LocalStack;
let browser: BrowserContext;
const shots = mkdtempSync(join(tmpdir(), "mailstack-webmail-"));

beforeAll(async () => {
  stack = bringUpLocalStack();
  // A fresh profile each run. The browser trusts no local CA: the certificate chain itself is
  // checked by tls.test.ts, so certificate errors are ignored here.
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "mailstack-chromium-")), {
    executablePath: "/usr/bin/chromium",
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // The mail host name points at loopback for this browser only.
      `--host-resolver-rules=MAP ${stack.cfg.hostname} ${LOOPBACK}`,
    ],
  });
});
afterAll(async () => {
  await browser?.close();
});

function imap(address: string): ImapFlow {
  // ImapFlow types `tls` as server options but passes it to tls.connect, which reads servername.
  const tls: TlsOptions & ConnectionOptions = { servername: stack.cfg.hostname, ca: stack.ca };
  return new ImapFlow({
    host: LOOPBACK,
    port: stack.topo.ports.imaps,
    secure: true,
    tls,
    auth: { user: address, pass: stack.password(address) },
    logger: false,
  });
}

/** Waits until a message with this subject is in the folder; returns its plain body. */
async function waitForMessage(address: string, folder: string, subject: string, timeoutMs = 30_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const client = imap(address);
    await client.connect();
    try {
      const lock = await client.getMailboxLock(folder);
      try {
        const uids = await client.search({ subject }, { uid: true });
        if (uids && uids.length > 0) {
          const msg = await client.fetchOne(String(uids[uids.length - 1]), { source: true }, { uid: true });
          if (msg && msg.source) return msg.source.toString("utf8");
        }
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
    assert.ok(Date.now() < until, `no message "${subject}" in ${address} ${folder} after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("Roundcube over HTTPS", () => {
  it("Alice logs in, reads Bob's message and her reply reaches Bob", async () => {
    const tag = randomBytes(4).toString("hex");
    const subject = `Lunch on Friday ${tag}`;
    const body = `Shall we meet at noon? (${tag})`;

    // Bob sends from another machine (127.0.0.2) through submission with STARTTLS.
    const smtp = createTransport({
      host: LOOPBACK,
      port: stack.topo.ports.submission,
      secure: false,
      requireTLS: true,
      localAddress: REMOTE_CLIENT,
      tls: { servername: stack.cfg.hostname, ca: stack.ca },
      auth: { user: BOB, pass: stack.password(BOB) },
    });
    await smtp.sendMail({ from: BOB, to: ALICE, subject, text: body });
    await waitForMessage(ALICE, "INBOX", subject);

    const page = await browser.newPage();
    const base = `https://${stack.cfg.hostname}:${stack.topo.ports.https}/`;
    await page.goto(base);
    await page.fill("#rcmloginuser", ALICE);
    await page.fill("#rcmloginpwd", stack.password(ALICE));
    await page.click("#rcmloginsubmit");

    const row = page.locator("#messagelist tr", { hasText: subject });
    await row.waitFor({ timeout: 20_000 });
    await row.click();
    const preview = page.frameLocator("#messagecontframe");
    await preview.getByText(body).waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(shots, "1-message.png") });

    await page.locator('a.reply[title="Reply to sender"]').click();
    const reply = `Noon works for me. (${tag}, from webmail)`;
    await page.locator("#composebody").waitFor({ timeout: 20_000 });
    await page.locator("#composebody").press("Control+Home");
    await page.locator("#composebody").pressSequentially(`${reply}\n`);
    await page.screenshot({ path: join(shots, "2-reply.png") });
    await page.locator("button.send").click();
    await page.locator("#messagelist").waitFor({ timeout: 20_000 });

    const arrived = await waitForMessage(BOB, "INBOX", `Re: ${subject}`);
    assert.match(arrived, new RegExp(`^From: .*${ALICE.replace(".", "\\.")}`, "mi"));
    assert.ok(arrived.includes(reply), "the reply text did not arrive");
    const sent = await waitForMessage(ALICE, "Sent", `Re: ${subject}`);
    assert.ok(sent.includes(reply), "the reply is not in Alice's Sent folder");
    console.log(`screenshots in ${shots}`);
  });
});
