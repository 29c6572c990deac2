// `pulumi preview` must be exact: the same config gives identical inputs, reordering the stack
// file changes nothing, and a change touches only what it is about (adding a mailbox touches no
// container, server or DNS record; one domain's DMARC policy changes one DNS record).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { evaluate, key, type Evaluation } from "./harness/types";
import { prodConfig, request } from "./fixtures";

/** Resource keys that were added, removed or whose inputs changed between two evaluations. */
function changes(a: Evaluation, b: Evaluation): string[] {
  assert.ok(a.ok, a.error);
  assert.ok(b.ok, b.error);
  const before = new Map(a.resources.map((r) => [key(r), JSON.stringify([r.inputs, r.secretInputs, r.options])]));
  const after = new Map(b.resources.map((r) => [key(r), JSON.stringify([r.inputs, r.secretInputs, r.options])]));
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
}

let base: Evaluation;

describe("stable previews", () => {
  before(() => {
    base = evaluate(request(prodConfig()));
    assert.ok(base.ok, base.error);
  });

  it("gives identical inputs for every resource on a second evaluation", () => {
    const again = evaluate(request(prodConfig()));
    assert.equal(again.resources.length, base.resources.length);
    assert.deepEqual(changes(base, again), []);
  });

  it("changes nothing when domains, mailboxes and aliases are listed in another order", () => {
    const cfg = prodConfig();
    cfg.domains.reverse();
    cfg.mailboxes.reverse();
    cfg.aliases.reverse();
    (cfg.ssh as { allowFrom: string[] }).allowFrom.reverse();
    assert.deepEqual(changes(base, evaluate(request(cfg))), []);
  });

  it("touches only mailbox resources when a mailbox is added", () => {
    const cfg = prodConfig();
    cfg.mailboxes.push({ address: "dave@example.org", name: "Dave" });
    const changed = changes(base, evaluate(request(cfg)));
    assert.deepEqual(changed, [
      "command:remote:Command::mailbox-sync",
      "random:index/randomPassword:RandomPassword::mailbox-password-dave@example.org",
    ]);
  });

  it("changes exactly one DNS record, and no server or container, when one domain's DMARC policy changes", () => {
    const cfg = prodConfig();
    (cfg.domains.find((d) => d.name === "example.org")!.dmarc as { policy: string }).policy = "reject";
    const changed = changes(base, evaluate(request(cfg)));
    assert.deepEqual(changed.filter((k) => k.startsWith("cloudflare:")), ["cloudflare:index/dnsRecord:DnsRecord::dns-example.org-dmarc"]);
    assert.deepEqual(changed.filter((k) => /^(hcloud|docker):/.test(k)), []);
  });
});
