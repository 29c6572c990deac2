// Starting and stopping the benchmark's local stack (bench/Pulumi.bench.yaml) through the local
// runner, exactly as `npm run local` does, with greylisting off (said loudly in the output). Also
// refuses to run while the end-to-end suite is using the same ports, and reads the endpoints.
// The runner's output lists mailbox passwords: it is captured and never printed.
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

import { localTopology, type Topology } from "../components/core/topology";
import { STATE_DIR } from "../local/endpoints";
import { REPO_ROOT } from "../components/core/paths";

export { readEndpoints, STATE_DIR } from "../local/endpoints";
export const BENCH_STACK_FILE = join(REPO_ROOT, "bench", "Pulumi.bench.yaml");
const CLI = join(REPO_ROOT, "local", "cli.ts");

export const benchTopology = (): Topology => localTopology(STATE_DIR, undefined, { greylisting: false });

/**
 * Other processes whose command line names the e2e suite (`pgrep -f test/e2e`) or the full test
 * run (test/run.sh, which starts the e2e stack after its fast tests and would stop ours).
 */
export function e2eRunning(): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (/test\/e2e|test\/run\.sh/.test(readFileSync(`/proc/${name}/cmdline`, "utf8"))) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Runs the local runner; stdout (which holds passwords) is kept, only lines without secrets are shown on failure. */
function runner(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, MAILSTACK_GREYLISTING: "off" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) return resolve();
      const safe = out.split("\n").filter((l) => !/password/i.test(l)).join("\n");
      reject(new Error(`local ${args[0]} failed (exit ${code}):\n${safe}`));
    });
  });
}

/** Starts the bench stack from nothing running; returns the seconds until every service answers. */
export async function upTimed(): Promise<number> {
  const t0 = performance.now();
  await runner(["up", "--stack-file", BENCH_STACK_FILE]);
  return (performance.now() - t0) / 1000;
}

export const down = (): Promise<void> => runner(["down"]);

