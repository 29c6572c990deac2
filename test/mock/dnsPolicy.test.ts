// DNS the mail policy needs, under the mock engine with the providers' read-back: a DKIM rotation
// publishes the new key beside the old one and lets Rspamd sign with it only after its record
// exists, keeps the old key and record while dkimPrevious lists them and drops them after; the
// mail host's TLSA record; DNSSEC for a zone with its DS record as an output, with no plan on the
// next run while Cloudflare reports "pending".
import assert from "node:assert/strict";
import { beforeAll, describe, it } from "@jest/globals";
import { evaluate, key, priorState, type Evaluation, type RegisteredResource } from "./harness/types";
import { prodConfig, request } from "./fixtures";

const ok = (ev: Evaluation) => {
  assert.ok(ev.ok, ev.error);
  return ev;
};
const find = (ev: Evaluation, k: string): RegisteredResource | undefined => ev.resources.find((x) => key(x) === k);
const one = (ev: Evaluation, k: string) => {
  const r = find(ev, k);
  assert.ok(r, `no ${k}`);
  return r;
};
const RECORD = "cloudflare:index/dnsRecord:DnsRecord::dns-";
const KEY = "tls:index/privateKey:PrivateKey::dkim-";
const PUSH_RSPAMD = "command:remote:Command::push-config-rspamd";

describe("DKIM rotation with overlap", () => {
  let before: Evaluation;
  let during: Evaluation;
  beforeAll(() => {
    before = ok(evaluate(request(prodConfig())));
    const rotated = { ...prodConfig(), dkimSelector: "mail2027", dkimPrevious: [{ selector: "mail2026", until: "2027-01-31" }] };
    during = ok(evaluate(request(rotated, { prior: priorState(before) })));
  });

  it("publishes the new selector's record beside the old one and keeps the old record and key as they are", () => {
    for (const d of ["example.com", "example.org"]) {
      assert.equal(one(during, `${RECORD}${d}-dkim-mail2027`).plan.op, "create");
      assert.equal(one(during, `${RECORD}${d}-dkim-mail2026`).plan.op, "same", `${d}: the old record stays untouched`);
      assert.equal(one(during, `${KEY}mail2026-${d}`).plan.op, "same", `${d}: the old key is kept`);
      assert.equal(one(during, `${KEY}mail2027-${d}`).plan.op, "create");
      assert.equal(one(during, `${RECORD}${d}-dkim-mail2027`).inputs.name, `mail2027._domainkey.${d}`);
    }
  });

  it("pushes Rspamd's new signing selector only after the new records exist", () => {
    const deps = one(during, PUSH_RSPAMD).options.dependencies;
    for (const d of ["example.com", "example.org"]) assert.ok(deps.includes(`dns-${d}-dkim-mail2027`), `push-config-rspamd waits for dns-${d}-dkim-mail2027`);
    assert.equal(one(during, PUSH_RSPAMD).plan.op, "replace", "Rspamd's files change: it now signs with mail2027");
  });

  it("removes the old record and key once the entry is taken out after its day", () => {
    const after = ok(evaluate(request({ ...prodConfig(), dkimSelector: "mail2027" }, { prior: priorState(during) })));
    for (const d of ["example.com", "example.org"]) {
      assert.equal(find(after, `${RECORD}${d}-dkim-mail2026`), undefined);
      assert.equal(find(after, `${KEY}mail2026-${d}`), undefined);
      assert.equal(one(after, `${RECORD}${d}-dkim-mail2027`).plan.op, "same");
    }
    assert.equal(one(after, PUSH_RSPAMD).plan.op, "same", "Rspamd was already signing with mail2027");
  });
});

describe("the mail host's DANE record and DNSSEC", () => {
  let ev: Evaluation;
  beforeAll(() => {
    ev = ok(evaluate(request(prodConfig())));
  });

  it("publishes TLSA 2 1 1 for ISRG Root X1 at _25._tcp of the mail host", () => {
    const tlsa = one(ev, `${RECORD}mail.example.com-tlsa-1`);
    assert.equal(tlsa.inputs.type, "TLSA");
    assert.equal(tlsa.inputs.name, "_25._tcp.mail.example.com");
    assert.deepEqual(tlsa.inputs.data, { usage: 2, selector: 1, matchingType: 1, certificate: "0b9fa5a59eed715c26c1020c711b4f6ec42d58b0015e14337a39dad301c5afc3" });
    assert.equal(tlsa.inputs.proxied, false);
  });

  it("signs the zone that asks for it, once, and outputs its DS record for the registrar", () => {
    const dnssec = ev.resources.filter((r) => r.type === "cloudflare:index/zoneDnssec:ZoneDnssec");
    assert.deepEqual(dnssec.map((r) => r.name), ["dnssec-example.com"], "example.com says dnssec: true, example.org does not");
    assert.equal(dnssec[0].inputs.zoneId, "0123456789abcdef0123456789abcdef");
    assert.equal(dnssec[0].inputs.status, "active");
    assert.deepEqual(dnssec[0].options.ignoreChanges, ["status"]);
    const ds = ev.outputs.dnssecDsRecords.value as Record<string, string>;
    assert.deepEqual(Object.keys(ds), ["example.com"]);
    assert.equal(ds["example.com"], dnssec[0].state.ds);
  });

  it("plans nothing on the next run while Cloudflare reports the zone's DNSSEC as pending", () => {
    const next = ok(evaluate(request(prodConfig(), { prior: priorState(ev) })));
    const z = one(next, "cloudflare:index/zoneDnssec:ZoneDnssec::dnssec-example.com");
    assert.equal(z.state.status, "pending");
    assert.equal(z.plan.op, "same");
  });
});
