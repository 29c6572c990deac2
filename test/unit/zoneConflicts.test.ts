// The pure conflict rules for an existing zone, and the config check on `adopt` entries.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { ConfigError, parseMailConfig, type RawMailConfig } from "../../components/core/config/config";
import { plannedRecordsOf, txtTag, zoneConflicts, type ExistingRecord } from "../../components/core/dns/zoneConflicts";

const ZONE = "0123456789abcdef0123456789abcdef";
const raw = (): RawMailConfig => ({
  hostname: "mail.example.com",
  acmeEmail: "postmaster@example.com",
  ssh: { adminKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0u3Lk2Y0y1p0cM9xq3Yb2oQ1u2Jw4H2b6w0y8Zk9mP ops"], allowFrom: ["203.0.113.0/24"] },
  domains: [{ name: "example.com", zoneId: ZONE, dmarc: { policy: "none", reportTo: "postmaster@example.com" } }],
  mailboxes: [{ address: "alice@example.com", aliases: ["postmaster@example.com"] }],
});
const cfg = parseMailConfig(raw(), { hasRelayPassword: false });
const planned = plannedRecordsOf(cfg);
const rec = (name: string, type: string, content: string, comment: string | null = null, id = "a".repeat(32)): ExistingRecord => ({ id, zoneId: ZONE, name, type, content, comment });
const conflictsOf = (...e: ExistingRecord[]) => zoneConflicts(planned, e, new Map()).conflicts.map((c) => `${c.existing.name} ${c.existing.type}: ${c.why}`);

describe("zone conflicts", () => {
  it("reads the version tag of quoted, split or plain TXT content", () => {
    assert.equal(txtTag('"v=spf1 mx " "-all"'), "spf1");
    assert.equal(txtTag("v=DMARC1; p=none"), "dmarc1");
    assert.equal(txtTag('"google-site-verification=x"'), undefined);
  });

  it("a second SPF, DMARC or DKIM record conflicts; other TXT records at the same name do not", () => {
    assert.match(conflictsOf(rec("example.com", "TXT", '"v=spf1 include:x ~all"')).join(), /second SPF record/);
    assert.match(conflictsOf(rec("_dmarc.example.com", "TXT", "v=DMARC1; p=reject")).join(), /two DMARC records/);
    assert.match(conflictsOf(rec("mail._domainkey.example.com", "TXT", "v=DKIM1; p=old")).join(), /DKIM key/);
    assert.deepEqual(conflictsOf(rec("example.com", "TXT", '"google-site-verification=x"'), rec("www.example.com", "CNAME", "example.com")), []);
  });

  it("an MX, an A at the mail host, a CNAME at autoconfig or an identical CAA conflicts; a CAA for another CA does not", () => {
    assert.equal(conflictsOf(rec("example.com", "MX", "mx.old.example"), rec("mail.example.com", "A", "198.51.100.1"), rec("autoconfig.example.com", "CNAME", "x.example")).length, 3);
    assert.match(conflictsOf(rec("mta-sts.example.com", "CNAME", "x")).join(), /CNAME cannot share its name/);
    assert.equal(conflictsOf(rec("mail.example.com", "CAA", '0 issue "letsencrypt.org"')).length, 1);
    assert.deepEqual(conflictsOf(rec("mail.example.com", "CAA", '0 issue "sectigo.com"')), []);
  });

  it("records with the stack's own comment, and adopted ones, are not conflicts", () => {
    const mx = planned.find((p) => p.type === "MX")!;
    assert.deepEqual(conflictsOf(rec("example.com", "MX", "mail.example.com", mx.comment)), []);
    const adopted = zoneConflicts(planned, [rec("example.com", "MX", "old", null, "b".repeat(32))], new Map([["example.com MX", "b".repeat(32)]]));
    assert.deepEqual(adopted, { conflicts: [], missingAdoptions: [] });
  });
});

describe("adopt entries in the config", () => {
  it("must name a record the stack writes, as '<name> <type>' with a record id", () => {
    const ok = raw();
    ok.domains![0].adopt = { "Example.com mx": "b".repeat(32), "_dmarc.example.com TXT": "c".repeat(32) };
    assert.deepEqual(parseMailConfig(ok, { hasRelayPassword: false }).domains[0].adopt, { "example.com MX": "b".repeat(32), "_dmarc.example.com TXT": "c".repeat(32) });
    const bad = raw();
    bad.domains![0].adopt = { "www.example.com A": "b".repeat(32) };
    assert.throws(() => parseMailConfig(bad, { hasRelayPassword: false }), (e: unknown) =>
      e instanceof ConfigError && /^mailstack:domains\[0\]\.adopt\["www\.example\.com A"\]: the stack writes no record "www\.example\.com A"; it writes .*"example\.com MX"/.test(e.problems[0]));
    bad.domains![0].adopt = { "example.com": "nothex" };
    assert.throws(() => parseMailConfig(bad, { hasRelayPassword: false }), /adopt\["example\.com"\]: found the text "nothex"; must be the 32-character hex Cloudflare record id/);
  });

  it("cutover false holds back MX, SPF and the MTA-STS id", () => {
    const moving = raw();
    moving.domains![0].cutover = false;
    const kinds = plannedRecordsOf(parseMailConfig(moving, { hasRelayPassword: false })).map((p) => `${p.name} ${p.type}`);
    for (const held of ["example.com MX", "example.com TXT", "_mta-sts.example.com TXT"]) assert.ok(!kinds.includes(held), held);
    assert.ok(kinds.includes("_dmarc.example.com TXT"));
  });
});
