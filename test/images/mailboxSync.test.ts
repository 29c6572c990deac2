// The mailbox sync SQL run for real in our PostgreSQL image (the PostgreSQL 17 that deploys) with the
// schema the server uses: the rows an operator expects, twice without change, and who owns a
// password: a later sync never overwrites one a user set, and an operator's reset does; and the one
// way a user sets it (Roundcube's password plugin, as role mailpassword): mailstack_set_password().
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { parseMailConfig, type MailConfig } from "../../components/core/config/config";
import { FILES_DIR } from "../../components/core/paths";
import { mailboxSyncSql } from "../../components/core/remote/mailboxSync";
import bcrypt from "bcryptjs";
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

describe("mailbox sync against PostgreSQL", () => {
  let pg: TestPostgres;
  const schema = readFileSync(join(FILES_DIR, "postgres", "schema.sql"), "utf8");
  const sync = (c: MailConfig, h: Record<string, string>) => pg.psql(mailboxSyncSql(c, h), "mail");
  const passwordOf = async (address: string) => (await pg.psql(`SELECT password FROM mailboxes WHERE address = '${address}';`, "mail")).trim();
  /** What Roundcube's password plugin does: it writes the password column and nothing else. */
  const userSets = (address: string, hash: string) => pg.psql(`UPDATE mailboxes SET password = '${hash}' WHERE address = '${address}';`, "mail");

  beforeAll(async () => {
    pg = await startPostgres();
    await pg.psql("CREATE ROLE mailserver LOGIN; CREATE ROLE mailpassword LOGIN; CREATE DATABASE mail;");
    await pg.psql(schema, "mail");
  });
  afterAll(async () => pg?.stop());

  it("writes every mailbox with its generated password, twice without change", async () => {
    await sync(cfg, hashes);
    const rows = () => pg.psql("SELECT address, password, active FROM mailboxes ORDER BY address;", "mail");
    const first = await rows();
    assert.equal(first, ["alice", "bob", "old"].map((u) => `${u}@example.com|${HASH}|${u === "old" ? "f" : "t"}`).join("\n") + "\n");
    await sync(cfg, hashes);
    assert.equal(await rows(), first);
  });

  it("keeps a password the user changed when the generated one did not change", async () => {
    await sync(cfg, hashes);
    await userSets("alice@example.com", hashOf("u"));
    await sync(cfg, hashes);
    assert.equal(await passwordOf("alice@example.com"), hashOf("u"));
    // The quota and name still follow the config.
    const bigger = parseMailConfig({ ...base, mailboxes: base.mailboxes.map((m) => (m.address === "alice@example.com" ? { ...m, quota: "5G" } : m)) }, { hasRelayPassword: false });
    await sync(bigger, hashes);
    assert.equal((await pg.psql("SELECT quota_bytes FROM mailboxes WHERE address = 'alice@example.com';", "mail")).trim(), String(5 * 1024 ** 3));
    assert.equal(await passwordOf("alice@example.com"), hashOf("u"));
  });

  it("an operator's reset (a new generated password) replaces the user's, and only that mailbox's", async () => {
    await sync(cfg, hashes);
    await userSets("alice@example.com", hashOf("u"));
    await userSets("bob@example.com", hashOf("v"));
    await sync(cfg, { ...hashes, "alice@example.com": hashOf("r") });
    assert.equal(await passwordOf("alice@example.com"), hashOf("r"));
    assert.equal(await passwordOf("bob@example.com"), hashOf("v"));
    // And the user may change it again afterwards; the next sync keeps that.
    await userSets("alice@example.com", hashOf("w"));
    await sync(cfg, { ...hashes, "alice@example.com": hashOf("r") });
    assert.equal(await passwordOf("alice@example.com"), hashOf("w"));
  });

  it("adopts a database written by the sync before the column existed", async () => {
    await pg.psql("DROP DATABASE IF EXISTS legacy; CREATE DATABASE legacy;");
    await pg.psql(schema, "legacy");
    await pg.psql(`INSERT INTO domains VALUES ('example.com', true); INSERT INTO mailboxes (address, domain, name, password, quota_bytes, active) VALUES ('alice@example.com', 'example.com', 'alice', '${HASH}', 1, true);`, "legacy");
    await pg.psql(mailboxSyncSql(cfg, hashes), "legacy");
    assert.equal((await pg.psql("SELECT password = pulumi_password FROM mailboxes WHERE address = 'alice@example.com';", "legacy")).trim(), "t");
  });

  describe("mailstack_set_password, the webmail's only way in", () => {
    const asWebmail = (sql: string) => pg.psql(`SET ROLE mailpassword; ${sql}`, "mail");
    const setPassword = async (address: string, current: string, next: string) =>
      (await asWebmail(`SELECT mailstack_set_password('${address}', '${current}', '${next}');`)).trim();

    it("changes the password given the current one, for every bcrypt flavour we store, and the next sync keeps it", async () => {
      for (const prefix of ["$2a$", "$2b$", "$2y$"]) {
        const current = bcrypt.hashSync("current password", 10).replace(/^\$2.\$/, prefix);
        await sync(cfg, hashes);
        await pg.psql(`UPDATE mailboxes SET password = '${current}', pulumi_password = '${current}' WHERE address = 'bob@example.com';`, "mail");
        const next = bcrypt.hashSync("a new password", 10).replace(/^\$2b\$/, "$2y$");
        assert.equal(await setPassword("Bob@Example.com", "current password", next), "t", prefix);
        assert.equal(await passwordOf("bob@example.com"), next);
        await sync(cfg, { ...hashes, "bob@example.com": current });
        assert.equal(await passwordOf("bob@example.com"), next, "a later pulumi up keeps the user's password");
      }
    });

    it("refuses a wrong current password and a disabled mailbox, changing nothing", async () => {
      await sync(cfg, hashes);
      const known = bcrypt.hashSync("right", 10);
      await pg.psql(`UPDATE mailboxes SET password = '${known}' WHERE address IN ('alice@example.com', 'old@example.com');`, "mail");
      const next = bcrypt.hashSync("new one", 10);
      assert.equal(await setPassword("alice@example.com", "wrong", next), "f");
      assert.equal(await passwordOf("alice@example.com"), known);
      assert.equal(await setPassword("old@example.com", "right", next), "f", "old@ is disabled");
      assert.equal(await setPassword("nobody@example.com", "right", next), "f");
    });

    it("stores only a bcrypt hash", async () => {
      await assert.rejects(setPassword("alice@example.com", "right", "plain text"), /not bcrypt/);
    });

    it("is all role mailpassword can do: no reading hashes, no writing rows", async () => {
      await assert.rejects(asWebmail("SELECT password FROM mailboxes;"), /permission denied/);
      await assert.rejects(asWebmail("UPDATE mailboxes SET active = true;"), /permission denied/);
      await assert.rejects(asWebmail("SELECT * FROM aliases;"), /permission denied/);
    });
  });
});
