// What a HostCommand (components/hostCommand.ts) does when Pulumi creates it: runs its shell
// command with `sh -c` on the machine that runs `pulumi up`, its stdin on stdin and its
// environment added to the provider's, and fails with the command's own words, unless the step
// carries secrets (logging "none"), when only the exit status is told. Loaded by the dynamic
// provider's process (through tsx), so it imports nothing from Pulumi and nothing of the program.
import { spawn } from "node:child_process";

export interface HostCommandInputs {
  create: string;
  stdin?: string;
  environment?: Record<string, string>;
  triggers?: unknown[];
  logging?: "none" | "stderr";
}

/** Last lines of the command's error output, enough to say what went wrong. */
const TAIL_LINES = 40;

export async function runHostCommand(inputs: HostCommandInputs): Promise<void> {
  const child = spawn("sh", ["-c", inputs.create], { env: { ...process.env, ...(inputs.environment ?? {}) }, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stdout.resume();
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => {
    stderr = (stderr + d).slice(-64 * 1024);
  });
  // A command that does not read its stdin closes the pipe early: that is no error of ours.
  child.stdin.on("error", () => undefined);
  child.stdin.end(inputs.stdin ?? "");
  const code = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (c, signal) => resolve(c ?? (signal !== null ? 128 : 1)));
  });
  if (code === 0) return;
  const first = inputs.create.split("\n")[0].slice(0, 80);
  if (inputs.logging === "none") {
    throw new Error(`host command "${first}" failed (exit ${code}); its output is withheld because its input holds secrets`);
  }
  const tail = stderr.trimEnd().split("\n").slice(-TAIL_LINES).join("\n");
  throw new Error(`host command "${first}" failed (exit ${code}):\n${tail}`);
}
