// The mailbox sync SQL: what an operator would notice in the generated text (removed mailboxes are
// disabled, never deleted; sender ownership follows the config; hostile strings stay inside their
// literal), and, run for real against a throwaway PostgreSQL with the schema the server uses, who
// owns a password: a later sync never overwrites one a user set, and an operator's reset does.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { parseMailConfig, type MailConfig } from "../../components/core/config/config";
import { FILES_DIR } from "../../components/core/paths";
import { mailboxSyncSql, senderLogins } from "../../components/core/remote/mailboxSync";
import { startPostgres, type TestPostgres } from "./postgresFixture";

const HASH = "$2a$10$" + "a".repeat(53);
const hashOf = (c: string) => "$2a$10$" + c.repeat(53);
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

describe("mailbox sync against PostgreSQL", () => {
  let pg: TestPostgres;
  const schema = readFileSync(join(FILES_DIR, "postgres", "schema.sql"), "utf8");
  const sync = (c: MailConfig, h: Record<string, string>) => pg.psql(mailboxSyncSql(c, h), "mail");
  const passwordOf = (address: string) => pg.psql(`SELECT password FROM mailboxes WHERE address = '${address}';`, "mail").trim();
  /** What Roundcube's password plugin does: it writes the password column and nothing else. */
  const userSets = (address: string, hash: string) => pg.psql(`UPDATE mailboxes SET password = '${hash}' WHERE address = '${address}';`, "mail");

  beforeAll(async () => {
    pg = await startPostgres();
    pg.psql("CREATE ROLE mailserver LOGIN; CREATE DATABASE mail;");
    pg.psql(schema, "mail");
  });
  afterAll(async () => pg?.stop());

  it("writes every mailbox with its generated password, twice without change", () => {
    sync(cfg, hashes);
    const rows = () => pg.psql("SELECT address, password, active FROM mailboxes ORDER BY address;", "mail");
    const first = rows();
    assert.equal(first, ["alice", "bob", "old"].map((u) => `${u}@example.com|${HASH}|${u === "old" ? "f" : "t"}`).join("\n") + "\n");
    sync(cfg, hashes);
    assert.equal(rows(), first);
  });

  it("keeps a password the user changed when the generated one did not change", () => {
    sync(cfg, hashes);
    userSets("alice@example.com", hashOf("u"));
    sync(cfg, hashes);
    assert.equal(passwordOf("alice@example.com"), hashOf("u"));
    // The quota and name still follow the config.
    const bigger = parseMailConfig({ ...base, mailboxes: base.mailboxes.map((m) => (m.address === "alice@example.com" ? { ...m, quota: "5G" } : m)) }, { hasRelayPassword: false });
    sync(bigger, hashes);
    assert.equal(pg.psql("SELECT quota_bytes FROM mailboxes WHERE address = 'alice@example.com';", "mail").trim(), String(5 * 1024 ** 3));
    assert.equal(passwordOf("alice@example.com"), hashOf("u"));
  });

  it("an operator's reset (a new generated password) replaces the user's, and only that mailbox's", () => {
    sync(cfg, hashes);
    userSets("alice@example.com", hashOf("u"));
    userSets("bob@example.com", hashOf("v"));
    sync(cfg, { ...hashes, "alice@example.com": hashOf("r") });
    assert.equal(passwordOf("alice@example.com"), hashOf("r"));
    assert.equal(passwordOf("bob@example.com"), hashOf("v"));
    // And the user may change it again afterwards; the next sync keeps that.
    userSets("alice@example.com", hashOf("w"));
    sync(cfg, { ...hashes, "alice@example.com": hashOf("r") });
    assert.equal(passwordOf("alice@example.com"), hashOf("w"));
  });

  it("adopts a database written by the sync before the column existed", () => {
    pg.psql("DROP DATABASE IF EXISTS legacy; CREATE DATABASE legacy;");
    pg.psql(schema, "legacy");
    pg.psql(`INSERT INTO domains VALUES ('example.com', true); INSERT INTO mailboxes (address, domain, name, password, quota_bytes, active) VALUES ('alice@example.com', 'example.com', 'alice', '${HASH}', 1, true);`, "legacy");
    pg.psql(mailboxSyncSql(cfg, hashes), "legacy");
    assert.equal(pg.psql("SELECT password = pulumi_password FROM mailboxes WHERE address = 'alice@example.com';", "legacy").trim(), "t");
  });
});
