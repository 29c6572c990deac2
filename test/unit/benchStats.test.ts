// The benchmark's pure helpers: medians over rounds, linear-growth check, option parsing and the
// table layout. No timing here; the benchmark itself measures, these only compute and format.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { parseBenchArgs } from "../../bench/args";
import { formatTable, increments, isLinear, median } from "../../bench/stats";

describe("bench helpers", () => {
  it("takes the median of odd and even counts without reordering the input", () => {
    const v = [9, 1, 5];
    assert.equal(median(v), 5);
    assert.deepEqual(v, [9, 1, 5]);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.throws(() => median([]), /no values/);
  });

  it("calls growth linear only when the per-unit increments agree", () => {
    const incs = increments([
      { x: 1, y: 85 },
      { x: 100, y: 184 },
      { x: 2000, y: 2084 },
    ]);
    assert.deepEqual(incs, [1, 1]);
    assert.equal(isLinear(incs), true);
    assert.equal(isLinear([1, 2]), false);
  });

  it("parses the options and refuses unknown or non-numeric ones", () => {
    assert.deepEqual(parseBenchArgs([]), { messages: 2000, rounds: 3, connections: 8 });
    assert.deepEqual(parseBenchArgs(["--messages", "500", "--rounds", "1"]), { messages: 500, rounds: 1, connections: 8 });
    assert.throws(() => parseBenchArgs(["--fast"]), /unknown argument/);
    assert.throws(() => parseBenchArgs(["--messages", "lots"]), /positive whole number/);
  });

  it("aligns columns, numbers to the right", () => {
    const t = formatTable([
      ["figure", "value"],
      ["inbound", "152.3"],
      ["ratio", "0.61"],
    ]);
    assert.equal(t, ["figure   value", "-------  -----", "inbound  152.3", "ratio     0.61"].join("\n"));
  });
});
