// An existing domain under the mock engine: the program reads each zone (the mocked getDnsRecords
// invoke) before writing records, refuses conflicting ones with the list and both ways forward,
// imports the records the config adopts, and ignores the records it created itself.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { evaluate, type EvaluateRequest, type Evaluation } from "./harness/types";
import { prodConfig, request } from "./fixtures";

const ZONE_COM = "0123456789abcdef0123456789abcdef";
const id = (n: number) => n.toString(16).padStart(32, "0");
type Existing = NonNullable<EvaluateRequest["existingDnsRecords"]>[number];
const rec = (n: number, name: string, type: string, content: string, comment: string | null = null): Existing => ({ id: id(n), zoneId: ZONE_COM, name, type, content, comment });

const oldProvider = [
  rec(1, "example.com", "TXT", '"v=spf1 include:_spf.oldmail.example ~all"'),
  rec(2, "example.com", "MX", "mx1.oldmail.example"),
  rec(3, "autoconfig.example.com", "CNAME", "autoconfig.oldmail.example"),
  rec(4, "example.com", "TXT", '"google-site-verification=abc"'),
  rec(5, "www.example.com", "A", "198.51.100.80"),
];

const dnsOf = (ev: Evaluation) => ev.resources.filter((r) => r.type === "cloudflare:index/dnsRecord:DnsRecord");

describe("records already in the zone", () => {
  it("refuse the deploy with every conflicting record, why, and the adopt entries to write", () => {
    const ev = evaluate(request(prodConfig(), { existingDnsRecords: oldProvider }));
    assert.equal(ev.ok, false);
    const err = ev.error ?? "";
    assert.match(err, /example\.com TXT "\\"v=spf1 include:_spf\.oldmail\.example ~all\\"" \(id 0+1\): a second SPF record makes SPF fail/);
    assert.match(err, /example\.com MX "mx1\.oldmail\.example" \(id 0+2\): a second MX/);
    assert.match(err, /autoconfig\.example\.com CNAME .*\(id 0+3\): a CNAME cannot share its name/);
    assert.doesNotMatch(err, /google-site-verification|www\.example\.com/, "unrelated records are no conflict");
    assert.match(err, /1\. remove them in Cloudflare/);
    assert.match(err, /"example\.com TXT": 0+1\n.*"example\.com MX": 0+2/s);
    assert.doesNotMatch(err, /"autoconfig\.example\.com CNAME"/, "a CNAME cannot be adopted");
    assert.equal(dnsOf(ev).length, 0, "no record is written");
  });

  it("import the adopted records (zone id / record id) and write the rest as usual", () => {
    const cfg = prodConfig();
    cfg.domains.find((d) => d.name === "example.com")!.adopt = { "example.com TXT": id(1), "example.com MX": id(2) };
    const ev = evaluate(request(cfg, { existingDnsRecords: oldProvider.filter((r) => r.type !== "CNAME") }));
    assert.ok(ev.ok, ev.error);
    const imported = dnsOf(ev).filter((r) => r.options.importId !== "").map((r) => [r.name, r.options.importId]);
    assert.deepEqual(imported.sort(), [
      ["dns-example.com-mx", `${ZONE_COM}/${id(2)}`],
      ["dns-example.com-spf", `${ZONE_COM}/${id(1)}`],
    ]);
    // Imported, then updated in place to the stack's content.
    assert.equal(dnsOf(ev).find((r) => r.name === "dns-example.com-mx")?.inputs.content, "mail.example.com");
  });

  it("an adopt entry whose record is not in the zone is named", () => {
    const cfg = prodConfig();
    cfg.domains.find((d) => d.name === "example.com")!.adopt = { "example.com MX": id(99) };
    const ev = evaluate(request(cfg, { existingDnsRecords: [rec(2, "example.com", "MX", "mx1.oldmail.example")] }));
    assert.equal(ev.ok, false);
    assert.match(ev.error ?? "", /adopt "example\.com MX": no record with id 0+63 in the zone; the zone has 0+2 there/);
  });

  it("records the stack wrote on an earlier deploy are its own, not conflicts", () => {
    const first = evaluate(request(prodConfig()));
    assert.ok(first.ok, first.error);
    const ours = dnsOf(first).map((r, i): Existing => ({
      id: id(1000 + i),
      zoneId: String(r.inputs.zoneId),
      name: String(r.inputs.name),
      type: String(r.inputs.type),
      content: String(r.inputs.content ?? ""),
      comment: String(r.inputs.comment),
    }));
    const again = evaluate(request(prodConfig(), { existingDnsRecords: ours }));
    assert.ok(again.ok, again.error);
    assert.equal(dnsOf(again).length, dnsOf(first).length);
  });

  it("a domain before its cutover keeps the old MX and SPF: none of ours, no conflict", () => {
    const cfg = prodConfig();
    cfg.domains.find((d) => d.name === "example.com")!.cutover = false;
    const ev = evaluate(request(cfg, { existingDnsRecords: oldProvider.filter((r) => r.type !== "CNAME") }));
    assert.ok(ev.ok, ev.error);
    const names = dnsOf(ev).map((r) => r.name);
    for (const held of ["dns-example.com-mx", "dns-example.com-spf", "dns-example.com-mta-sts"]) assert.ok(!names.includes(held), held);
    assert.ok(names.includes("dns-example.com-dkim-mail2026") && names.includes("dns-example.org-mx"));
  });
});
