// No secret reaches a resource input or a stack output unmarked. Every mocked secret (keys,
// passwords, hashes, the relay password) carries a marker, so the check finds a secret even
// inside a rendered file or a script, including base64-encoded file contents in push scripts;
// the probes prove the check itself can fail, in plain text and in base64.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { pushScript } from "../../components/core/remote/pushScript";
import { base64Markers, evaluate, holdsMarker, MOCK_SECRET_MARKER, unmarkedSecrets } from "./harness/types";
import { prodConfig, request } from "./fixtures";

describe("secrets", () => {
  it("stay marked secret in every resource input and stack output", () => {
    const ev = evaluate(request(prodConfig()));
    assert.ok(ev.ok, ev.error);
    assert.deepEqual(unmarkedSecrets(ev), []);
    // The check has something to find: secrets do flow into inputs, marked.
    const marked = ev.resources.filter((r) => r.secretInputs.length > 0).map((r) => r.name);
    assert.ok(marked.includes("mailbox-sync") && marked.includes("push-config-postgres") && marked.includes("mail-host"), marked.join(", "));
  });

  it("are caught when a copy is deliberately unmarked, in plain text or base64 inside a push script", () => {
    const ev = evaluate(request(prodConfig(), { leakProbe: true }));
    assert.ok(ev.ok, ev.error);
    const probe = ev.resources.find((r) => r.name === "leak-probe-push");
    // The push probe really is the base64 case: the marker never appears literally in it.
    assert.ok(probe !== undefined && !String(probe.inputs.stdin).includes(MOCK_SECRET_MARKER));
    assert.deepEqual(unmarkedSecrets(ev), ["command:remote:Command leak-probe: create", "command:remote:Command leak-probe-push: stdin"]);
  });

  it("are found in base64 at every byte alignment and across wrapped lines", () => {
    assert.equal(base64Markers().length, 3);
    for (let pad = 0; pad < 6; pad++) {
      const content = `${"x".repeat(pad + 60)}${MOCK_SECRET_MARKER}-value\n`;
      const script = pushScript("dovecot", [{ service: "dovecot", path: "f.conf", content, mode: 0o640, secret: true }], { uid: 0, gid: 0 }, { dir: "/tmp/x" });
      assert.ok(!script.includes(MOCK_SECRET_MARKER), `pad ${pad}: encoded`);
      assert.ok(holdsMarker(script), `pad ${pad}: found in base64`);
    }
    assert.equal(holdsMarker(pushScript("dovecot", [{ service: "dovecot", path: "f.conf", content: "nothing secret\n", mode: 0o644, secret: false }], { uid: 0, gid: 0 }, { dir: "/tmp/x" })), false);
  });
});
