// Webmail as a user meets it: in a real browser, at the URL `npm run local -- up` prints
// (https://<mail host>.localhost:<port>/, which Chromium resolves to loopback by itself), Alice
// logs in to Roundcube, reads a message Bob sent her a moment ago, and replies; the reply arrives
// in Bob's INBOX and sits in Alice's Sent folder. Every hop is real: submission, Rspamd, LMTP,
// Dovecot, PHP-FPM, nginx.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { chromium, type BrowserContext } from "playwright-core";
import { waitForMessage } from "../helpers/imap";
import { submit } from "../helpers/smtp";
import { upLocalStack, type LocalStack } from "../helpers/stack";

const ALICE = "alice@e2e.test";
const BOB = "bob@e2e.test";

let stack: LocalStack;
let browser: BrowserContext;
const shots = mkdtempSync(join(tmpdir(), "mailstack-webmail-"));

beforeAll(async () => {
  stack = await upLocalStack();
  // A fresh profile each run. The browser trusts no local CA: the certificate chain itself is
  // checked by web/tls.test.ts, so certificate errors are ignored here.
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
    ],
  });
});
afterAll(async () => {
  await browser?.close();
});

describe("Roundcube over HTTPS", () => {
  it("Alice logs in, reads Bob's message and her reply reaches Bob", async () => {
    // Prepare: Bob's mail client (on this machine) submits with STARTTLS.
    const tag = randomBytes(4).toString("hex");
    const subject = `Lunch on Friday ${tag}`;
    const body = `Shall we meet at noon? (${tag})`;
    await submit(stack, BOB, { to: ALICE, subject, text: body });
    await waitForMessage(stack, ALICE, { subject });

    // Actual: the URL exactly as printed.
    const page = await browser.newPage();
    await page.goto(stack.ep.webmail);
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

    const arrived = await waitForMessage(stack, BOB, { subject: `Re: ${subject}` });
    assert.match(arrived, new RegExp(`^From: .*${ALICE.replace(".", "\\.")}`, "mi"));
    assert.ok(arrived.includes(reply), "the reply text did not arrive");
    const sent = await waitForMessage(stack, ALICE, { subject: `Re: ${subject}` }, { mailbox: "Sent" });
    assert.ok(sent.includes(reply), "the reply is not in Alice's Sent folder");
    console.log(`screenshots in ${shots}`);
  });
});
