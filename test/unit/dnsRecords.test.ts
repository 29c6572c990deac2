// The DNS records a customer's domains get, checked the way a receiver or a DNS server reads them:
// TXT strings reassembled, the DKIM key parsed back into a public key, the zone file loaded by
// BIND's own checker.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "@jest/globals";
import { parseMailConfig, type MailConfig, type RawMailConfig } from "../../components/core/config/config";
import { dkimTxtContent, dnsRecords, type DnsRecord } from "../../components/core/dns/dnsRecords";
import { zoneFile } from "../../components/core/dns/zoneFile";

const raw: RawMailConfig = {
  hostname: "mail.example.com",
  acmeEmail: "postmaster@example.com",
  dkimSelector: "s2026",
  ssh: { adminKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0u3Lk2Y0y1p0cM9xq3Yb2oQ1u2Jw4H2b6w0y8Zk9mP ops@example"], allowFrom: ["203.0.113.0/24"] },
  domains: [
    { name: "example.com", zoneId: "0123456789abcdef0123456789abcdef", dmarc: { policy: "quarantine", reportTo: "dmarc@example.com" } },
    {
      name: "example.org",
      zoneId: "fedcba9876543210fedcba9876543210",
      dmarc: { policy: "reject", reportTo: "dmarc@example.com" },
      mtaSts: { mode: "enforce" },
    },
  ],
  mailboxes: [{ address: "alice@example.com", aliases: ["postmaster@example.com", "dmarc@example.com"] }],
  aliases: [{ from: "postmaster@example.org", to: ["alice@example.com"] }],
};

const pems = new Map<string, string>();
function publicKeyPem(domain: string): string {
  if (!pems.has(domain)) {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    pems.set(domain, publicKey.export({ type: "spki", format: "pem" }).toString());
  }
  return pems.get(domain)!;
}

function records(cfg: MailConfig): DnsRecord<string>[] {
  return dnsRecords(cfg, { ipv4: "192.0.2.10", ipv6: "2001:db8::1", dkimTxt: (d) => dkimTxtContent(publicKeyPem(d)) });
}

/** What a resolver hands the application: the quoted strings concatenated. */
function txtValue(content: string): string {
  const parts = [...content.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
  for (const p of parts) assert.ok(Buffer.byteLength(p) <= 255, `TXT string longer than 255 bytes: ${p.length}`);
  return parts.join("");
}

/** The TXT value of a record, as a resolver returns it. */
function txt(r: DnsRecord<string> | undefined): string {
  assert.ok(r !== undefined && r.type === "TXT", `expected a TXT record, got ${JSON.stringify(r)}`);
  return txtValue(r.content);
}

const cfg = parseMailConfig(raw, { hasRelayPassword: false });
const all = records(cfg);
const find = (name: string, type: string) => all.filter((r) => r.name === name && r.type === type);

describe("DNS records for each mail domain", () => {
  it("points MX at the mail host, which has A and AAAA", () => {
    for (const d of ["example.com", "example.org"]) {
      const mx = find(d, "MX");
      assert.equal(mx.length, 1);
      assert.equal(mx[0].type === "MX" && mx[0].content, "mail.example.com");
    }
    const [a] = find("mail.example.com", "A");
    assert.equal(a.type === "A" && a.content, "192.0.2.10");
    assert.equal(find("mail.example.com", "AAAA").length, 1);
  });

  it("publishes an SPF record that allows the MX and fails everything else", () => {
    const spf = find("example.org", "TXT").map(txt);
    assert.deepEqual(spf, ["v=spf1 mx -all"]);
  });

  it("adds the relay provider's SPF include when a relay is configured", () => {
    const withRelay = parseMailConfig(
      { ...raw, relay: { host: "smtp.relay.example", username: "u", spfInclude: "spf.relay.example" } },
      { hasRelayPassword: true },
    );
    const spf = records(withRelay).find((r) => r.key === "example.com-spf")!;
    assert.equal(txt(spf), "v=spf1 mx include:spf.relay.example -all");
  });

  it("publishes the DKIM key at <selector>._domainkey, split into strings a resolver reassembles", () => {
    const dkim = find("s2026._domainkey.example.org", "TXT");
    assert.equal(dkim.length, 1);
    assert.ok(dkim[0].type === "TXT" && dkim[0].content.split('" "').length >= 2, "a 2048-bit key needs more than one string");
    const value = txt(dkim[0]);
    const p = /(?:^|;\s*)p=([A-Za-z0-9+/=]+)/.exec(value)?.[1];
    assert.ok(p, value);
    const key = createPublicKey({ key: Buffer.from(p, "base64"), format: "der", type: "spki" });
    assert.equal(key.export({ type: "spki", format: "pem" }).toString(), publicKeyPem("example.org"));
  });

  it("publishes DMARC with the configured policy and report address", () => {
    const dmarc = find("_dmarc.example.org", "TXT");
    assert.match(txt(dmarc[0]), /^v=DMARC1; p=reject; rua=mailto:dmarc@example\.com/);
  });

  it("authorises the report domain to receive another domain's DMARC reports", () => {
    assert.equal(find("example.org._report._dmarc.example.com", "TXT").length, 1);
    assert.equal(find("example.com._report._dmarc.example.com", "TXT").length, 0);
  });

  it("never writes two records of one type at one name that would conflict", () => {
    const keys = all.map((r) => r.key);
    assert.equal(new Set(keys).size, keys.length);
    for (const r of all.filter((x) => x.type === "TXT")) {
      const prefix = txt(r).split(";")[0].split(" ")[0];
      assert.equal(all.filter((x) => x.name === r.name && x.type === "TXT" && txt(x).startsWith(prefix)).length, 1, `${r.name} ${prefix}`);
    }
  });
});

describe("MTA-STS, TLS-RPT, autoconfig and CAA", () => {
  it("changes the MTA-STS id only when the policy changes", () => {
    const id = (c: MailConfig, d: string) => txt(records(c).find((r) => r.key === `${d}-mta-sts`));
    const before = id(cfg, "example.com");
    assert.match(before, /^v=STSv1; id=[A-Za-z0-9]{1,32}$/);
    const moreMailboxes = parseMailConfig({ ...raw, mailboxes: [...raw.mailboxes!, { address: "bob@example.com" }] }, { hasRelayPassword: false });
    assert.equal(id(moreMailboxes, "example.com"), before);
    const enforcing = parseMailConfig(
      { ...raw, domains: raw.domains.map((d) => ({ ...d, mtaSts: { mode: "enforce" as const } })) },
      { hasRelayPassword: false },
    );
    assert.notEqual(id(enforcing, "example.com"), before);
    assert.equal(id(enforcing, "example.org"), id(cfg, "example.org"));
  });

  it("publishes the TLS-RPT address and RFC 6186 SRV records pointing at the mail host", () => {
    assert.match(txt(find("_smtp._tls.example.com", "TXT")[0]), /^v=TLSRPTv1; rua=mailto:dmarc@example\.com$/);
    const srv = (n: string) => find(n, "SRV")[0] as { data: { port: number; target: string } };
    assert.deepEqual([srv("_submissions._tcp.example.com").data.port, srv("_submissions._tcp.example.com").data.target], [465, "mail.example.com"]);
    assert.equal(srv("_submission._tcp.example.com").data.port, 587);
    assert.equal(srv("_imaps._tcp.example.com").data.port, 993);
    assert.equal(srv("_imap._tcp.example.com").data.port, 143);
    assert.equal(srv("_pop3._tcp.example.com").data.target, ".");
  });

  it("lets only the ACME CA issue for every name that gets a certificate", () => {
    for (const n of ["mail.example.com", "mta-sts.example.com", "autoconfig.example.org", "autodiscover.example.org"]) {
      const caa = find(n, "CAA");
      assert.equal(caa.length, 1, n);
      assert.deepEqual((caa[0] as { data: unknown }).data, { flags: 0, tag: "issue", value: "letsencrypt.org" });
      assert.equal(find(n, "A").length, 1, `${n} needs an address for its certificate challenge`);
    }
  });
});

describe("the BIND zone file", () => {
  it("loads in BIND's named-checkzone for every zone", () => {
    const dir = mkdtempSync(join(tmpdir(), "zone-"));
    const text = zoneFile(all);
    for (const zone of ["example.com", "example.org"]) {
      const block = text.split("$ORIGIN ").find((b) => b.startsWith(`${zone}.`))!;
      const file = join(dir, `${zone}.zone`);
      writeFileSync(
        file,
        `$ORIGIN ${block}\n@ 3600 IN SOA ns1.${zone}. hostmaster.${zone}. 1 3600 600 86400 300\n@ 3600 IN NS ns1.${zone}.\nns1 3600 IN A 192.0.2.53\n`,
      );
      const out = execFileSync("named-checkzone", ["-i", "local", zone, file], { encoding: "utf8" });
      assert.match(out, /OK/);
    }
  });
});
