// Container inputs in exactly the form the Docker provider (kreuzwerker/terraform-provider-docker
// v4.5.0, behind @pulumi/docker 5.2.0) writes back into state after it reads a container, so a
// second `pulumi up` plans no change; and the label that ties every Docker resource to the
// server it runs on, so a replaced server gets all of them recreated. Pure: plain values in and
// out. It decides nothing about which ports or checks a service has (containerSpecs.ts does) and
// creates no resource.

/** One entry of docker.Container `ports`, as the provider stores it. */
export interface DockerPort {
  internal: number;
  external: number;
  ip: string;
  protocol: "tcp" | "udp" | "sctp";
}

/** The address the provider writes for a port with no `ip` (resource_docker_container.go, `ports.ip` StateFunc). */
const DEFAULT_HOST_IP = "0.0.0.0";
const PROTOCOL_ORDER = { tcp: 0, udp: 1, sctp: 2 } as const;

/** Address bytes for ordering: IPv4 as 4 bytes, IPv6 as 16 (IPv4 sorts first, as netip.Addr.Compare does). */
function addressBytes(ip: string): number[] {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return ip.split(".").map(Number);
  const [head, tail] = ip.includes("::") ? ip.split("::") : [ip, undefined];
  const groups = (s: string | undefined) => (s === undefined || s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
  if (all.length !== 8 || all.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) throw new Error(`"${ip}" is not an IP address`);
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

function compareAddresses(a: string, b: string): number {
  const x = addressBytes(a);
  const y = addressBytes(b);
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/**
 * Ports in the order the provider reads them back. Its read (resource_docker_container_funcs.go,
 * resourceDockerContainerRead → flattenContainerPorts in resource_docker_container_structures.go)
 * sorts the container's port map by internal port number (byPortAndProtocol) and lists each port's
 * bindings in the order Docker reports them; Docker sorts bindings of one port by host address,
 * IPv4 before IPv6 (moby libnetwork/drivers/bridge/port_mapping_linux.go, sortAndNormPBs →
 * cmpPortBinding). The list is compared element by element on the next plan, and its reorder
 * suppression (suppressIfPortsDidNotChangeForMigrationV0ToV1 in resource_docker_container.go)
 * compares each old entry only with the first new entry of the same internal port, so a port
 * bound on both 0.0.0.0 and :: never matches unless the order is already this one. `ports`
 * forces replacement. Protocols of one port are ordered tcp, udp, sctp as moby does; the
 * provider's own sort leaves that order undefined, so never publish one port on two protocols.
 */
export function dockerPortsInReadBackOrder(ports: readonly (Omit<DockerPort, "ip" | "protocol"> & Partial<DockerPort>)[]): DockerPort[] {
  return ports
    .map((p) => ({ internal: p.internal, external: p.external, ip: p.ip || DEFAULT_HOST_IP, protocol: p.protocol ?? "tcp" }))
    .sort(
      (a, b) =>
        a.internal - b.internal ||
        PROTOCOL_ORDER[a.protocol] - PROTOCOL_ORDER[b.protocol] ||
        a.external - b.external ||
        compareAddresses(a.ip, b.ip),
    );
}

/** Every port published on every bind address (same number inside and out), in read-back order. */
export function publishedDockerPorts(ports: readonly number[], bindAddresses: readonly string[]): DockerPort[] {
  return dockerPortsInReadBackOrder(ports.flatMap((port) => bindAddresses.map((ip) => ({ internal: port, external: port, ip, protocol: "tcp" as const }))));
}

/**
 * A duration as Go's time.Duration.String() writes it ("30s", "1m0s", "1h0m0s", "1.5s", "500ms"):
 * the provider reads health-check durations back with that function (resourceDockerContainerRead:
 * `Healthcheck.StartPeriod.String()`), and any other spelling of the same duration ("60s") is a
 * change on every plan.
 */
export function goDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`duration ${seconds} s is not a non-negative number`);
  let ns = BigInt(Math.round(seconds * 1e9));
  if (ns === 0n) return "0s";
  const frac = (value: bigint, digits: number): [string, bigint] => {
    const unit = 10n ** BigInt(digits);
    const f = (value % unit).toString().padStart(digits, "0").replace(/0+$/, "");
    return [f === "" ? "" : `.${f}`, value / unit];
  };
  if (ns < 1_000_000_000n) {
    const [digits, suffix] = ns < 1_000n ? [0, "ns"] : ns < 1_000_000n ? [3, "µs"] : [6, "ms"];
    if (digits === 0) return `${ns}${suffix}`;
    const [f, whole] = frac(ns, digits);
    return `${whole}${f}${suffix}`;
  }
  const [f, totalSeconds] = frac(ns, 9);
  ns = totalSeconds;
  const s = ns % 60n;
  const minutes = ns / 60n;
  if (minutes === 0n) return `${s}${f}s`;
  const m = minutes % 60n;
  const hours = minutes / 60n;
  return hours === 0n ? `${m}m${s}${f}s` : `${hours}h${m}m${s}${f}s`;
}

export interface HealthcheckTiming {
  intervalSeconds: number;
  timeoutSeconds: number;
  startPeriodSeconds: number;
  retries: number;
}

/** docker.Container `healthcheck` with every duration in the spelling the provider reads back. */
export function dockerHealthcheck(tests: readonly string[], t: HealthcheckTiming) {
  return {
    tests: [...tests],
    interval: goDuration(t.intervalSeconds),
    timeout: goDuration(t.timeoutSeconds),
    startPeriod: goDuration(t.startPeriodSeconds),
    retries: t.retries,
  };
}

/**
 * An image reference in its fully qualified form (`mailstack/postfix:abc` →
 * `docker.io/mailstack/postfix:abc`, `debian` → `docker.io/library/debian`), the form both engines
 * resolve the short one to. The Docker provider reads a container's `image` back from the
 * engine's Config.Image: Docker Engine echoes what it was given, podman (4.3, measured) stores the
 * qualified name, so a short name planned a replacement on every `up`; the qualified one reads
 * back as itself on both.
 */
export function qualifiedImageReference(ref: string): string {
  const slash = ref.indexOf("/");
  const first = slash < 0 ? "" : ref.slice(0, slash);
  if (slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost")) return ref;
  return slash < 0 ? `docker.io/library/${ref}` : `docker.io/${ref}`;
}

/**
 * Label carried by the Docker network and every container: the id of the Hetzner server they run
 * on. Docker resources are reached through the server's primary IPv4, which survives a server
 * replacement, so without this nothing tells Pulumi that the new server has none of them. A
 * changed label forces replacement (`labels` is ForceNew on docker_container and docker_network,
 * resource_docker_container.go and resource_docker_network.go), so a new server id recreates them.
 */
export const SERVER_ID_LABEL = "org.mailstack.server-id";

export function serverIdentityLabel<V>(serverId: V): { label: string; value: V } {
  return { label: SERVER_ID_LABEL, value: serverId };
}
