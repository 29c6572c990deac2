// What the Docker provider behind @pulumi/docker 5.2.0 (kreuzwerker/terraform-provider-docker
// v4.5.0, commit 5074970c, bridged by pulumi/pulumi-docker) stores when it reads back a
// container, network or image, and which input changes replace them. Sources: the provider's
// internal/provider/resource_docker_{container,network,image}*.go and pulumi-docker's
// provider/resources.go and schema.json (willReplaceOnChanges). This is the harness's own
// reading of those sources; it does not use the program's helpers, so a wrong helper shows up as
// a planned change. Pure.
//
// Checked against the real provider (kreuzwerker commit 96d331c98ff4, after v4.6.0, bridged here by
// scripts/build-providers.sh) on podman 4.3, by test/engine/existingHost.test.ts and the README's
// "The real Docker provider's read-back, measured": ports (sorted by internal port, IPv4 before
// IPv6), durations (`60s` planned as a change, `1m0s` not), labels and envs (kept as sets) and
// the health-check update behave as modelled here. Not modelled, because they are podman's and
// this model is the VM's Docker Engine: the network's ipamOptions read back as
// {driver: "host-local"} (ForceNew), a short image name read back qualified (docker.io/...), the
// words of a CMD health check's arguments split apart; and mounts' readOnly reads back null, not
// false (equal here, compared as a set with defaults). Also real and invisible to any model: the
// planned health-check update is applied to nothing (the provider's update leaves the container's
// check as it was).
import { canonical, holdsUnknown, setEqual, type Props, type ResourceModel } from "./model";

type Port = { internal: number; external?: number; ip?: string; protocol?: string };

/** resource_docker_container.go `ports`: ip defaults to 0.0.0.0 (Default + StateFunc), protocol to tcp. */
const portWithDefaults = (p: Port) => ({ internal: p.internal, external: p.external, ip: p.ip || "0.0.0.0", protocol: p.protocol ?? "tcp" });

/** IPv4 before IPv6, then by address bytes: moby's cmpPortBinding (netip.Addr.Compare after Unmap). */
function hostAddressKey(ip: string): string {
  if (ip.includes(".")) return `4:${ip.split(".").map((o) => o.padStart(3, "0")).join(".")}`;
  const [h, t = ""] = ip.split("::");
  const hs = h === "" ? [] : h.split(":");
  const ts = t === "" ? [] : t.split(":");
  const groups = ip.includes("::") ? [...hs, ...Array(8 - hs.length - ts.length).fill("0"), ...ts] : hs;
  return `6:${groups.map((g) => g.padStart(4, "0")).join(":")}`;
}

/**
 * Read back: flattenContainerPorts (resource_docker_container_structures.go) walks the port map
 * sorted by internal port only (byPortAndProtocol.Less compares the numbers), and each port's
 * bindings in the order Docker reports them. Docker reports them sorted by host address, IPv4
 * first (moby libnetwork/drivers/bridge/port_mapping_linux.go: addPortMappings sorts with
 * sortAndNormPBs/cmpPortBinding, and inspect lists the endpoint's bindings in that order).
 */
export function dockerReadBackPorts(ports: Port[]): Port[] {
  const byPort = new Map<number, Port[]>();
  for (const p of ports.map(portWithDefaults)) byPort.set(p.internal, [...(byPort.get(p.internal) ?? []), p]);
  return [...byPort.keys()]
    .sort((a, b) => a - b)
    .flatMap((k) => byPort.get(k)!.sort((a, b) => (hostAddressKey(a.ip!) < hostAddressKey(b.ip!) ? -1 : hostAddressKey(a.ip!) > hostAddressKey(b.ip!) ? 1 : 0)));
}

/**
 * suppressIfPortsDidNotChangeForMigrationV0ToV1 (resource_docker_container.go), as written: for
 * each old port, the FIRST new entry with the same internal port must match its protocol,
 * external port and ip; a second binding of that port is never looked at.
 */
export function dockerPortsDiffSuppressed(oldPorts: Port[], newPorts: Port[]): boolean {
  if (oldPorts.length !== newPorts.length) return false;
  for (const o of oldPorts.map(portWithDefaults)) {
    let found = false;
    for (const n of newPorts.map(portWithDefaults)) {
      if (n.internal !== o.internal) continue;
      if (n.protocol !== o.protocol) {
        if (newPorts.map(portWithDefaults).some((x) => x.internal === o.internal && x.protocol === o.protocol)) continue;
        return false;
      }
      if (n.external !== o.external || n.ip !== o.ip) return false;
      found = true;
      break;
    }
    if (!found) return false;
  }
  return true;
}

/** Go's time.ParseDuration for the forms used here ("1m0s", "60s", "500ms", "1h"), in nanoseconds. */
function parseGoDuration(s: string): bigint {
  const units: Record<string, bigint> = { ns: 1n, us: 1_000n, "µs": 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };
  if (s === "0") return 0n;
  const parts = [...s.matchAll(/(\d+)(?:\.(\d+))?(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== s) throw new Error(`not a Go duration: "${s}"`);
  let total = 0n;
  for (const [, whole, frac = "", unit] of parts) {
    const scale = 10n ** BigInt(frac.length);
    total += (BigInt(whole) * scale + BigInt(frac || "0")) * units[unit] / scale;
  }
  return total;
}

/** Go's time.Duration.String(), as the provider writes health-check durations into state. */
function goDurationString(ns: bigint): string {
  if (ns === 0n) return "0s";
  if (ns < 1_000_000_000n) {
    const [div, unit] = ns < 1_000n ? [1n, "ns"] : ns < 1_000_000n ? [1_000n, "µs"] : [1_000_000n, "ms"];
    const frac = (ns % div).toString().padStart(div.toString().length - 1, "0").replace(/0+$/, "");
    return `${ns / div}${frac && div > 1n ? `.${frac}` : ""}${unit}`;
  }
  const fracNs = (ns % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  let secs = ns / 1_000_000_000n;
  const out = `${secs % 60n}${fracNs ? `.${fracNs}` : ""}s`;
  secs /= 60n;
  if (secs === 0n) return out;
  const withMinutes = `${secs % 60n}m${out}`;
  secs /= 60n;
  return secs === 0n ? withMinutes : `${secs}h${withMinutes}`;
}

const duration = (v: unknown, dflt = "0s") => (typeof v === "string" && v !== "" && !holdsUnknown(v) ? goDurationString(parseGoDuration(v)) : v ?? dflt);

/**
 * Health check as resourceDockerContainerRead writes it: test, retries, and every duration
 * through `Healthcheck.<X>.String()`; unset durations default to "0s" (schema Default).
 */
function healthcheckReadBack(h: Props | undefined): Props | undefined {
  if (h === undefined) return undefined;
  return {
    tests: h.tests,
    interval: duration(h.interval),
    timeout: duration(h.timeout),
    startPeriod: duration(h.startPeriod),
    startInterval: duration(h.startInterval),
    retries: h.retries ?? 0,
  };
}

// pulumi-docker provider/cmd/pulumi-resource-docker/schema.json, docker:index/container:Container
// inputProperties with willReplaceOnChanges (the provider's ForceNew attributes).
const CONTAINER_REPLACES = [
  "capabilities", "cgroupParent", "cgroupnsMode", "command", "cpus", "deviceRequests", "devices", "dns", "dnsOpts", "dnsSearches",
  "domainname", "entrypoints", "envs", "gpus", "groupAdds", "hostname", "hosts", "image", "ipcMode", "labels", "logDriver", "logOpts",
  "mounts", "name", "networkMode", "networksAdvanced", "pidMode", "platform", "ports", "privileged", "publishAllPorts", "readOnly",
  "runtime", "securityOpts", "shmSize", "stdinOpen", "stopSignal", "stopTimeout", "storageOpts", "sysctls", "tty", "ulimits", "uploads",
  "user", "usernsMode", "volumes", "workingDir",
];

const mountWithDefaults = (m: unknown) => ({ readOnly: false, ...(m as Props) });

export const container: ResourceModel = {
  readBack(inputs, computed) {
    const state: Props = { ...inputs, ...computed };
    if (inputs.ports !== undefined) state.ports = holdsUnknown(inputs.ports) ? inputs.ports : dockerReadBackPorts(inputs.ports as Port[]);
    if (inputs.healthcheck !== undefined) state.healthcheck = healthcheckReadBack(inputs.healthcheck as Props);
    // getDockerContainerMounts: HostConfig.Mounts with read_only always set.
    if (inputs.mounts !== undefined) state.mounts = (inputs.mounts as unknown[]).map(mountWithDefaults);
    // schema Default "no"; name read back without Docker's leading "/" (d.Set("name", TrimLeft(...))).
    state.restart = inputs.restart ?? "no";
    // Labels and env are not read back ("We decided not to set the environment variables and
    // labels", resourceDockerContainerRead): the state keeps the configured ones.
    return state;
  },
  computed: ["exitCode", "containerLogs", "networkDatas", "bridge"],
  replaceOnChanges: CONTAINER_REPLACES,
  optionalComputed: ["command", "entrypoints", "hostname", "logDriver", "runtime", "platform", "stopSignal", "stopTimeout", "shmSize", "securityOpts", "ipcMode", "init"],
  planned: {
    // The plan compares the configured list (defaults filled in, ip through its StateFunc) in the
    // configured order with the state, and durations exactly as written.
    ports: (n) => (n === undefined || holdsUnknown(n) ? n : (n as Port[]).map(portWithDefaults)),
    healthcheck: (n) =>
      n === undefined
        ? n
        : { startInterval: "0s", interval: "0s", timeout: "0s", startPeriod: "0s", retries: 0, ...(n as Props) },
    restart: (n) => n ?? "no",
  },
  changed: {
    // TypeList compared element by element; a difference is suppressed only if the provider's
    // reorder check accepts it.
    ports: (o, n) => canonical(o) !== canonical(n) && !dockerPortsDiffSuppressed((o as Port[]) ?? [], (n as Port[]) ?? []),
    // TypeSet attributes: order never matters.
    mounts: (o, n) => !setEqual(o, n, mountWithDefaults),
    labels: (o, n) => !setEqual(o, n),
    envs: (o, n) => !setEqual(o, n),
    networksAdvanced: (o, n) => !setEqual(o, n),
    // resource_docker_container.go: dns, dns_opts and dns_search are TypeSet.
    dns: (o, n) => !setEqual(o, n),
    dnsOpts: (o, n) => !setEqual(o, n),
    dnsSearches: (o, n) => !setEqual(o, n),
  },
};

export const network: ResourceModel = {
  // resourceDockerNetworkReadRefreshFunc: ipam_config from NetworkInspect, which for a network
  // created with subnets echoes the configured pools (moby daemon/network buildIpamResources:
  // Subnet = PreferredPool, Gateway = the configured one, empty if none); labels as set;
  // ipam_driver "default"; options {} for a bridge without options.
  readBack: (inputs, computed) => ({ ipamDriver: "default", internal: false, attachable: false, ingress: false, options: {}, ...inputs, ...computed }),
  computed: ["scope"],
  // schema.json docker:index/network:Network: every input has willReplaceOnChanges.
  replaceOnChanges: ["attachable", "driver", "ingress", "internal", "ipamConfigs", "ipamDriver", "ipamOptions", "ipv6", "labels", "name", "options"],
  optionalComputed: ["driver", "options", "internal", "ipamConfigs"],
  changed: { ipamConfigs: (o, n) => !setEqual(o, n), labels: (o, n) => !setEqual(o, n) },
};

export const remoteImage: ResourceModel = {
  readBack: (inputs, computed) => ({ ...inputs, ...computed }),
  computed: ["imageId", "repoDigest"],
  // resource_docker_image.go: name, pull_triggers, triggers and platform are ForceNew.
  replaceOnChanges: ["name", "platform", "pullTriggers", "triggers"],
};

/**
 * The explicit Docker provider: bridged DiffConfig (pulumi-terraform-bridge pkg/tfbridge/provider.go,
 * configDiffer.DiffConfig) replaces only for config marked ForcesProviderReplace, and
 * pulumi-docker's provider/resources.go marks none: a changed host or sshOpts is an update.
 */
export const provider: ResourceModel = {
  readBack: (inputs, computed) => ({ ...inputs, ...computed }),
  computed: [],
  replaceOnChanges: [],
};
