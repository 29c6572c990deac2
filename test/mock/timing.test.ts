// The harness's timing answer, which `npm run bench` reports as eval_seconds_* and resources_*:
// seconds (not milliseconds) for the program's evaluation, the count of registered resources,
// and which stack-trace mode was measured. Without `timing` the answer carries none of it.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { evaluate } from "./harness/types";
import { prodConfig, request } from "./fixtures";

describe("harness timing", () => {
  it("reports evaluation seconds and the resource count only when asked", () => {
    const timed = evaluate(request(prodConfig(), { timing: true }));
    assert.ok(timed.ok, timed.error);
    const t = timed.timing;
    assert.ok(t, "timing requested");
    assert.equal(t.resourceCount, timed.resources.length);
    assert.equal(t.mailboxes, 5);
    assert.equal(t.sourceMaps, false);
    // A real evaluation takes a fraction of a second to a few seconds: a value in milliseconds
    // (hundreds or more) or zero would be a unit or clock bug.
    assert.ok(t.evaluationSeconds > 0.05 && t.evaluationSeconds < 60, String(t.evaluationSeconds));
    const plain = evaluate(request(prodConfig()));
    assert.equal(plain.timing, undefined);
  });
});
