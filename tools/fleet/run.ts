// Runs one Pulumi operation over many customer stacks: picks the stacks (`--only` checked
// against the stacks that exist), keeps at most N in flight, captures each failure so one
// customer never stops the others, and reports a progress line per stack. The engine is behind
// the FleetWorkspace interface: cli.ts plugs in the Automation API, tests plug in a fake.
import type { OpMap } from "@pulumi/pulumi/automation";
import { countChanges, describeChanges, firstErrorLine, type StackResult } from "./summary";

export const FLEET_OPS = ["preview", "up", "refresh"] as const;
export type FleetOp = (typeof FLEET_OPS)[number];

export interface FleetWorkspace {
  /** Runs `op` on one stack, streaming engine output; resolves to the change summary, rejects on failure. */
  run(stack: string, op: FleetOp, onOutput: (text: string) => void): Promise<OpMap>;
}

export class FleetUsageError extends Error {}

/** The stacks to run: all customers, or the `--only` subset, which must all exist. */
export function selectStacks(customers: readonly string[], only: readonly string[] | undefined): string[] {
  if (only === undefined) return [...customers];
  const wanted = [...new Set(only.flatMap((o) => o.split(",")).map((s) => s.trim()).filter((s) => s !== ""))];
  if (wanted.length === 0) throw new FleetUsageError("--only: no stack names given; write --only acme,beta");
  const unknown = wanted.filter((w) => !customers.includes(w));
  if (unknown.length > 0) {
    throw new FleetUsageError(
      `--only: no customer stack named ${unknown.map((u) => `"${u}"`).join(", ")}; ` +
        `customers are ${customers.length === 0 ? "(none)" : customers.join(", ")} ` +
        "(one Pulumi.<name>.yaml each at the repository root; local and e2e are never fleet stacks)",
    );
  }
  return customers.filter((c) => wanted.includes(c));
}

/** Calls `fn` on every item with at most `limit` calls pending; results in input order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new FleetUsageError(`concurrency must be a whole number of at least 1, got ${limit}`);
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface FleetRun {
  op: FleetOp;
  stacks: readonly string[];
  concurrency: number;
  workspace: FleetWorkspace;
  /** One progress line at a time; lines of different stacks interleave, each names its stack. */
  progress: (line: string) => void;
  /** Where each stack's engine output goes; returns the place to name in the summary. */
  output?: (stack: string) => { write: (text: string) => void; where?: string };
  now?: () => number;
}

export async function runFleet(r: FleetRun): Promise<StackResult[]> {
  const now = r.now ?? Date.now;
  const total = r.stacks.length;
  let finished = 0;
  return mapLimited(r.stacks, r.concurrency, async (stack) => {
    const sink = r.output?.(stack);
    const started = now();
    r.progress(`${stack}: ${r.op} started`);
    let result: StackResult;
    try {
      const changes = await r.workspace.run(stack, r.op, (t) => sink?.write(t));
      result = { stack, ok: true, changes, seconds: (now() - started) / 1000, log: sink?.where };
    } catch (e) {
      // Caught per stack: one customer's broken config or API outage must not stop the rest.
      result = { stack, ok: false, error: firstErrorLine(e), seconds: (now() - started) / 1000, log: sink?.where };
    }
    finished++;
    const what = result.ok
      ? `${countChanges(result.changes) > 0 ? "changes" : "ok"}: ${describeChanges(result.changes)}`
      : `FAILED: ${result.error}`;
    r.progress(`[${finished}/${total}] ${stack}: ${r.op} ${what} (${result.seconds.toFixed(0)}s)`);
    return result;
  });
}
