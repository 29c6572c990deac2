// Process plumbing for the local runner: run a command (secrets only ever on stdin), start a
// daemon detached with its output in a log file, wait for a port, stop a process by its pid.
// Knows nothing about mail; the service modules say what to run.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { connect } from "node:net";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; `input` goes to stdin (the only way a secret enters a command). */
export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    // A command that exits without reading its stdin closes the pipe: not an error here.
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}

/** Like run, but a non-zero exit throws with the command's own output. */
export async function runOk(what: string, cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${(r.stderr + r.stdout).trim()}`);
  return r;
}

/** Starts a long-running daemon in its own session; returns its pid. */
export function startDetached(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): number {
  const fd = openSync(logFile, "a");
  const child = spawn(cmd, args, { detached: true, stdio: ["ignore", fd, fd], env });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  return child.pid;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").trim().split(/\s+/)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends a signal and waits until the process is gone (SIGKILL after the grace time). */
export async function stopPid(pid: number | undefined, signal: NodeJS.Signals = "SIGTERM", graceMs = 15000): Promise<void> {
  if (pid === undefined || !isAlive(pid)) return;
  process.kill(pid, signal);
  const until = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < until) await sleep(100);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
}

/** True when something accepts TCP connections on host:port. */
export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/** Waits until every port answers, or throws naming the ones that did not. */
export async function waitPorts(service: string, ports: { host: string; port: number }[], timeoutMs = 30000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let missing = ports;
  while (Date.now() < until) {
    const open = await Promise.all(missing.map((p) => portOpen(p.host, p.port)));
    missing = missing.filter((_, i) => !open[i]);
    if (missing.length === 0) return;
    await sleep(150);
  }
  throw new Error(`${service} did not answer on ${missing.map((p) => `${p.host}:${p.port}`).join(", ")} within ${timeoutMs / 1000}s; see its log in .local/log/`);
}
