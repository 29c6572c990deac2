// `npm run fleet -- preview|up|refresh [--concurrency N] [--only a,b] [--org <pulumi-org>]`: one
// operation over every customer stack (or the `--only` subset), at most N at once, a progress
// line per stack, a summary table at the end, exit code 1 if any stack failed (2 for bad usage).
// Owns argument parsing and wiring; selection, the limiter and error capture are in run.ts,
// the table in summary.ts, the engine in workspace.ts. Each stack's full engine output
// goes to .local/fleet/<stack>.<op>.log, not the terminal, so parallel stacks stay readable.
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

import { FLEET_OPS, FleetUsageError, runFleet, selectStacks, type FleetOp, type FleetRun, type FleetWorkspace } from "./run";
import { summaryTable } from "./summary";
import { automationWorkspace } from "./workspace";
import { listCustomerStacks } from "../stackNames";
import { REPO_ROOT } from "../../components/core/paths";

export const USAGE = "usage: npm run fleet -- preview|up|refresh [--concurrency N] [--only <name>[,<name>...]] [--org <pulumi-org>]";
const DEFAULT_CONCURRENCY = 2;

export interface FleetArgs {
  op: FleetOp;
  concurrency: number;
  only?: string[];
  org?: string;
}

export function parseFleetArgs(argv: string[]): FleetArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        concurrency: { type: "string" },
        only: { type: "string", multiple: true },
        org: { type: "string" },
      },
    });
  } catch (e) {
    throw new FleetUsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const [op, ...extra] = positionals;
  if (op === undefined || !(FLEET_OPS as readonly string[]).includes(op)) {
    throw new FleetUsageError(`the operation must be one of ${FLEET_OPS.join(", ")}, got "${op ?? ""}"\n${USAGE}`);
  }
  if (extra.length > 0) {
    throw new FleetUsageError(`unexpected argument(s) ${extra.join(" ")}; name stacks with --only ${extra.join(",")}\n${USAGE}`);
  }
  let concurrency = DEFAULT_CONCURRENCY;
  if (values.concurrency !== undefined) {
    concurrency = Number(values.concurrency);
    if (!/^\d+$/.test(values.concurrency) || concurrency < 1) {
      throw new FleetUsageError(`--concurrency must be a whole number of at least 1, such as 4; got "${values.concurrency}"`);
    }
  }
  return { op: op as FleetOp, concurrency, only: values.only, org: values.org };
}

export interface FleetDeps {
  customers: () => string[];
  workspace: (org: string | undefined) => FleetWorkspace;
  progress: (line: string) => void;
  output?: FleetRun["output"];
}

/** Runs the CLI; resolves to the process exit code. */
export async function fleetMain(argv: string[], deps: FleetDeps): Promise<number> {
  let args: FleetArgs;
  let stacks: string[];
  try {
    args = parseFleetArgs(argv);
    stacks = selectStacks(deps.customers(), args.only);
  } catch (e) {
    if (!(e instanceof FleetUsageError)) throw e;
    deps.progress(`fleet: ${e.message}`);
    return 2;
  }
  if (stacks.length === 0) {
    deps.progress("fleet: no customer stacks (no Pulumi.<name>.yaml besides local/e2e); add one with npm run customer -- new");
    return 0;
  }
  deps.progress(`fleet: ${args.op} on ${stacks.length} stack(s), at most ${args.concurrency} at once: ${stacks.join(", ")}`);
  const results = await runFleet({
    op: args.op,
    stacks,
    concurrency: args.concurrency,
    workspace: deps.workspace(args.org),
    progress: deps.progress,
    output: deps.output,
  });
  deps.progress("");
  deps.progress(summaryTable(args.op, results));
  return results.every((r) => r.ok) ? 0 : 1;
}

function fileOutput(op: string): FleetRun["output"] {
  const dir = join(REPO_ROOT, ".local", "fleet");
  return (stack) => {
    mkdirSync(dir, { recursive: true });
    const where = join(dir, `${stack}.${op}.log`);
    const stream = createWriteStream(where);
    return { write: (t) => stream.write(t), where };
  };
}

if (require.main === module) {
  void (async () => {
    const op = process.argv[2] ?? "run";
    process.exitCode = await fleetMain(process.argv.slice(2), {
      customers: () => listCustomerStacks(REPO_ROOT),
      workspace: (org) => automationWorkspace(REPO_ROOT, org),
      progress: (l) => process.stdout.write(`${l}\n`),
      output: (FLEET_OPS as readonly string[]).includes(op) ? fileOutput(op) : undefined,
    });
  })();
}
