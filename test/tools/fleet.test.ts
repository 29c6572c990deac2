import { test } from "@jest/globals";
import assert from "node:assert/strict";
import type { OpMap } from "@pulumi/pulumi/automation";
import { fleetMain, type FleetDeps } from "../../tools/fleet/cli";
import type { FleetOp, FleetWorkspace } from "../../tools/fleet/run";
import { firstErrorLine } from "../../tools/fleet/summary";

// A fake engine: each stack takes a few ticks, some fail, and the fake records how many
// operations were in flight at once.
function fakeWorkspace(opts: { fail?: Record<string, Error>; changes?: Record<string, OpMap>; delayMs?: (s: string) => number } = {}) {
  const calls: { stack: string; op: FleetOp }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const ws: FleetWorkspace = {
    async run(stack, op, onOutput) {
      calls.push({ stack, op });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        onOutput(`Previewing update (${stack})\n`);
        await new Promise((r) => setTimeout(r, opts.delayMs?.(stack) ?? 5));
        const failure = opts.fail?.[stack];
        if (failure !== undefined) throw failure;
        return opts.changes?.[stack] ?? { same: 40 };
      } finally {
        inFlight--;
      }
    },
  };
  return { ws, calls, max: () => maxInFlight };
}

async function run(argv: string[], customers: string[], ws: FleetWorkspace, outputs?: Map<string, string>, more: Partial<FleetDeps> = {}) {
  const lines: string[] = [];
  const deps: FleetDeps = {
    customers: () => ({ stacks: customers, problems: [] }),
    workspace: () => ws,
    progress: (l) => lines.push(l),
    output: outputs && ((stack) => ({ write: (t) => outputs.set(stack, (outputs.get(stack) ?? "") + t), where: `logs/${stack}.log` })),
    pulumiVersion: () => "v3.248.0",
    confirm: async () => true,
    ...more,
  };
  const code = await fleetMain(argv, deps);
  return { code, text: lines.join("\n"), lines };
}

const customers = ["a", "b", "c", "d", "e", "f", "g"];

test("never more than --concurrency stacks at once, and every stack runs exactly once", async () => {
  for (const n of [1, 3]) {
    const fake = fakeWorkspace({ delayMs: (s) => (s.charCodeAt(0) % 3) * 4 + 2 });
    const { code } = await run(["preview", "--concurrency", String(n)], customers, fake.ws);
    assert.equal(code, 0);
    assert.equal(fake.max(), n, `limit ${n}`);
    assert.deepEqual(fake.calls.map((c) => c.stack).sort(), customers);
    assert.ok(fake.calls.every((c) => c.op === "preview"));
  }
});

test("one failing customer does not stop the others; exit code 1 and the first error line in the summary", async () => {
  const err = new Error(
    "code: 255\n stdout: Previewing update (b)\n\n stderr: error: hcloud:index/server:Server resource 'server' has a problem: invalid server type \"cx99\"\n" +
      "error: preview failed\n err?: \n",
  );
  const fake = fakeWorkspace({ fail: { b: err }, changes: { c: { create: 2, update: 1, same: 30 } } });
  const outputs = new Map<string, string>();
  const { code, text } = await run(["up", "--concurrency", "2"], customers, fake.ws, outputs);
  assert.equal(code, 1);
  assert.deepEqual(fake.calls.map((c) => c.stack).sort(), customers, "every stack ran despite b failing");
  const row = (s: string) => text.split("\n").find((l) => l.startsWith(`${s} `)) ?? "";
  assert.match(row("b"), /FAILED.*invalid server type "cx99"/);
  assert.match(row("c"), /ok.*2 create, 1 update, 30 same/);
  assert.match(row("a"), /ok.*no changes/);
  assert.match(text, /7 stack\(s\): 6 ok, 1 failed, 1 with changes/);
  assert.match(text, /logs\/b\.log/, "the summary points at the failed stack's full output");
  assert.match(outputs.get("b") ?? "", /Previewing update \(b\)/, "engine output goes to the stack's own sink");
});

test("a progress line per stack as it finishes", async () => {
  const fake = fakeWorkspace({ fail: { d: new Error("error: connection refused") } });
  const { lines } = await run(["refresh"], ["c", "d"], fake.ws);
  assert.ok(lines.some((l) => /^\[\d\/2\] c: refresh ok/.test(l)));
  assert.ok(lines.some((l) => /^\[\d\/2\] d: refresh FAILED: error: connection refused/.test(l)));
});

test("--only runs just the named stacks, comma-separated or repeated", async () => {
  const fake = fakeWorkspace();
  const { code } = await run(["preview", "--only", "c,a", "--only", "g"], customers, fake.ws);
  assert.equal(code, 0);
  assert.deepEqual(fake.calls.map((c) => c.stack).sort(), ["a", "c", "g"]);
});

test("--only with an unknown name runs nothing and lists the real customers", async () => {
  const fake = fakeWorkspace();
  const { code, text } = await run(["up", "--only", "a,zeta,local"], customers, fake.ws);
  assert.equal(code, 2);
  assert.equal(fake.calls.length, 0);
  assert.match(text, /--only: no customer stack named "zeta", "local"; customers are a, b, c/);
});

test("bad operations and concurrency values are usage errors that run nothing", async () => {
  const fake = fakeWorkspace();
  for (const [argv, msg] of [
    [["destroy"], /operation must be one of preview, up, refresh, got "destroy"/],
    [[], /operation must be one of/],
    [["up", "--concurrency", "0"], /--concurrency must be a whole number of at least 1/],
    [["up", "--concurrency", "two"], /--concurrency.*"two"/],
    [["up", "acme"], /name stacks with --only acme/],
  ] as const) {
    const { code, text } = await run([...argv], customers, fake.ws);
    assert.equal(code, 2, argv.join(" "));
    assert.match(text, msg);
  }
  assert.equal(fake.calls.length, 0);
});

test("the first error line skips the CLI transcript's framing", () => {
  assert.equal(firstErrorLine(new Error("code: 255\n stdout: Updating (acme)\n stderr: error: could not find stack acme\n")), "error: could not find stack acme");
  assert.equal(firstErrorLine(new Error("\n\nsomething broke\nmore")), "something broke");
  assert.equal(firstErrorLine("plain string failure"), "plain string failure");
});

test("checks for the Pulumi CLI before starting anything", async () => {
  const fake = fakeWorkspace();
  const { code, text } = await run(["preview"], customers, fake.ws, undefined, { pulumiVersion: () => undefined });
  assert.equal(code, 2);
  assert.match(text, /the Pulumi CLI is not on PATH/);
  assert.equal(fake.calls.length, 0);
});

test("up asks first; no, or no terminal without --yes, changes nothing; --yes skips the question", async () => {
  const asked: string[] = [];
  const no = fakeWorkspace();
  const refused = await run(["up"], ["a", "b"], no.ws, undefined, { confirm: async (q) => (asked.push(q), false) });
  assert.equal(refused.code, 2);
  assert.match(asked[0], /pulumi up changes the servers and DNS of 2 customer\(s\): a, b\. Continue\? \[y\/N\]/);
  assert.equal(no.calls.length, 0);
  const headless = fakeWorkspace();
  const h = await run(["up"], ["a"], headless.ws, undefined, { confirm: undefined });
  assert.equal(h.code, 2);
  assert.match(h.text, /pass --yes/);
  assert.equal(headless.calls.length, 0);
  const yes = fakeWorkspace();
  assert.equal((await run(["up", "--yes"], ["a"], yes.ws, undefined, { confirm: undefined })).code, 0);
  assert.equal(yes.calls.length, 1);
  // A preview changes nothing, so it never asks.
  assert.equal((await run(["preview"], ["a"], fakeWorkspace().ws, undefined, { confirm: undefined })).code, 0);
});

test("a long-running stack reports that it is still running, with its last engine line", async () => {
  const fake = fakeWorkspace({ delayMs: () => 60 });
  const { lines } = await run(["preview"], ["slow"], fake.ws, undefined, { heartbeatMs: 15 });
  assert.ok(lines.some((l) => /^slow: preview running for \d+s; last: Previewing update \(slow\)$/.test(l)), lines.join("\n"));
});

test("the failed stack's log holds the whole error, not only the summary line", async () => {
  const outputs = new Map<string, string>();
  const err = new Error("code: 255\n stdout: Previewing update (b)\n stderr: error: preview failed\n  mailstack:hostname: is required\n");
  await run(["preview"], ["b"], fakeWorkspace({ fail: { b: err } }).ws, outputs);
  assert.match(outputs.get("b") ?? "", /fleet: preview of b failed ---\n.*mailstack:hostname: is required/s);
});

test("a misnamed stack file is named and fails the run, while every other customer still runs", async () => {
  const fake = fakeWorkspace();
  const lines: string[] = [];
  const code = await fleetMain(["preview"], {
    customers: () => ({ stacks: ["a"], problems: ["Pulumi.B_C.yaml: not a valid stack name"] }),
    workspace: () => fake.ws,
    progress: (l) => lines.push(l),
    pulumiVersion: () => "v3.248.0",
  });
  assert.equal(code, 1);
  assert.deepEqual(fake.calls.map((c) => c.stack), ["a"]);
  assert.ok(lines.some((l) => /skipped: Pulumi\.B_C\.yaml/.test(l)));
});
