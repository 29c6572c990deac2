// No secret reaches a resource input or a stack output unmarked. Every mocked secret (keys,
// passwords, hashes, the relay password) carries a marker, so the check finds a secret even
// inside a rendered file or a script; the probe proves the check itself can fail.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluate, unmarkedSecrets } from "./harness/types";
import { prodConfig, request } from "./fixtures";

describe("secrets", () => {
  it("stay marked secret in every resource input and stack output", () => {
    const ev = evaluate(request(prodConfig()));
    assert.ok(ev.ok, ev.error);
    assert.deepEqual(unmarkedSecrets(ev), []);
    // The check has something to find: secrets do flow into inputs, marked.
    const marked = ev.resources.filter((r) => r.secretInputs.length > 0).map((r) => r.name);
    assert.ok(marked.includes("mailbox-sync") && marked.includes("postgres") && marked.includes("mail-host"), marked.join(", "));
  });

  it("are caught when a copy is deliberately unmarked", () => {
    const ev = evaluate(request(prodConfig(), { leakProbe: true }));
    assert.ok(ev.ok, ev.error);
    assert.deepEqual(unmarkedSecrets(ev), ["command:remote:Command leak-probe: create"]);
  });
});
