// Starting and stopping the benchmark's local stack (bench/Pulumi.bench.yaml) through the local
// runner, exactly as `npm run local` does, in a child process with this process's environment
// (so MAILSTACK_INSTANCE picks the same instance: ports, containers, state folder) and greylisting
// off (said loudly in the output). Also refuses to run while the end-to-end suite uses the same
// instance, and reads the endpoints. The runner's output lists mailbox passwords: it is captured,
// only the line about images is read from it, and on failure only lines without secrets are shown.
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

import { localInstance, localTopology, type Topology } from "../components/core/topology";
import { localStack, type LocalStack } from "../local/stack";
import { STATE_DIR } from "../local/endpoints";
import { REPO_ROOT } from "../components/core/paths";

export { readEndpoints, STATE_DIR } from "../local/endpoints";
export const BENCH_STACK_FILE = join(REPO_ROOT, "bench", "Pulumi.bench.yaml");
const CLI = join(REPO_ROOT, "local", "cli.ts");

export const benchTopology = (): Topology => localTopology(STATE_DIR, { greylisting: false, instance: localInstance() });
/** The bench stack as the runner describes it (container specs, image plans): pure, starts nothing. */
export const benchStack = (): LocalStack => localStack({ file: BENCH_STACK_FILE, greylisting: false }, STATE_DIR);

/** The instance a process was started for (MAILSTACK_INSTANCE in its environment; 0 when unset). */
function instanceOf(pid: string): number | undefined {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    const raw = env.find((e) => e.startsWith("MAILSTACK_INSTANCE="))?.slice("MAILSTACK_INSTANCE=".length) ?? "0";
    return localInstance({ MAILSTACK_INSTANCE: raw });
  } catch {
    return undefined;
  }
}

/**
 * Other processes of this instance whose command line names the e2e suite (test/e2e) or the full
 * test run (test/run.sh, which starts the e2e stack after its fast tests and would stop ours).
 * Runs of other instances use other ports and containers and do not count.
 */
export function e2eRunning(instance = localInstance()): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (/test\/e2e|test\/run\.sh/.test(readFileSync(`/proc/${name}/cmdline`, "utf8")) && instanceOf(name) === instance) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The runner's "images: built a, b (12.3s)" line: what `up` built and when it had finished. */
export function imagesLine(output: string): { built: string[]; seconds: number } | undefined {
  const m = /^images: (?:built (.+)|all cached) \((\d+(?:\.\d+)?)s\)$/m.exec(output);
  if (m === null) return undefined;
  return { built: m[1] === undefined ? [] : m[1].split(", "), seconds: Number(m[2]) };
}

/**
 * Runs the local runner; resolves with its output, which holds passwords and is never printed
 * whole. `down` runs in a process group of its own, so a second Ctrl-C cannot cut it short; `up`
 * stays in ours and stops with the bench.
 */
function runner(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, MAILSTACK_GREYLISTING: "off" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: args[0] === "down",
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) return resolve(out);
      const safe = out.split("\n").filter((l) => !/password/i.test(l)).join("\n");
      reject(new Error(`local ${args[0]} failed (exit ${code}):\n${safe}`));
    });
  });
}

export interface StartTiming {
  /** Wall time of `up` until every container is healthy and endpoints.json is written. */
  seconds: number;
  /** Images `up` built, and how far into `up` it was when the images were ready. */
  built: string[];
  imagesReadySeconds?: number;
}

/** Starts the bench stack (normally from nothing running) and times it. */
export async function upTimed(): Promise<StartTiming> {
  const t0 = performance.now();
  const out = await runner(["up", "--stack-file", BENCH_STACK_FILE]);
  const seconds = (performance.now() - t0) / 1000;
  const images = imagesLine(out);
  return { seconds, built: images?.built ?? [], ...(images !== undefined ? { imagesReadySeconds: images.seconds } : {}) };
}

export const down = async (): Promise<void> => {
  await runner(["down"]);
};
