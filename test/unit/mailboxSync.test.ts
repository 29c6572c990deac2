// The mailbox sync SQL: what an operator would notice in the generated text (removed mailboxes are
// disabled, never deleted; sender ownership follows the config; hostile strings stay inside their
// literal). test/images/mailboxSync.test.ts runs it for real in our PostgreSQL image.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { parseMailConfig } from "../../components/core/config/config";
import { mailboxSyncSql, senderLogins } from "../../components/core/remote/mailboxSync";

const HASH = "$2a$10$" + "a".repeat(53);
const base = {
  hostname: "mail.example.com",
  acmeEmail: "postmaster@example.com",
  ssh: { adminKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0u3Lk2Y0y1p0cM9xq3Yb2oQ1u2Jw4H2b6w0y8Zk9mP test"], allowFrom: ["203.0.113.0/24"] },
  domains: [{ name: "example.com", zoneId: "0".repeat(32), dmarc: { policy: "reject", reportTo: "dmarc@example.com" } }],
  mailboxes: [
    { address: "alice@example.com", aliases: ["a@example.com", "postmaster@example.com"] },
    { address: "bob@example.com" },
    { address: "old@example.com", enabled: false },
  ],
  aliases: [
    { from: "team@example.com", to: ["alice@example.com", "bob@example.com"] },
    { from: "dmarc@example.com", to: ["alice@example.com"] },
    { from: "@example.com", to: ["bob@example.com"] },
  ],
};
const cfg = parseMailConfig(base, { hasRelayPassword: false });
const hashes = Object.fromEntries(cfg.mailboxes.map((m) => [m.address, HASH]));

describe("senderLogins", () => {
  it("lets a mailbox send as itself, its aliases and aliases that deliver to it, never via a catch-all", () => {
    const of = (login: string) => senderLogins(cfg).filter((l) => l.login === login).map((l) => l.sender).sort();
    assert.deepEqual(of("alice@example.com"), ["a@example.com", "alice@example.com", "dmarc@example.com", "postmaster@example.com", "team@example.com"]);
    assert.deepEqual(of("bob@example.com"), ["bob@example.com", "team@example.com"]);
    assert.deepEqual(of("old@example.com"), []);
    assert.ok(!senderLogins(cfg).some((l) => l.sender.startsWith("@")));
  });
});

describe("mailboxSyncSql", () => {
  const sql = mailboxSyncSql(cfg, hashes);

  it("runs in one transaction and never deletes a mailbox or domain", () => {
    assert.match(sql, /^BEGIN;$/m);
    assert.match(sql, /^COMMIT;$/m);
    assert.doesNotMatch(sql, /DELETE FROM mailboxes|DELETE FROM domains|DROP /i);
    assert.match(sql, /UPDATE mailboxes SET active = false WHERE address <> ALL \(ARRAY\['alice@example\.com', 'bob@example\.com', 'old@example\.com'\]::text\[\]\);/);
  });

  it("writes a disabled mailbox as inactive, with its quota in bytes", () => {
    assert.match(sql, /\('old@example\.com', 'example\.com', 'old', '\$2a\$10\$a+', '\$2a\$10\$a+', 2147483648, false\)/);
  });

  it("is the same text for the same config (idempotent, deterministic)", () => {
    assert.equal(mailboxSyncSql(cfg, hashes), sql);
  });

  it("keeps a quote in a display name inside its literal", () => {
    const hostile = parseMailConfig(
      { ...base, mailboxes: [{ address: "eve@example.com", name: "Eve'); DROP TABLE mailboxes; --", aliases: ["postmaster@example.com", "dmarc@example.com"] }], aliases: [] },
      { hasRelayPassword: false },
    );
    const out = mailboxSyncSql(hostile, { "eve@example.com": HASH });
    assert.match(out, /'Eve''\); DROP TABLE mailboxes; --'/);
  });

  it("refuses a mailbox without a BLF-CRYPT hash", () => {
    assert.throws(() => mailboxSyncSql(cfg, { ...hashes, "bob@example.com": "{PLAIN}secret" }), /bob@example\.com.*BLF-CRYPT/);
    const { ["bob@example.com"]: _drop, ...missing } = hashes;
    assert.throws(() => mailboxSyncSql(cfg, missing), /no password hash for mailbox bob@example\.com/);
  });
});
