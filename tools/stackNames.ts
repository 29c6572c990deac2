// Which stacks are customers: every `Pulumi.<name>.yaml` at the repository root, except the
// reserved example stacks `local` (the local runner), `e2e` (the end-to-end suite) and `prod`
// (the documented example customer), which are never deployed. Owns the stack-name rule shared by the customer, fleet and touched-stacks
// tools; reads only the root directory listing, never a stack file's content.
import { readdirSync } from "node:fs";
import { REPO_ROOT } from "../components/core/paths";

/** Stack names used by example stacks; never customers, never previewed or deployed. */
// prod is the documented example customer (Pulumi.prod.yaml, placeholder secrets): it is read by
// the tests and `npm run render`, but never previewed or deployed as a real customer.
export const RESERVED_STACKS: readonly string[] = ["local", "e2e", "prod"];

const STACK_FILE = /^Pulumi\.(.+)\.yaml$/;
// Lower-case DNS-label shape: the name ends up in resource names and log file names.
const STACK_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why a name cannot be a customer stack, or undefined when it can. */
export function stackNameProblem(name: string): string | undefined {
  if (!STACK_NAME.test(name)) {
    return (
      `"${name}" is not a valid stack name: use lower-case letters a-z, digits and inner hyphens, ` +
      "at most 63 characters (for example acme or acme-gmbh)"
    );
  }
  if (RESERVED_STACKS.includes(name)) {
    return `"${name}" is reserved for the example stack Pulumi.${name}.yaml; choose another customer name`;
  }
  return undefined;
}

/** The stack name a root-level path names, if it is a stack file (`Pulumi.yaml` is the project, not a stack). */
export function stackOfPath(path: string): string | undefined {
  const m = STACK_FILE.exec(path);
  return m === null ? undefined : m[1];
}

export interface StackListing {
  /** Customer stack names, sorted. */
  stacks: string[];
  /** One line per misnamed stack file, naming the file; those files are left out of `stacks`. */
  problems: string[];
}

/**
 * Customer stack names from a root directory listing. A misnamed stack file is reported, not
 * thrown: one customer's typo must never stop the previews and deploys of all the others.
 */
export function customerStacksIn(fileNames: readonly string[]): StackListing {
  const stacks: string[] = [];
  const problems: string[] = [];
  for (const f of fileNames) {
    const name = stackOfPath(f);
    if (name === undefined || RESERVED_STACKS.includes(name)) continue;
    const problem = stackNameProblem(name);
    if (problem !== undefined) problems.push(`${f}: ${problem}; rename the file (git mv ${f} Pulumi.<name>.yaml)`);
    else stacks.push(name);
  }
  return { stacks: stacks.sort(), problems: problems.sort() };
}

export function listCustomerStacks(root = REPO_ROOT): StackListing {
  return customerStacksIn(readdirSync(root));
}

/** `tsx tools/stackNames.ts`: fails (exit 2) naming every misnamed stack file; CI runs it as its own check. */
function main(root: string): number {
  const { stacks, problems } = listCustomerStacks(root);
  for (const p of problems) {
    // On GitHub the line also becomes an annotation on the file.
    const file = p.slice(0, p.indexOf(":"));
    process.stderr.write(process.env.GITHUB_ACTIONS === "true" ? `::error file=${file}::${p}\n` : `stackNames: ${p}\n`);
  }
  if (problems.length === 0) process.stdout.write(`${stacks.length} customer stack file(s), all named correctly\n`);
  return problems.length === 0 ? 0 : 2;
}

if (require.main === module) process.exitCode = main(process.argv[2] === "--root" && process.argv[3] !== undefined ? process.argv[3] : REPO_ROOT);
