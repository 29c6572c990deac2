// The Pulumi SDK's own cost per resource under mocks, without this project: registers N
// random.RandomPasswords (what the program registers per mailbox) and waits for their outputs.
// Compare with evaluate.ts's timing to see how much of an evaluation is ours. Source maps follow
// the same switch as evaluate.ts (off unless MAILSTACK_EVAL_SOURCE_MAPS=1).
//
// Usage: node --import tsx test/mock/harness/sdkFloor.ts [N=2000]
// Prints: {"resources":N,"sourceMaps":false,"registerSeconds":...,"perResourceMs":...}
import * as pulumi from "@pulumi/pulumi";

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 2000);
  const sourceMaps = process.env.MAILSTACK_EVAL_SOURCE_MAPS === "1";
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => ({ id: a.name, state: { ...a.inputs, result: "x", bcryptHash: "y" } }),
      call: (a) => a.inputs,
    },
    "floor",
    "floor",
    false,
  );
  // Loaded before the clock starts: only registration is measured.
  const random = await import("@pulumi/random");
  process.setSourceMapsEnabled(sourceMaps);
  const started = process.hrtime.bigint();
  const passwords = Array.from({ length: n }, (_, i) => new random.RandomPassword(`pw-${i}`, { length: 24, special: false }));
  await new Promise<void>((resolve) => pulumi.all(passwords.map((p) => p.bcryptHash)).apply(() => resolve()));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ resources: n, sourceMaps, registerSeconds: seconds, perResourceMs: (seconds * 1000) / n }) + "\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`sdkFloor: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 2;
});
