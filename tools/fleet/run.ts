// Runs one Pulumi operation over many customer stacks: picks the stacks (`--only` checked
// against the stacks that exist), keeps at most N in flight, captures each failure so one
// customer never stops the others, and reports progress: a line when a stack starts and ends, and
// while it runs, a line every heartbeat with its last engine line (an `up` that builds images
// takes many minutes). Every failure is also written, in full, to that stack's log. The engine is
// behind the FleetWorkspace interface: cli.ts plugs in the Automation API, tests plug in a fake.
import type { OpMap } from "@pulumi/pulumi/automation";
import { countChanges, describeChanges, firstErrorLine, type StackResult } from "./summary";

export const FLEET_OPS = ["preview", "up", "refresh"] as const;
export type FleetOp = (typeof FLEET_OPS)[number];

export interface FleetWorkspace {
  /** Runs `op` on one stack, streaming engine output (stdout and stderr); resolves to the change summary, rejects on failure. */
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
  output?: (stack: string) => { write: (text: string) => void; end?: () => Promise<void>; where?: string };
  now?: () => number;
  /** How often a running stack reports that it is still running; default 30 s. */
  heartbeatMs?: number;
}

const DEFAULT_HEARTBEAT_MS = 30_000;

/** The last line of engine output worth showing ("+  hcloud:index/server:Server mail-host creating"). */
function lastLine(text: string): string | undefined {
  const line = text.split("\n").map((l) => l.trim()).filter((l) => l !== "").at(-1);
  return line === undefined ? undefined : line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

const duration = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
};

export async function runFleet(r: FleetRun): Promise<StackResult[]> {
  const now = r.now ?? Date.now;
  const total = r.stacks.length;
  let finished = 0;
  return mapLimited(r.stacks, r.concurrency, async (stack) => {
    const sink = r.output?.(stack);
    const started = now();
    r.progress(`${stack}: ${r.op} started`);
    let last: string | undefined;
    const heartbeat = setInterval(
      () => r.progress(`${stack}: ${r.op} running for ${duration(now() - started)}${last !== undefined ? `; last: ${last}` : ""}`),
      r.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    );
    let result: StackResult;
    try {
      const changes = await r.workspace.run(stack, r.op, (t) => {
        sink?.write(t);
        last = lastLine(t) ?? last;
      });
      result = { stack, ok: true, changes, seconds: (now() - started) / 1000, log: sink?.where };
    } catch (e) {
      // Caught per stack: one customer's broken config or API outage must not stop the rest.
      result = { stack, ok: false, error: firstErrorLine(e), seconds: (now() - started) / 1000, log: sink?.where };
      // The log gets the whole error, not just the line the summary shows.
      sink?.write(`\n--- fleet: ${r.op} of ${stack} failed ---\n${e instanceof Error ? e.message : String(e)}\n`);
    } finally {
      clearInterval(heartbeat);
      await sink?.end?.();
    }
    finished++;
    const what = result.ok
      ? `${countChanges(result.changes) > 0 ? "changes" : "ok"}: ${describeChanges(result.changes)}`
      : `FAILED: ${result.error}`;
    r.progress(`[${finished}/${total}] ${stack}: ${r.op} ${what} (${result.seconds.toFixed(0)}s)`);
    return result;
  });
}
