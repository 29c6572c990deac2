// Starts and stops the e2e stack for Jest's global setup and teardown, through the local runner's
// CLI (`local/cli.ts up|down`): the one seam that stays the same whatever runs the stack.
// Passwords never reach the test output: `up` prints the demo passwords, and every line holding
// one is dropped here.
import { spawn } from "node:child_process";
import { join } from "node:path";

const REPO_ROOT = join(__dirname, "..", "..");
const E2E_STACK_FILE = join(REPO_ROOT, "test", "e2e", "Pulumi.e2e.yaml");

/** Copies a stream to `to` line by line, leaving out the lines that carry a password. */
function withoutPasswords(from: NodeJS.ReadableStream, to: NodeJS.WritableStream): void {
  let rest = "";
  const emit = (line: string) => {
    if (!line.includes("password:")) to.write(`${line}\n`);
  };
  from.setEncoding("utf8");
  from.on("data", (chunk: string) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    lines.forEach(emit);
  });
  from.on("end", () => {
    if (rest !== "") emit(rest);
  });
}

async function localCli(args: string[], opts: { env?: NodeJS.ProcessEnv; quiet?: boolean } = {}): Promise<void> {
  const child = spawn("npx", ["tsx", join(REPO_ROOT, "local", "cli.ts"), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (opts.quiet !== true) withoutPasswords(child.stdout, process.stdout);
  else child.stdout.resume();
  withoutPasswords(child.stderr, process.stderr);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  if (code !== 0) throw new Error(`local/cli.ts ${args.join(" ")} exited with ${code}`);
}

/**
 * A fresh start of the e2e stack (test/e2e/Pulumi.e2e.yaml), greylisting off (tests only). A stack
 * already running, whichever it is, is stopped first; mail and secrets in .local/ are kept.
 */
export async function upE2eStack(): Promise<void> {
  await localCli(["down"], { quiet: true });
  try {
    await localCli(["up", "--stack-file", E2E_STACK_FILE], { env: { MAILSTACK_GREYLISTING: "off" } });
  } catch (err) {
    // Jest runs no teardown after a failed setup: stop whatever did start.
    await localCli(["down"], { quiet: true }).catch(() => undefined);
    throw err;
  }
}

export async function downE2eStack(): Promise<void> {
  await localCli(["down"], { quiet: true });
}
