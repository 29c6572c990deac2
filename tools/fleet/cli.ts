// `npm run fleet -- preview|up|refresh [--concurrency N] [--only a,b] [--org <pulumi-org>] [--yes]`:
// one operation over every customer stack (or the `--only` subset), at most N at once, progress
// lines per stack, a summary table at the end, exit code 1 if any stack failed (2 for bad usage, a
// missing Pulumi CLI, or an `up` nobody confirmed). `up` changes every customer's server, so it
// asks first (or takes --yes; without a terminal it needs --yes). Owns argument parsing and wiring;
// selection, the limiter, progress and error capture are in run.ts, the table in summary.ts, the
// engine in workspace.ts. Each stack's full engine output, and its error, goes to
// .local/fleet/<stack>.<op>.log, not the terminal, so parallel stacks stay readable.
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";

import { FLEET_OPS, FleetUsageError, runFleet, selectStacks, type FleetOp, type FleetRun, type FleetWorkspace } from "./run";
import { summaryTable } from "./summary";
import { automationWorkspace } from "./workspace";
import { listCustomerStacks, type StackListing } from "../stackNames";
import { REPO_ROOT } from "../../components/core/paths";
import { EXIT, wantsHelp } from "../cliKit";
import { systemPulumi } from "../pulumiCli";

export const USAGE = `usage: npm run fleet -- preview|up|refresh [--concurrency N] [--only <name>[,<name>...]] [--org <pulumi-org>] [--yes]
  Runs one Pulumi operation (with the policy pack) on every customer stack, at most N at once
  (default 2). Progress on the terminal; each stack's full output in .local/fleet/<stack>.<op>.log.
  up asks for confirmation first; --yes skips the question (required without a terminal).
  Needs the Pulumi CLI on PATH, logged in like the CLI itself.
Exit codes: 0 every stack ok, 1 some stack failed (or a stack file is misnamed), 2 bad usage,
no Pulumi CLI, or up not confirmed.`;
const DEFAULT_CONCURRENCY = 2;

export interface FleetArgs {
  op: FleetOp;
  concurrency: number;
  only?: string[];
  org?: string;
  yes: boolean;
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
        yes: { type: "boolean" },
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
  return { op: op as FleetOp, concurrency, only: values.only, org: values.org, yes: values.yes === true };
}

export interface FleetDeps {
  customers: () => StackListing;
  workspace: (org: string | undefined) => FleetWorkspace;
  progress: (line: string) => void;
  output?: FleetRun["output"];
  /** The Pulumi CLI's version, or undefined when it is not installed. */
  pulumiVersion: () => string | undefined;
  /** Asks the operator; undefined when there is no terminal to ask on. */
  confirm?: (question: string) => Promise<boolean>;
  heartbeatMs?: number;
}

/** Runs the CLI; resolves to the process exit code. */
export async function fleetMain(argv: string[], deps: FleetDeps): Promise<number> {
  if (wantsHelp(argv)) {
    deps.progress(USAGE);
    return EXIT.ok;
  }
  let args: FleetArgs;
  let stacks: string[];
  const listing = deps.customers();
  try {
    args = parseFleetArgs(argv);
    stacks = selectStacks(listing.stacks, args.only);
  } catch (e) {
    if (!(e instanceof FleetUsageError)) throw e;
    deps.progress(`fleet: ${e.message}`);
    return EXIT.usage;
  }
  // Checked before anything starts: otherwise every stack fails with the same spawn error.
  const version = deps.pulumiVersion();
  if (version === undefined) {
    deps.progress(
      "fleet: the Pulumi CLI is not on PATH; the Automation API drives it. Install it (https://www.pulumi.com/docs/install/, " +
        "3.248 or later) and log in (PULUMI_ACCESS_TOKEN, or PULUMI_BACKEND_URL with PULUMI_CONFIG_PASSPHRASE)",
    );
    return EXIT.usage;
  }
  for (const p of listing.problems) deps.progress(`fleet: skipped: ${p}`);
  if (stacks.length === 0) {
    deps.progress("fleet: no customer stacks (no Pulumi.<name>.yaml besides local/e2e); add one with npm run customer -- new");
    return 0;
  }
  if (args.op === "up" && !args.yes) {
    const question = `fleet: pulumi up changes the servers and DNS of ${stacks.length} customer(s): ${stacks.join(", ")}. Continue? [y/N] `;
    if (deps.confirm === undefined) {
      deps.progress("fleet: up needs a confirmation; no terminal to ask on, so pass --yes (after a fleet preview)");
      return EXIT.usage;
    }
    if (!(await deps.confirm(question))) {
      deps.progress("fleet: not confirmed; nothing was changed");
      return EXIT.usage;
    }
  }
  deps.progress(`fleet: ${args.op} on ${stacks.length} stack(s) with pulumi ${version}, at most ${args.concurrency} at once: ${stacks.join(", ")}`);
  const results = await runFleet({
    op: args.op,
    stacks,
    concurrency: args.concurrency,
    workspace: deps.workspace(args.org),
    progress: deps.progress,
    output: deps.output,
    heartbeatMs: deps.heartbeatMs,
  });
  deps.progress("");
  deps.progress(summaryTable(args.op, results));
  return results.every((r) => r.ok) && listing.problems.length === 0 ? EXIT.ok : EXIT.failed;
}

function fileOutput(op: string): FleetRun["output"] {
  const dir = join(REPO_ROOT, ".local", "fleet");
  return (stack) => {
    mkdirSync(dir, { recursive: true });
    const where = join(dir, `${stack}.${op}.log`);
    const stream = createWriteStream(where);
    return { write: (t) => stream.write(t), end: () => new Promise<void>((resolve) => stream.end(resolve)), where };
  };
}

async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

if (require.main === module) {
  void (async () => {
    const op = process.argv[2] ?? "run";
    process.exitCode = await fleetMain(process.argv.slice(2), {
      customers: () => listCustomerStacks(REPO_ROOT),
      pulumiVersion: () => systemPulumi(REPO_ROOT).version(),
      confirm: process.stdin.isTTY ? askOnTerminal : undefined,
      workspace: (org) => automationWorkspace(REPO_ROOT, org),
      progress: (l) => process.stdout.write(`${l}\n`),
      output: (FLEET_OPS as readonly string[]).includes(op) ? fileOutput(op) : undefined,
    });
  })();
}
