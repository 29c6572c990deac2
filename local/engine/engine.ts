// Finds the container engine the local stack runs on, by asking its API (GET /_ping), never by
// looking for a CLI: a `docker` client can be installed with no engine behind it. Tried in order:
// DOCKER_HOST (unix:// only), Docker's socket, then the podman service that
// scripts/install-container-engine.sh starts. When none answers and we are root, that script is
// run (it installs podman from Debian and starts its Docker-compatible service); otherwise one
// message names it. Owns the engine connection; knows nothing about mail.
import { existsSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import { REPO_ROOT } from "../../components/core/paths";
import { run } from "../proc";

export const INSTALL_SCRIPT = join(REPO_ROOT, "scripts", "install-container-engine.sh");
export const PODMAN_SOCKET = "/run/mailstack/podman.sock";

export interface Engine {
  docker: Docker;
  socket: string;
  /** "Podman Engine" or "Docker Engine - Community" …, from the API's own version answer. */
  name: string;
  version: string;
}

function candidates(): string[] {
  const list: string[] = [];
  const dh = process.env.DOCKER_HOST;
  if (dh !== undefined && dh.startsWith("unix://")) list.push(dh.slice("unix://".length));
  list.push("/var/run/docker.sock", PODMAN_SOCKET);
  return [...new Set(list)];
}

async function answers(socket: string): Promise<Engine | undefined> {
  if (!existsSync(socket)) return undefined;
  const docker = new Docker({ socketPath: socket, timeout: 5000 });
  try {
    await docker.ping();
    const v = await docker.version();
    const component = v.Components?.[0];
    return { docker: new Docker({ socketPath: socket }), socket, name: component?.Name ?? "Docker API", version: component?.Version ?? v.Version };
  } catch {
    return undefined;
  }
}

/** The first engine that answers; installs and starts podman's service when root and none does. */
export async function connectEngine(opts: { install?: boolean; log?: (l: string) => void } = {}): Promise<Engine> {
  for (const s of candidates()) {
    const e = await answers(s);
    if (e !== undefined) return e;
  }
  const how = `bash ${INSTALL_SCRIPT}`;
  if (opts.install === false || process.getuid?.() !== 0) {
    throw new Error(`no container engine answers (tried ${candidates().join(", ")}). Install and start one with: sudo ${how}`);
  }
  opts.log?.(`no container engine answers; running ${how}`);
  const r = await run("bash", [INSTALL_SCRIPT]);
  if (r.code !== 0) throw new Error(`${how} failed:\n${(r.stderr + r.stdout).trim()}`);
  const e = await answers(PODMAN_SOCKET);
  if (e === undefined) throw new Error(`${how} finished but nothing answers at ${PODMAN_SOCKET}; see /var/log/mailstack-podman-service.log`);
  return e;
}
