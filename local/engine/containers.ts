// Turns ContainerSpecs (components/core/containers/containerSpecs.ts) into running containers on
// the local engine through its API, as the Pulumi Containers component turns them into
// docker.Container resources on the VM: same image, command, mounts, ports, network, aliases,
// health check, restart policy and labels. Also the few operations the runner and the tests need
// on a running container: wait until healthy, run a command in it (stdin is the only way a
// secret goes in), read its log, stop and remove it. Knows nothing about mail.
import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import { CONFIG_HASH_LABEL, SERVICE_LABEL, type ContainerSpec } from "../../components/core/containers/containerSpecs";
import type { ServiceNetwork } from "../../components/core/topology";
import { sleep } from "../proc";

const NS = 1_000_000_000;

/**
 * Creates a service network unless it exists; refuses one with the same name and another subnet
 * or another `internal` setting (either would change who can reach what).
 */
export async function ensureNetwork(docker: Docker, net: ServiceNetwork): Promise<void> {
  const existing = await docker.listNetworks({ filters: { name: [net.name] } });
  const same = existing.find((n) => n.Name === net.name);
  if (same !== undefined) {
    const subnets = (same.IPAM?.Config ?? []).map((c) => c.Subnet);
    const fix = `remove it (podman network rm ${net.name}) and run up again`;
    if (!subnets.includes(net.ipv4Subnet)) throw new Error(`engine network ${net.name} exists with subnet ${subnets.join(", ") || "unknown"}, not ${net.ipv4Subnet}; ${fix}`);
    if (Boolean(same.Internal) !== net.internal) throw new Error(`engine network ${net.name} exists${net.internal ? " with a way out" : " as internal"}; ${fix}`);
    return;
  }
  await docker.createNetwork({
    Name: net.name,
    Driver: "bridge",
    CheckDuplicate: true,
    Internal: net.internal,
    IPAM: { Driver: "default", Config: [{ Subnet: net.ipv4Subnet }] },
    Labels: { [SERVICE_LABEL]: "network" },
  });
}

export async function removeNetwork(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getNetwork(name).remove();
  } catch {
    // Already gone.
  }
}

/** The engine's create options for a spec: the local twin of the Pulumi docker.Container inputs. */
export function createOptions(spec: ContainerSpec, configHash: string): Docker.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  }
  const h = spec.healthcheck;
  return {
    name: spec.name,
    Image: spec.imageTag,
    Hostname: spec.service,
    ...(spec.command !== undefined ? { Cmd: spec.command } : {}),
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: { [CONFIG_HASH_LABEL]: configHash, [SERVICE_LABEL]: spec.service },
    ExposedPorts: exposed,
    StopTimeout: spec.stopTimeoutSeconds,
    Healthcheck: { Test: h.test, Interval: h.intervalSeconds * NS, Timeout: h.timeoutSeconds * NS, Retries: h.retries, StartPeriod: h.startPeriodSeconds * NS },
    HostConfig: {
      Binds: spec.mounts.map((m) => `${m.source}:${m.target}:${m.readOnly ? "ro" : "rw"}`),
      PortBindings: bindings,
      RestartPolicy: { Name: spec.restart },
      NetworkMode: spec.networkMode ?? spec.networks[0]?.name ?? "none",
      CapAdd: spec.capabilities.add,
      CapDrop: spec.capabilities.drop,
      ...(spec.dns !== undefined ? { Dns: spec.dns.servers, DnsOptions: spec.dns.options, DnsSearch: spec.dns.search } : {}),
    },
    NetworkingConfig: {
      EndpointsConfig: Object.fromEntries(
        spec.networks.map((n) => [n.name, { Aliases: n.aliases, ...(n.ipv4Address !== undefined ? { IPAMConfig: { IPv4Address: n.ipv4Address } } : {}) }]),
      ),
    },
  };
}

export async function containerState(docker: Docker, name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect();
  } catch {
    return undefined;
  }
}

/** Stops (SIGTERM, then SIGKILL after the spec's grace) and removes a container; absent is fine. */
export async function removeContainer(docker: Docker, name: string, stopSeconds = 10): Promise<void> {
  const c = docker.getContainer(name);
  const state = await containerState(docker, name);
  if (state === undefined) return;
  if (state.State.Running) {
    try {
      await c.stop({ t: stopSeconds });
    } catch {
      // Stopped meanwhile.
    }
  }
  await c.remove({ force: true, v: false });
}

/**
 * Creates and starts a container from its spec (replacing one of the same name). Networks the
 * engine did not attach at create (Docker API before 1.44 takes one) are connected before start.
 */
export async function startContainer(docker: Docker, spec: ContainerSpec, configHash: string): Promise<void> {
  await removeContainer(docker, spec.name, spec.stopTimeoutSeconds);
  const c = await docker.createContainer(createOptions(spec, configHash));
  const attached = Object.keys((await c.inspect()).NetworkSettings.Networks ?? {});
  for (const n of spec.networks.filter((x) => !attached.includes(x.name))) {
    await docker.getNetwork(n.name).connect({ Container: spec.name, EndpointConfig: { Aliases: n.aliases } });
  }
  await c.start();
}

/** Last lines of a container's output (stdout and stderr interleaved). */
export async function logsTail(docker: Docker, name: string, lines = 40): Promise<string> {
  try {
    const buf = (await docker.getContainer(name).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return demuxText(buf);
  } catch (e) {
    return `(no log: ${e instanceof Error ? e.message : String(e)})`;
  }
}

/** Docker's multiplexed log frames (8-byte headers) to text; plain text passes through. */
export function demuxText(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const len = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  if (i === 0) return buf.toString("utf8");
  return Buffer.concat(out).toString("utf8");
}

/**
 * Asks podman to run a container's health check now. Podman schedules health checks with systemd
 * timers, so without systemd (this machine, CI) they never run on their own; Docker Engine runs
 * them itself and answers 404 here, which is ignored.
 */
export async function runHealthCheck(docker: Docker, name: string): Promise<void> {
  await new Promise<void>((resolve) => {
    docker.modem.dial(
      { path: `/v4.0.0/libpod/containers/${encodeURIComponent(name)}/healthcheck?`, method: "GET", statusCodes: { 200: true, 404: true, 409: true, 500: true } },
      () => resolve(),
    );
  });
}

/** Waits until the container's health check passes; fails early, with its log, if it exits. */
export async function waitHealthy(docker: Docker, name: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < until) {
    await runHealthCheck(docker, name);
    const s = await containerState(docker, name);
    if (s === undefined) throw new Error(`container ${name} is gone`);
    if (!s.State.Running && !s.State.Restarting) {
      throw new Error(`container ${name} exited (code ${s.State.ExitCode}):\n${await logsTail(docker, name)}`);
    }
    // Podman reports no Health at all until the first check has run: that is "starting".
    const hasCheck = (s.Config.Healthcheck?.Test ?? []).length > 0 && s.Config.Healthcheck?.Test?.[0] !== "NONE";
    last = s.State.Health?.Status ?? (hasCheck ? "starting" : "no health check");
    if (last === "healthy" || last === "no health check") return;
    await sleep(1000);
  }
  throw new Error(`container ${name} is not healthy after ${timeoutMs / 1000}s (last state: ${last}):\n${await logsTail(docker, name)}`);
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in a running container; `input` goes to its stdin. */
export async function execIn(docker: Docker, name: string, cmd: string[], opts: { input?: string; user?: string; env?: string[] } = {}): Promise<ExecResult> {
  const exec = await docker.getContainer(name).exec({
    Cmd: cmd,
    AttachStdin: opts.input !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    ...(opts.user !== undefined ? { User: opts.user } : {}),
    ...(opts.env !== undefined ? { Env: opts.env } : {}),
  });
  const stream = await exec.start({ hijack: true, stdin: opts.input !== undefined });
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (d: Buffer) => (stdout += d.toString()));
  err.on("data", (d: Buffer) => (stderr += d.toString()));
  docker.modem.demuxStream(stream, out, err);
  const ended = new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
  });
  if (opts.input !== undefined) stream.end(opts.input);
  await ended;
  let code: number | null = null;
  for (let i = 0; i < 50 && code === null; i++) {
    code = (await exec.inspect()).ExitCode;
    if (code === null) await sleep(50);
  }
  return { code: code ?? -1, stdout, stderr };
}

/** Like execIn, but a non-zero exit throws with the command's own output. */
export async function execOk(docker: Docker, name: string, what: string, cmd: string[], opts: Parameters<typeof execIn>[3] = {}): Promise<ExecResult> {
  const r = await execIn(docker, name, cmd, opts);
  if (r.code !== 0) throw new Error(`${what} in ${name} failed (exit ${r.code}):\n${(r.stderr + r.stdout).trim()}`);
  return r;
}

/** Runs a one-off container of an image to completion (the daemons' config checkers). */
export async function runOnce(
  docker: Docker,
  image: string,
  cmd: string[],
  opts: { binds?: string[]; entrypoint?: string[]; networkDisabled?: boolean; env?: string[] } = {},
): Promise<ExecResult> {
  const c = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    ...(opts.entrypoint !== undefined ? { Entrypoint: opts.entrypoint } : {}),
    Env: opts.env ?? [],
    NetworkDisabled: opts.networkDisabled ?? true,
    HostConfig: { Binds: opts.binds ?? [], NetworkMode: opts.networkDisabled === false ? "bridge" : "none" },
    Labels: { [SERVICE_LABEL]: "check" },
  });
  try {
    await c.start();
    const res = (await c.wait()) as { StatusCode: number };
    const logs = demuxText((await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
    return { code: res.StatusCode, stdout: logs, stderr: "" };
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}
