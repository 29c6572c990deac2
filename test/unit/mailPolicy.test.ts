// The mail-policy parts of the pure core that the live tests cannot reach on the local stack: the
// DANE record for the mail host (its hash is that of the root our chain ends with, recomputed from
// the system's CA store), DKIM rotation in the config and the records (both selectors published
// during the overlap, dates checked, expired entries found), DNSSEC per zone, and the resolver's
// configuration for production (full recursion with the root trust anchor, open to the service
// network only) and for the local stack (local data only, everything else refused).
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "@jest/globals";
import { ConfigError, parseMailConfig, type RawMailConfig } from "../../components/core/config/config";
import { containerSpecs } from "../../components/core/containers/containerSpecs";
import { imagePlans } from "../../components/core/containers/images";
import { expiredDkimKeys } from "../../components/core/dns/dkimRotation";
import { DANE_TRUST_ANCHORS, dnsRecords } from "../../components/core/dns/dnsRecords";
import { zoneFile } from "../../components/core/dns/zoneFile";
import { renderServiceFiles } from "../../components/core/render/render";
import { localTopology, productionTopology, resolverAddress } from "../../components/core/topology";
import { main as dkimTool } from "../../tools/dkim";
import { devSecrets } from "../../tools/dev/renderDev";

const raw: RawMailConfig = {
  hostname: "mail.example.com",
  acmeEmail: "postmaster@example.com",
  dkimSelector: "mail2027",
  ssh: { adminKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0u3Lk2Y0y1p0cM9xq3Yb2oQ1u2Jw4H2b6w0y8Zk9mP ops@example"], allowFrom: ["203.0.113.0/24"] },
  domains: [
    { name: "example.com", zoneId: "0123456789abcdef0123456789abcdef", dmarc: { policy: "reject", reportTo: "postmaster@example.com" }, dnssec: true },
    { name: "example.org", zoneId: "fedcba9876543210fedcba9876543210", dmarc: { policy: "none", reportTo: "postmaster@example.com" } },
  ],
  mailboxes: [{ address: "alice@example.com", aliases: ["postmaster@example.com", "postmaster@example.org"] }],
};
const parse = (r: RawMailConfig) => parseMailConfig(r, { hasRelayPassword: false });
const problems = (r: RawMailConfig): string[] => {
  try {
    parse(r);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};
const records = (r: RawMailConfig) => dnsRecords(parse(r), { ipv4: "192.0.2.10", ipv6: "2001:db8::1", dkimTxt: (d, s) => `"key of ${d} for ${s}"` });

describe("inbound DANE", () => {
  it("publishes TLSA 2 1 1 with the SHA-256 of ISRG Root X1's public key, as the system CA store has it", () => {
    const [ta] = DANE_TRUST_ANCHORS;
    const spki = new X509Certificate(readFileSync(ta.file)).publicKey.export({ type: "spki", format: "der" });
    const tlsa = records(raw).filter((r) => r.type === "TLSA");
    assert.deepEqual(
      tlsa.map((r) => [r.name, r.type === "TLSA" ? r.data : undefined]),
      [["_25._tcp.mail.example.com", { usage: 2, selector: 1, matchingType: 1, certificate: createHash("sha256").update(spki).digest("hex") }]],
    );
    assert.match(zoneFile(records(raw)), /^_25\._tcp\.mail\s+3600 IN TLSA\s+2 1 1 0b9fa5a59eed715c26c1020c711b4f6ec42d58b0015e14337a39dad301c5afc3$/m);
  });

  it("has Postfix present that root at the end of its chain in production only (the local stack's CA is pebble)", () => {
    const cfg = parse(raw);
    const main = (topo: typeof productionTopology) => renderServiceFiles(cfg, devSecrets(cfg), topo).find((f) => f.service === "postfix" && f.path === "main.cf")!.content;
    assert.match(main(productionTopology), /^smtpd_tls_chain_files = \S+privkey\.pem, \S+fullchain\.pem, \/etc\/ssl\/certs\/ISRG_Root_X1\.pem$/m);
    assert.match(main(localTopology("/tmp/x")), /^smtpd_tls_chain_files = \S+privkey\.pem, \S+fullchain\.pem$/m);
  });
});

describe("DKIM rotation with overlap", () => {
  const rotating: RawMailConfig = { ...raw, dkimPrevious: [{ selector: "mail2026", until: "2027-01-31" }] };

  it("publishes the signing selector's record and each earlier one's, one per domain and selector", () => {
    const dkim = records(rotating).filter((r) => r.name.includes("._domainkey."));
    assert.deepEqual(dkim.map((r) => [r.key, r.name, r.type === "TXT" ? r.content : ""]).sort(), [
      ["example.com-dkim-mail2026", "mail2026._domainkey.example.com", '"key of example.com for mail2026"'],
      ["example.com-dkim-mail2027", "mail2027._domainkey.example.com", '"key of example.com for mail2027"'],
      ["example.org-dkim-mail2026", "mail2026._domainkey.example.org", '"key of example.org for mail2026"'],
      ["example.org-dkim-mail2027", "mail2027._domainkey.example.org", '"key of example.org for mail2027"'],
    ]);
  });

  it("signs with the current selector only", () => {
    const cfg = parse(rotating);
    const dkim = renderServiceFiles(cfg, devSecrets(cfg), productionTopology).find((f) => f.path === "local.d/dkim_signing.conf")!.content;
    assert.match(dkim, /selector = "mail2027"/);
    assert.doesNotMatch(dkim, /mail2026/);
  });

  it("refuses the current selector as an earlier one, a selector listed twice and a day that is not a date", () => {
    assert.deepEqual(problems({ ...raw, dkimPrevious: [{ selector: "mail2027", until: "2027-01-31" }] }), [
      'mailstack:dkimPrevious[0].selector: "mail2027" is the current dkimSelector; list only selectors that signed before it',
    ]);
    assert.match(problems({ ...raw, dkimPrevious: [{ selector: "a", until: "2027-01-31" }, { selector: "a", until: "2027-02-01" }] }).join("\n"), /dkimPrevious\[1\]\.selector: "a" is listed twice/);
    assert.match(problems({ ...raw, dkimPrevious: [{ selector: "a", until: "31.01.2027" }] }).join("\n"), /dkimPrevious\[0\]\.until: .*"YYYY-MM-DD"/);
  });

  it("finds the entries whose day has passed, for the operator or a scheduled job", () => {
    const cfg = parse({ ...raw, dkimPrevious: [{ selector: "old", until: "2027-01-31" }, { selector: "older", until: "2026-12-31" }] });
    assert.deepEqual(expiredDkimKeys(cfg, "2027-01-31").map((k) => k.selector), ["older"], "kept through its last day");
    assert.deepEqual(expiredDkimKeys(cfg, "2027-02-01").map((k) => k.selector), ["old", "older"]);
    const lines: string[] = [];
    assert.equal(dkimTool(["expired", "--stack", "prod", "--today", "2030-01-01"], (l) => lines.push(l)), 0, "the example customer keeps no earlier selector");
    assert.match(lines[0], /no earlier DKIM selector is due/);
  });
});

describe("DNSSEC per zone", () => {
  it("refuses two domains of one zone that disagree", () => {
    const sameZone: RawMailConfig = {
      ...raw,
      domains: [
        { name: "example.com", zoneId: "0123456789abcdef0123456789abcdef", dmarc: { policy: "reject", reportTo: "postmaster@example.com" }, dnssec: true },
        { name: "sub.example.com", zone: "example.com", zoneId: "0123456789abcdef0123456789abcdef", dmarc: { policy: "none", reportTo: "postmaster@example.com" } },
      ],
      mailboxes: [{ address: "alice@example.com", aliases: ["postmaster@example.com", "postmaster@sub.example.com"] }],
    };
    assert.deepEqual(problems(sameZone), [
      "mailstack:domains[0].dnssec: zone example.com also holds sub.example.com, which says dnssec: false; DNSSEC is per zone, set the same on both",
    ]);
  });
});

describe("the stack's resolver", () => {
  const cfg = parse(raw);
  const conf = (topo: typeof productionTopology) => renderServiceFiles(cfg, devSecrets(cfg), topo).find((f) => f.service === "unbound" && f.path === "unbound.conf")!.content;

  it("in production: recursion from the root with the root trust anchor, answering the mail network only", () => {
    const c = conf(productionTopology);
    assert.match(c, /^\s*auto-trust-anchor-file: "\/var\/lib\/unbound\/root\.key"$/m);
    assert.match(c, /^\s*access-control: 0\.0\.0\.0\/0 refuse$/m);
    assert.match(c, /^\s*access-control: 172\.30\.25\.0\/24 allow$/m);
    assert.match(c, /^\s*harden-dnssec-stripped: yes$/m);
    assert.doesNotMatch(c, /local-zone: "\." refuse/);
    assert.doesNotMatch(c, /local-data:/);
    assert.equal(resolverAddress(productionTopology), "172.30.25.53");
  });

  it("on the local stack: the stack's own records and the outside test domain, everything else refused", () => {
    const c = conf(localTopology("/tmp/x", { instance: 4 }));
    assert.match(c, /^\s*local-zone: "\." refuse$/m);
    assert.match(c, /^\s*local-data: '_dmarc\.example\.com\. 3600 IN TXT "v=DMARC1; p=reject; .*'$/m);
    assert.match(c, /^\s*local-data: 'remote\.example\. 300 IN TXT "v=spf1 ip4:198\.18\.74\.0\/24 -all"'$/m);
    assert.match(c, /^\s*local-data: '2\.74\.18\.198\.in-addr\.arpa\. 300 IN PTR mta1\.remote\.example\.'$/m);
    assert.doesNotMatch(c, /auto-trust-anchor-file/);
  });

  it("is Postfix's resolver (with trust-ad) and Rspamd's nameserver", () => {
    const specs = containerSpecs(cfg, productionTopology, imagePlans(productionTopology));
    assert.deepEqual(specs.find((s) => s.service === "postfix")?.dns, { servers: ["172.30.25.53"], options: ["trust-ad"], search: [] });
    assert.deepEqual(specs.find((s) => s.service === "unbound")?.networks, [{ name: "mailstack", aliases: ["unbound"], ipv4Address: "172.30.25.53" }]);
    const files = renderServiceFiles(cfg, devSecrets(cfg), productionTopology);
    assert.match(files.find((f) => f.path === "local.d/options.inc")!.content, /nameserver = \["172\.30\.25\.53:53"\];/);
  });
});

describe("Postfix's internal submission port (no AUTH)", () => {
  const cfg = parse(raw);
  it("admits only the mailsubmit network, which Dovecot and Postfix alone join", () => {
    for (const topo of [productionTopology, localTopology("/tmp/x", { instance: 3 })]) {
      const specs = containerSpecs(cfg, topo, imagePlans(topo));
      const onIt = specs.filter((s) => s.networks.some((n) => n.name === topo.networks.mailsubmit.name)).map((s) => s.service);
      assert.deepEqual(onIt.sort(), ["dovecot", "postfix"]);
      // Dovecot dials a name Postfix has on mailsubmit alone, so it arrives over that network.
      const postfixOn = specs.find((s) => s.service === "postfix")!.networks;
      assert.deepEqual(postfixOn.filter((n) => n.aliases.includes(topo.internal.internalSubmission.host)).map((n) => n.name), [topo.networks.mailsubmit.name]);
      const dovecotConf = renderServiceFiles(cfg, devSecrets(cfg), topo).find((f) => f.service === "dovecot" && f.path === "dovecot.conf")!.content;
      assert.match(dovecotConf, new RegExp(`submission_host = ${topo.internal.internalSubmission.host}:588`));
      const master = renderServiceFiles(cfg, devSecrets(cfg), topo).find((f) => f.service === "postfix" && f.path === "master.cf")!.content;
      const internal = /^588\s+inet[\s\S]*?(?=^\S)/m.exec(master)?.[0] ?? "";
      assert.match(internal, new RegExp(`-o mynetworks=${topo.networks.mailsubmit.ipv4Subnet.replace(/\./g, "\\.")}\\n`));
      // No other network of the stack (the webmail's, the mail network Rspamd shares) is admitted.
      for (const n of ["mail", "mailaccess", "maildb", "web", "webmail"] as const) assert.doesNotMatch(internal, new RegExp(topo.networks[n].ipv4Subnet.replace(/\./g, "\\.")), n);
    }
  });
});
