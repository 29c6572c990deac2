// `pulumi preview` must be exact: the same config gives identical inputs, reordering the stack
// file changes nothing, and a change touches only what it is about (adding a mailbox touches no
// container, server or DNS record; one domain's DMARC policy changes one DNS record; a new admin
// key rewrites authorized_keys and nothing else).
import assert from "node:assert/strict";
import { beforeAll, describe, it } from "@jest/globals";
import { evaluate, key, type Evaluation, type RegisteredResource } from "./harness/types";
import { prodConfig, request } from "./fixtures";

/** What the engine diffs: inputs listed in ignoreChanges never show as a change. */
function diffed(r: RegisteredResource): string {
  const inputs = Object.fromEntries(Object.entries(r.inputs).filter(([k]) => !r.options.ignoreChanges.includes(k)));
  return JSON.stringify([inputs, r.secretInputs, r.options]);
}

/** Resource keys that were added, removed or whose inputs changed between two evaluations. */
function changes(a: Evaluation, b: Evaluation): string[] {
  assert.ok(a.ok, a.error);
  assert.ok(b.ok, b.error);
  const before = new Map(a.resources.map((r) => [key(r), diffed(r)]));
  const after = new Map(b.resources.map((r) => [key(r), diffed(r)]));
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
}

let base: Evaluation;

describe("stable previews", () => {
  beforeAll(() => {
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

  it("rewrites only root's authorized_keys, never the server, when an admin key is added", () => {
    const cfg = prodConfig();
    const added = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBob0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b bob@ops-laptop";
    (cfg.ssh as { adminKeys: string[] }).adminKeys.push(added);
    const next = evaluate(request(cfg));
    assert.deepEqual(changes(base, next), ["command:remote:Command::authorized-keys"]);
    const keys = next.resources.find((r) => r.name === "authorized-keys");
    assert.match(String(keys?.inputs.stdin), new RegExp(`\n${added}\n`));
    // Admin keys are not in the user data at all: a rebuilt server (which boots with the first
    // deploy's user data) never brings back a key revoked since.
    const server = (ev: Evaluation) => ev.resources.find((r) => r.type === "hcloud:index/server:Server")!;
    assert.equal(server(next).inputs.userData, server(base).inputs.userData);
    assert.doesNotMatch(String(server(next).inputs.userData), /bob@ops-laptop/);
  });
});
