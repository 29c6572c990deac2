// Certificates on the local stack, the way the VM gets them: the certificate hook
// (files/tls/sync-certs.sh, the script the VM's timer runs) on this host, with the local host
// folders and reloads through the engine's CLI. Before certbot has anything it installs a
// temporary self-signed pair for every name, so Postfix, Dovecot and nginx can start; once certbot
// has obtained every certificate from pebble (the local stand-in for Let's Encrypt), it installs
// them and reloads what changed. Never touches certbot's state or pebble.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { hostDir } from "../components/core/containers/hostLayout";
import { FILES_DIR } from "../components/core/paths";
import { certHookEnv, engineReloads } from "../components/core/remote/certSync";
import type { Engine } from "./engine/engine";
import { run, sleep } from "./proc";
import type { LocalStack } from "./stack";

export const CERT_HOOK = join(FILES_DIR, "tls", "sync-certs.sh");

/** The CLI that talks to the same engine, for the hook's reload commands. */
export function engineCli(engine: Engine): string {
  return /podman/i.test(engine.name) ? "podman" : "docker";
}

/** The hook's environment on this machine (host folders under .local/data, engine CLI reloads). */
export function certHookEnvironment(stack: LocalStack, engine: Engine): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...certHookEnv(stack.cfg, stack.topo, engineReloads(stack.topo, engineCli(engine))) };
  if (engine.socket !== "/var/run/docker.sock") env.DOCKER_HOST = `unix://${engine.socket}`;
  return env;
}

/**
 * Runs the hook once. `reloads: false` before the daemons run (first start): a failed reload is
 * then expected, and what counts is that every name has a pair in the TLS folder.
 */
export async function runCertHook(stack: LocalStack, engine: Engine, opts: { daemonsRunning: boolean }): Promise<string> {
  const r = await run("bash", [CERT_HOOK], { env: certHookEnvironment(stack, engine) });
  const out = (r.stdout + r.stderr).trim();
  if (r.code === 0) return out;
  const tls = hostDir(stack.topo, "tls");
  const missing = (process.env.CERTIFICATES ?? certHookEnvironment(stack, engine).CERTIFICATES ?? "")
    .split(/\s+/)
    .filter((e) => e !== "")
    .map((e) => e.split("=")[0])
    .filter((name) => !existsSync(join(tls, name, "fullchain.pem")));
  if (!opts.daemonsRunning && missing.length === 0) return out;
  throw new Error(`the certificate hook (${CERT_HOOK}) failed (exit ${r.code}):\n${out}`);
}

/** Waits until pebble has published this run's issuing root (it deletes the old one at start). */
export async function waitPebbleRoot(stack: LocalStack, timeoutMs = 60_000): Promise<string> {
  const root = join(hostDir(stack.topo, "testCa"), "pebble-root.pem");
  const until = Date.now() + timeoutMs;
  while (!existsSync(root)) {
    if (Date.now() > until) throw new Error(`pebble did not publish its root at ${root} within ${timeoutMs / 1000}s`);
    await sleep(250);
  }
  return root;
}
