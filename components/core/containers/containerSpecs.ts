// Every container of a mail stack, described once as plain data: image, command, environment,
// bind mounts, published ports, network and aliases, health check, restart policy, and what it
// must wait for. The Pulumi Containers component turns this into docker.Container resources on
// the VM; the local runner creates the same containers through the engine API on this machine.
// Nothing about a container is written anywhere else. Published ports are PostgreSQL-, Valkey-
// and controller-free by construction: only the mail and web ports are ever published.
// Pure: the topology, the config and the image plans in, data out.
import type { MailConfig } from "../config/config";
import { containerName, CONTAINER_PORTS, TEST_CA_DIR, type ServiceName, type Topology } from "../topology";
import { webCertificates } from "./certificates";
import { dataDirs, hostConfigDir, hostDir, type DataDir } from "./hostLayout";
import type { ImageName, ImagePlans, TestImage } from "./images";

export interface Mount {
  /** Absolute host path under the topology's host root. */
  source: string;
  target: string;
  readOnly: boolean;
}

export interface PortBinding {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: "tcp";
}

export interface HealthCheck {
  /** Docker's test form: ["CMD", ...] or ["CMD-SHELL", "..."]. */
  test: string[];
  intervalSeconds: number;
  timeoutSeconds: number;
  retries: number;
  startPeriodSeconds: number;
}

export interface ContainerSpec {
  service: ServiceName | TestImage;
  /** Engine container name (the topology's prefix + service). */
  name: string;
  image: ImageName;
  /** The image tag from the plans: mailstack/<image>:<hash>. */
  imageTag: string;
  /** Overrides the image's CMD (never its ENTRYPOINT). */
  command?: string[];
  /** Non-secret environment only: secrets reach containers as rendered files (0640, own group). */
  env: Record<string, string>;
  mounts: Mount[];
  /** Sorted by container port, then host address: the order the docker provider reads them back. */
  ports: PortBinding[];
  /** The one service network, with the names other containers reach this one by. */
  network: { name: string; aliases: string[] };
  healthcheck: HealthCheck;
  restart: "unless-stopped";
  /** Seconds the engine waits after SIGTERM before SIGKILL (daemons that flush state need more). */
  stopTimeoutSeconds: number;
  /**
   * What must exist before the container is created: "certificate" (the certificate hook has run
   * once, so the TLS folder holds a pair for every name) or "database" (roles, databases, schema).
   */
  waitsFor: ("certificate" | "database")[];
  /** True for containers only the local stack runs (stand-ins for the internet). */
  testOnly: boolean;
}

/** Labels every container carries: its rendered files' hash, so a config change replaces exactly it. */
export const CONFIG_HASH_LABEL = "org.mailstack.config-hash";
export const SERVICE_LABEL = "org.mailstack.service";

// CMD-SHELL with the whole command as one string: podman (4.3, measured) splits the words of a CMD
// form's arguments, so ["CMD", "bash", "-c", "exec 3<>/dev/tcp/..."] became `bash -c exec` and
// passed whatever listened; it also read back differently from what was sent, which the Docker
// provider took for a change on every `up`. /bin/sh is dash (no /dev/tcp): bash does the probe.
const tcpCheck = (port: number): string[] => ["CMD-SHELL", `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}'`];

const health = (test: string[], startPeriodSeconds = 60): HealthCheck => ({ test, intervalSeconds: 30, timeoutSeconds: 5, retries: 3, startPeriodSeconds });

/** Every public port binding of a service, in the docker provider's read-back order. */
export function portBindings(topo: Topology, ports: (keyof Topology["ports"])[]): PortBinding[] {
  const bindings = ports.flatMap((p) => topo.publicBind.map((hostIp) => ({ hostIp, hostPort: topo.ports[p], containerPort: CONTAINER_PORTS[p], protocol: "tcp" as const })));
  return bindings.sort((a, b) => a.containerPort - b.containerPort || (a.hostIp < b.hostIp ? -1 : a.hostIp > b.hostIp ? 1 : 0));
}

export function containerSpecs(cfg: MailConfig, topo: Topology, plans: ImagePlans): ContainerSpec[] {
  const p = topo.paths;
  const config = (service: ServiceName): Mount => ({ source: hostConfigDir(topo, service), target: topo.configDirs[service], readOnly: true });
  const mount = (key: Parameters<typeof hostDir>[1], target: string, readOnly: boolean): Mount => ({ source: hostDir(topo, key), target, readOnly });
  // The folder, never single files: the hook swaps symlinks inside it, and a file bind mount
  // would keep pointing at the old inode.
  const tls = mount("tls", p.tlsDir, true);
  const local = topo.acme.issuer === "pebble";
  const testCa = local ? [mount("testCa", TEST_CA_DIR, true)] : [];
  const spec = (
    service: ServiceName | TestImage,
    s: Omit<ContainerSpec, "service" | "name" | "image" | "imageTag" | "network" | "restart" | "testOnly" | "stopTimeoutSeconds" | "env"> &
      Partial<Pick<ContainerSpec, "env" | "stopTimeoutSeconds">> & { aliases?: string[] },
  ): ContainerSpec => {
    const { aliases = [], ...rest } = s;
    const testOnly = service === "pebble";
    return {
      service,
      name: containerName(topo, service),
      image: service,
      imageTag: testOnly ? plans.test[service as TestImage].tag : plans.services[service as ServiceName].tag,
      network: { name: topo.network.name, aliases: [service, ...aliases] },
      restart: "unless-stopped",
      testOnly,
      env: {},
      stopTimeoutSeconds: 10,
      ...rest,
    };
  };

  const specs: ContainerSpec[] = [
    spec("postgres", {
      mounts: [config("postgres"), mount("postgres", p.postgresData, false)],
      ports: [],
      healthcheck: health(["CMD", "pg_isready", "-q", "-h", "127.0.0.1", "-p", String(topo.internal.postgres.port), "-U", "postgres"]),
      env: { PGDATA: p.postgresData },
      // A fast shutdown (SIGINT from the entrypoint) checkpoints first: give it time.
      stopTimeoutSeconds: 60,
      waitsFor: [],
    }),
    spec("valkey", {
      mounts: [config("valkey"), mount("valkey", p.valkeyData, false)],
      ports: [],
      healthcheck: health(tcpCheck(topo.internal.valkey.port)),
      stopTimeoutSeconds: 30,
      waitsFor: [],
    }),
    spec("rspamd", {
      mounts: [config("rspamd"), mount("rspamd", p.rspamdData, false)],
      ports: [],
      healthcheck: health(tcpCheck(topo.internal.milter.port)),
      waitsFor: [],
    }),
    spec("dovecot", {
      mounts: [config("dovecot"), mount("vmail", p.mailRoot, false), mount("sieve", p.sieveRoot, false), tls],
      ports: portBindings(topo, ["imap", "imaps", "sieve"]),
      healthcheck: health(tcpCheck(topo.internal.lmtp.port)),
      // Dovecot refuses to start without its certificate and key.
      waitsFor: ["certificate"],
    }),
    spec("postfix", {
      mounts: [config("postfix"), mount("postfixSpool", p.postfixQueue, false), mount("postfixLib", p.postfixData, false), tls],
      ports: portBindings(topo, ["smtp", "submissions", "submission"]),
      healthcheck: health(["CMD", "postfix", "status"]),
      waitsFor: ["certificate"],
    }),
    spec("roundcube", {
      mounts: [config("roundcube"), mount("roundcubePublic", p.roundcubePublic, false), ...testCa],
      ports: [],
      healthcheck: health(tcpCheck(topo.internal.roundcubeFpm.port)),
      // The entrypoint creates or upgrades Roundcube's tables: its role and database must exist.
      waitsFor: ["database"],
    }),
    spec("nginx", {
      mounts: [config("nginx"), mount("roundcubePublic", p.roundcubePublic, true), mount("acmeWebroot", p.acmeWebroot, true), tls],
      ports: portBindings(topo, ["http", "https"]),
      healthcheck: health(tcpCheck(CONTAINER_PORTS.http)),
      // Locally, pebble validates HTTP-01 challenges by name: the web names resolve to nginx on
      // the service network. Never in production, where they must resolve to the public address.
      // The local webmail name (<mail host>.localhost) is among them: see localWebmailHost.
      aliases: local ? webCertificates(cfg, topo).flatMap((c) => c.names) : [],
      waitsFor: ["certificate"],
    }),
    spec("certbot", {
      mounts: [config("certbot"), mount("letsencrypt", p.letsencrypt, false), mount("acmeWebroot", p.acmeWebroot, false), ...testCa],
      ports: [],
      // Healthy while every certificate exists and none expires within 14 days (the entrypoint
      // keeps this marker file; see files/images/certbot/entrypoint.sh).
      healthcheck: health(["CMD", "test", "-e", "/run/mailstack-certbot-ok"], 300),
      waitsFor: [],
    }),
  ];
  if (local) {
    specs.push(
      spec("pebble", {
        mounts: [mount("testCa", TEST_CA_DIR, false)],
        ports: [],
        // Healthy once this run's root is published (the entrypoint removes the old one first).
        healthcheck: health(["CMD", "test", "-s", `${TEST_CA_DIR}/pebble-root.pem`]),
        waitsFor: [],
      }),
    );
  }
  return specs.sort((a, b) => (a.service < b.service ? -1 : 1));
}

/** The host folders every container above needs, with owners (created before any start). */
export function containerDataDirs(topo: Topology): DataDir[] {
  return dataDirs(topo);
}
