// The running e2e stack as the tests see it (not a test file). Owns: finding the stack of the
// current instance (MAILSTACK_INSTANCE; Jest's global setup started it from
// test/e2e/Pulumi.e2e.yaml), reading its endpoints.json and secrets, and what the tests do to its
// containers through the engine API (stop, start, SIGKILL a main process, read a log, exec, run
// the certificate hook). Every port, name, address and path comes from endpoints.json or the
// topology of the current instance, so the suite runs beside any other instance. Never prints a
// password; never touches another instance's containers.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import { MAIL_CERTIFICATE } from "../../../components/core/containers/certificates";
import { hostDir } from "../../../components/core/containers/hostLayout";
import { REPO_ROOT } from "../../../components/core/paths";
import { containerName, type ServiceName } from "../../../components/core/topology";
import { CERT_HOOK, certHookEnvironment } from "../../../local/certificates";
import { readEndpoints, STATE_DIR, type LocalEndpoints } from "../../../local/endpoints";
import { containerState, execIn, execOk, logsTail, waitHealthy, type ExecResult } from "../../../local/engine/containers";
import { connectEngine, type Engine } from "../../../local/engine/engine";
import { run, sleep } from "../../../local/proc";
import { localStack, type LocalStack as RunnerStack, type StackChoice } from "../../../local/stack";
import { statePaths } from "../../../local/state";

export const E2E_STACK_FILE = join(REPO_ROOT, "test", "e2e", "Pulumi.e2e.yaml");

/** What the runner's `up` was given for the e2e stack (test/jest/localStackCli.ts). */
const E2E_CHOICE: StackChoice = { file: E2E_STACK_FILE, greylisting: false };

/** The test-side view of the running local stack (the component class is MailStack). */
export interface LocalStack extends Pick<RunnerStack, "cfg" | "topo" | "specs"> {
  ep: LocalEndpoints;
  /** A mailbox's demo password from endpoints.json; never print it. */
  password: (address: string) => string;
  /** pebble's root of this run (it makes a new one at every start): the only CA the clients trust. */
  ca: Buffer;
  /** The runner's description of the same stack, for the certificate hook. */
  runner: RunnerStack;
}

let engine: Promise<Engine> | undefined;

/** The container engine the stack runs on (one connection per test file). */
export function stackEngine(): Promise<Engine> {
  engine ??= connectEngine({ install: false });
  return engine;
}

async function docker(): Promise<Docker> {
  return (await stackEngine()).docker;
}

/**
 * The running e2e stack of this instance. Jest's global setup (test/jest/e2eGlobalSetup.ts)
 * starts it once for every file; this only checks that it is the e2e stack and that every
 * container runs, and says how to get there when not.
 */
export async function upLocalStack(): Promise<LocalStack> {
  const p = statePaths(STATE_DIR);
  let running: StackChoice | undefined;
  try {
    running = JSON.parse(readFileSync(p.stackFile, "utf8")) as StackChoice;
  } catch {
    running = undefined;
  }
  const how =
    "run the e2e files through Jest's e2e project (its global setup starts the stack): MAILSTACK_INSTANCE=<n> npx jest --selectProjects e2e -i";
  if (running?.file !== E2E_STACK_FILE) {
    throw new Error(`the local stack in ${STATE_DIR} is ${running === undefined ? "not running" : `${running.file}, not the e2e stack`}; ${how}`);
  }
  const runner = localStack(E2E_CHOICE, STATE_DIR);
  const d = await docker();
  for (const spec of runner.specs) {
    const s = await containerState(d, spec.name);
    if (s?.State.Running !== true) throw new Error(`container ${spec.name} is not running; ${how}`);
  }
  const ep = readEndpoints(STATE_DIR);
  const password = (address: string) => {
    const m = ep.mailboxes.find((x) => x.address === address);
    if (m === undefined) throw new Error(`no mailbox ${address} in endpoints.json`);
    return m.password;
  };
  const ca = readFileSync(join(hostDir(runner.topo, "testCa"), "pebble-root.pem"));
  return { cfg: runner.cfg, topo: runner.topo, specs: runner.specs, ep, password, ca, runner };
}

/** The engine name of a service's container in this instance (mailstack1-postfix, ...). */
export function containerOf(stack: LocalStack, service: ServiceName): string {
  return containerName(stack.topo, service);
}

/** The controller password and other service secrets the runner generated (never print them). */
export function serviceSecrets(): { rspamdControllerPassword: string } {
  return JSON.parse(readFileSync(statePaths(STATE_DIR).serviceSecrets, "utf8")) as { rspamdControllerPassword: string };
}

type ExecOptions = Parameters<typeof execIn>[3];

/** Runs a command in a service's container (stdin: the only way a secret goes in). */
export async function execInService(stack: LocalStack, service: ServiceName, cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return execIn(await docker(), containerOf(stack, service), cmd, opts);
}

/** Like execInService, but a non-zero exit throws with the command's output. */
export async function execOkInService(stack: LocalStack, service: ServiceName, what: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return execOk(await docker(), containerOf(stack, service), what, cmd, opts);
}

/** The last lines of a service's log (the daemons log to the container's output). */
export async function serviceLog(stack: LocalStack, service: ServiceName, lines = 200): Promise<string> {
  return logsTail(await docker(), containerOf(stack, service), lines);
}

/** Waits until a service's log has a line matching `pattern`; returns that line. */
export async function waitForLogLine(stack: LocalStack, service: ServiceName, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const line = (await serviceLog(stack, service, 500)).split("\n").find((l) => pattern.test(l));
    if (line !== undefined) return line;
    if (Date.now() > until) throw new Error(`no line matching ${pattern} in ${containerOf(stack, service)}'s log within ${timeoutMs / 1000}s`);
    await sleep(300);
  }
}

export interface ServiceState {
  running: boolean;
  /** The main process's pid on this host (0 when stopped). */
  pid: number;
  startedAt: string;
  /** How often the engine's restart policy has restarted it. */
  restartCount: number;
  health: string | undefined;
}

export async function serviceState(stack: LocalStack, service: ServiceName): Promise<ServiceState> {
  const s = await containerState(await docker(), containerOf(stack, service));
  if (s === undefined) throw new Error(`container ${containerOf(stack, service)} does not exist`);
  return {
    running: s.State.Running,
    pid: s.State.Pid,
    startedAt: s.State.StartedAt,
    restartCount: (s as { RestartCount?: number }).RestartCount ?? 0,
    health: s.State.Health?.Status,
  };
}

/**
 * Stops a service's container the way an operator does (`docker stop`: SIGTERM, then SIGKILL
 * after its grace period). The restart policy (unless-stopped) leaves it stopped.
 */
export async function stopService(stack: LocalStack, service: ServiceName): Promise<void> {
  const spec = stack.specs.find((s) => s.service === service);
  await (await docker()).getContainer(containerOf(stack, service)).stop({ t: spec?.stopTimeoutSeconds ?? 10 });
  const s = await serviceState(stack, service);
  if (s.running) throw new Error(`${containerOf(stack, service)} still runs after stop`);
}

/** Starts a stopped service's container and waits until its health check passes. */
export async function startService(stack: LocalStack, service: ServiceName): Promise<void> {
  const d = await docker();
  const name = containerOf(stack, service);
  if ((await serviceState(stack, service)).running !== true) await d.getContainer(name).start();
  await waitHealthy(d, name);
}

/**
 * SIGKILLs a service's main process from the host, as the kernel's OOM killer or a crash would:
 * the engine did not ask for it, so its restart policy applies. For Postfix the main process is
 * the master (`postfix start-fg`); when it dies the kernel kills every process in the container.
 * Returns the state just before the kill.
 */
export async function killMaster(stack: LocalStack, service: ServiceName): Promise<ServiceState> {
  const before = await serviceState(stack, service);
  if (!before.running || before.pid <= 0) throw new Error(`${containerOf(stack, service)} is not running`);
  process.kill(before.pid, "SIGKILL");
  return before;
}

/** Waits until the engine's restart policy has brought a killed service back, and it is healthy. */
export async function waitRestarted(stack: LocalStack, service: ServiceName, before: ServiceState, timeoutMs = 60_000): Promise<ServiceState> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await serviceState(stack, service);
    if (s.running && s.restartCount > before.restartCount && s.pid !== before.pid) {
      await waitHealthy(await docker(), containerOf(stack, service), Math.max(until - Date.now(), 1000));
      return serviceState(stack, service);
    }
    if (Date.now() > until) throw new Error(`${containerOf(stack, service)} was not restarted within ${timeoutMs / 1000}s: ${JSON.stringify(s)}`);
    await sleep(250);
  }
}

/** The mail host's certificate as installed for Postfix and Dovecot (host path). */
export function mailCertificateFile(stack: LocalStack): string {
  return join(hostDir(stack.topo, "tls"), MAIL_CERTIFICATE, "fullchain.pem");
}

/**
 * Runs the certificate hook (files/tls/sync-certs.sh) as the runner does after certbot has
 * renewed, with `env` over the runner's environment (e.g. LETSENCRYPT_DIR pointing at a stand-in
 * for certbot's folder). Returns the hook's output; a failure throws with it.
 */
export async function runCertHook(stack: LocalStack, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await run("bash", [CERT_HOOK], { env: { ...certHookEnvironment(stack.runner, await stackEngine()), ...env } });
  const out = (r.stdout + r.stderr).trim();
  if (r.code !== 0) throw new Error(`the certificate hook failed (exit ${r.code}):\n${out}`);
  return out;
}

/** A message id no earlier run used (mailboxes are kept across runs). */
export const uniqueId = (tag: string) => `<${tag}.${Date.now()}.${Math.random().toString(36).slice(2)}@e2e.client>`;

/** Polls `probe` until it returns a value. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(300);
  }
}
