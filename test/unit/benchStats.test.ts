// The benchmark's pure helpers: medians over rounds, linear-growth check, option parsing, the
// table layout, reading the runner's line about images, and the teardown that runs once on every
// way out. No timing here; the benchmark itself measures, these only compute and format.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { parseBenchArgs } from "../../bench/args";
import { imagesLine } from "../../bench/stack";
import { formatTable, increments, isLinear, median } from "../../bench/stats";
import { Teardown } from "../../bench/teardown";

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
    const defaults = { messages: 2000, rounds: 3, connections: 8, from: "loopback", cold: false };
    assert.deepEqual(parseBenchArgs([]), defaults);
    assert.deepEqual(parseBenchArgs(["--messages", "500", "--rounds", "1"]), { ...defaults, messages: 500, rounds: 1 });
    assert.deepEqual(parseBenchArgs(["--cold", "--from", "outside"]), { ...defaults, cold: true, from: "outside" });
    assert.throws(() => parseBenchArgs(["--fast"]), /unknown argument/);
    assert.throws(() => parseBenchArgs(["messages", "5"]), /unknown argument/);
    assert.throws(() => parseBenchArgs(["--messages", "lots"]), /positive whole number/);
    assert.throws(() => parseBenchArgs(["--from", "127.0.0.2"]), /loopback, outside/);
  });

  it("reads what up built from the runner's output, and nothing else of it", () => {
    const out = ["engine: Podman Engine 4.3.1 at /run/x.sock", "images: built rootfs, base, postfix (312.5s)", "  bench1@bench.test  password: s3cret"].join("\n");
    assert.deepEqual(imagesLine(out), { built: ["rootfs", "base", "postfix"], seconds: 312.5 });
    assert.deepEqual(imagesLine("images: all cached (0.7s)\n"), { built: [], seconds: 0.7 });
    assert.equal(imagesLine("local: no container engine answers"), undefined);
  });

  it("aligns columns, numbers to the right", () => {
    const t = formatTable([
      ["figure", "value"],
      ["inbound", "152.3"],
      ["ratio", "0.61"],
    ]);
    assert.equal(t, ["figure   value", "-------  -----", "inbound  152.3", "ratio     0.61"].join("\n"));
  });

  it("tears down once, helpers in reverse order, and stops the stack even when a helper fails", async () => {
    const done: string[] = [];
    const logged: string[] = [];
    const t = new Teardown(async () => {
      done.push("stack");
    }, (l) => logged.push(l));
    t.add("first", async () => {
      done.push("first");
    });
    t.add("second", async () => {
      throw new Error("already gone");
    });
    t.add("third", async () => {
      done.push("third");
    });
    await Promise.all([t.run(), t.run()]);
    await t.run();
    assert.deepEqual(done, ["third", "first", "stack"]);
    assert.deepEqual(logged, ["  stopping second failed: already gone"]);
  });
});
