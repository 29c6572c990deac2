// Which customer stacks a change touches, for the pull-request preview and the deploy on merge.
// Owns the path rules only: a customer's stack file touches that customer, documentation and
// test-only paths touch nobody, anything else is shared code and touches every customer. Never
// runs git or Pulumi; the workflow pipes `git diff --name-only` into the CLI.
//
//   git diff --name-only BASE HEAD | npx tsx tools/touchedStacks.ts     -> ["acme","beta"]
//   npx tsx tools/touchedStacks.ts --all                                -> every customer
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

import { RESERVED_STACKS, listCustomerStacks, stackNameProblem, stackOfPath } from "./stackNames";
import { REPO_ROOT } from "../components/core/paths";

export interface Selection {
  /** Customer stacks to preview or deploy, sorted. */
  stacks: string[];
  /** One line per changed path saying why it counted, for the job log. */
  reasons: string[];
}

// Paths that cannot change what `pulumi up` does. Kept short on purpose: a path wrongly listed
// here means a change ships without anyone seeing its preview; a path missing from it only
// costs an extra preview.
const NO_DEPLOY_EFFECT: readonly RegExp[] = [
  /\.md$/i,
  /^docs\//,
  /^LICENSE(\.[a-z]+)?$/i,
  /^\.gitignore$/,
  /^test\//,
  /^jest\.config\.js$/,
  /^bench\//,
  /^\.ci\//,
];

export function touchedStacks(changedPaths: readonly string[], customers: readonly string[]): Selection {
  const selected = new Set<string>();
  const reasons: string[] = [];
  let all = false;
  for (const raw of changedPaths) {
    const path = raw.trim().replace(/^\.\//, "");
    if (path === "") continue;
    const stack = path.includes("/") ? undefined : stackOfPath(path);
    if (stack !== undefined) {
      if (RESERVED_STACKS.includes(stack)) {
        reasons.push(`${path}: local example stack, never deployed`);
      } else if (stackNameProblem(stack) !== undefined) {
        reasons.push(`${path}: misnamed stack file, previewed by nobody until it is renamed (the stack-files check names the fix)`);
      } else if (customers.includes(stack)) {
        selected.add(stack);
        reasons.push(`${path}: customer ${stack}`);
      } else {
        reasons.push(
          `${path}: stack file removed; its resources still exist unless it was decommissioned with ` +
            `\`npm run customer -- remove ${stack}\` (README: "Remove a customer")`,
        );
      }
    } else if (NO_DEPLOY_EFFECT.some((re) => re.test(path))) {
      reasons.push(`${path}: documentation or tests, no customer`);
    } else {
      all = true;
      reasons.push(`${path}: shared code, every customer`);
    }
  }
  const stacks = all ? [...customers] : [...selected];
  return { stacks: stacks.sort(), reasons };
}

const USAGE = "usage: git diff --name-only BASE HEAD | tsx tools/touchedStacks.ts [--all] [--root DIR]";

function main(argv: string[]): number {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n  prints the customer stacks the changed paths touch, as one JSON list (--all: every customer)\n`);
    return 0;
  }
  let values: { all?: boolean; root?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { all: { type: "boolean" }, root: { type: "string" } },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(
      `touchedStacks: ${(e as Error).message}\n${USAGE}\n`,
    );
    return 2;
  }
  const { stacks: customers, problems } = listCustomerStacks(values.root ?? REPO_ROOT);
  // Named, not fatal: the other customers' previews go on; the stack-files check fails the PR.
  for (const p of problems) process.stderr.write(`warning: ${p}\n`);
  const selection = values.all
    ? { stacks: customers, reasons: ["--all: every customer"] }
    : touchedStacks(readFileSync(0, "utf8").split("\n"), customers);
  for (const r of selection.reasons) process.stderr.write(`${r}\n`);
  // One line of JSON: the workflow hands it to a job matrix through $GITHUB_OUTPUT.
  process.stdout.write(`${JSON.stringify(selection.stacks)}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
