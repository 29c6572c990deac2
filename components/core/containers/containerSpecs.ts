// Every container of a mail stack, described once as plain data: image, command, environment,
// bind mounts, published ports, networks and aliases, capabilities, health check, restart policy,
// and what it must wait for. The Pulumi Containers component turns this into docker.Container
// resources on the VM; the local runner creates the same containers through the engine API on
// this machine. Nothing about a container is written anywhere else. Published ports are
// PostgreSQL-, Valkey- and controller-free by construction: only the mail and web ports are ever
// published. Which container joins which network is NETWORK_MEMBERS, the one place the isolation
// graph is written down (README "Networks"). Pure: the topology, the config and the image plans
// in, data out.
import type { MailConfig } from "../config/config";
import { BACKUP_LOCAL_REPOSITORY, BACKUP_VOLUME_DIR, containerName, CONTAINER_PORTS, NETWORK_NAMES, postgresMailDbAddress, resolverAddress, TEST_CA_DIR, type NetworkName, type ServiceName, type Topology } from "../topology";
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
  /**
   * The engine networks it joins (NETWORK_MEMBERS), each with the names other containers reach
   * it by there, and a fixed address where others must reach it by address (the resolver on
   * "mail", PostgreSQL on "maildb" for Postfix; topology.ts says why); sorted by network name. Empty with networkMode "host".
   */
  networks: { name: string; aliases: string[]; ipv4Address?: string }[];
  /** "host": the host's own network namespace (fail2ban, which changes the host's nftables). */
  networkMode?: "host";
  /** Linux capabilities beyond/below the engine's defaults, in the CAP_ form Docker reads back. */
  capabilities: { add: string[]; drop: string[] };
  /**
   * The container's resolver (the engine's `dns` and `dns_opt`), when it is not the engine's own:
   * Postfix asks the stack's Unbound, and trusts its AD bit (DNSSEC, for DANE).
   */
  dns?: { servers: string[]; options: string[]; search: string[] };
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

/** fail2ban's state folder inside its container (fail2ban.conf dbfile). */
export const FAIL2BAN_DB_DIR = "/var/lib/fail2ban";

/** Labels every container carries: its rendered files' hash, so a config change replaces exactly it. */
export const CONFIG_HASH_LABEL = "org.mailstack.config-hash";
export const SERVICE_LABEL = "org.mailstack.service";

/**
 * Who joins which network: a container can reach every port of every container it shares a
 * network with, and nothing else (Docker isolates bridge networks from each other; the local
 * runner's guard table does the same for podman). Each container has at most one network that
 * is not internal, so the engine's choice of gateway (and of where published ports land) is
 * never a tie. See topology.ts NETWORK_NAMES for what each network carries.
 */
export const NETWORK_MEMBERS: Record<NetworkName, readonly (ServiceName | TestImage)[]> = {
  mail: ["dovecot", "postfix", "rspamd", "unbound"],
  web: ["certbot", "nginx", "pebble"],
  webmail: ["nginx", "roundcube"],
  mailaccess: ["dovecot", "postfix", "roundcube"],
  maildb: ["dovecot", "postfix", "postgres"],
  webmaildb: ["postgres", "roundcube"],
  rspamdstore: ["rspamd", "valkey"],
  mailsubmit: ["dovecot", "postfix"],
  backupdata: ["backup", "postgres", "valkey"],
  backupout: ["backup"],
};

/**
 * Names a service has on one network only, beyond its own (which it has on every network it
 * joins): a client that must arrive over that network dials this name, never the service's.
 */
export const NETWORK_ALIASES: Partial<Record<NetworkName, Partial<Record<ServiceName, string[]>>>> = {
  mailsubmit: { postfix: ["postfix-internal"] },
};

/** The networks a service joins, in NETWORK_NAMES order. */
export function networksOf(service: ServiceName | TestImage): NetworkName[] {
  return NETWORK_NAMES.filter((n) => NETWORK_MEMBERS[n].includes(service));
}

/**
 * Dropped from every container: NET_RAW lets a process forge packets, and with it a
 * compromised container could reach another container's address on a network it does not
 * share (the kernel accepts a packet for any of its own addresses on any interface) or spoof
 * ARP on a shared bridge. Docker grants it by default, podman does not; dropping it everywhere
 * makes both the same. Nothing here pings or sniffs.
 */
export const DROPPED_CAPABILITIES = ["CAP_NET_RAW"];

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
    s: Omit<ContainerSpec, "service" | "name" | "image" | "imageTag" | "networks" | "capabilities" | "restart" | "testOnly" | "stopTimeoutSeconds" | "env"> &
      Partial<Pick<ContainerSpec, "env" | "stopTimeoutSeconds">> & { webAliases?: string[]; capAdd?: string[]; addresses?: Partial<Record<NetworkName, string>> },
  ): ContainerSpec => {
    const { webAliases = [], capAdd = [], addresses = {}, ...rest } = s;
    const testOnly = service === "pebble";
    // By engine name: a topology may put several of the graph's networks on one engine network
    // (the image tests use one), and a container joins each engine network once.
    const byName = new Map<string, string[]>();
    for (const n of s.networkMode === "host" ? [] : networksOf(service)) {
      const name = topo.networks[n].name;
      const own = NETWORK_ALIASES[n]?.[service as ServiceName] ?? [];
      byName.set(name, [...new Set([...(byName.get(name) ?? [service]), ...own, ...(n === "web" ? webAliases : [])])]);
    }
    const fixed = (name: string) => {
      const n = NETWORK_NAMES.find((x) => topo.networks[x].name === name && addresses[x] !== undefined);
      return n === undefined ? {} : { ipv4Address: addresses[n] as string };
    };
    const networks = [...byName].map(([name, aliases]) => ({ name, aliases, ...fixed(name) })).sort((a, b) => (a.name < b.name ? -1 : 1));
    return {
      service,
      name: containerName(topo, service),
      image: service,
      imageTag: testOnly ? plans.test[service as TestImage].tag : plans.services[service as ServiceName].tag,
      networks,
      capabilities: { add: capAdd, drop: DROPPED_CAPABILITIES },
      restart: "unless-stopped",
      testOnly,
      env: {},
      stopTimeoutSeconds: 10,
      ...rest,
    };
  };
  const sockets = (readOnly: boolean) => mount("postfixDovecot", p.postfixDovecotSockets, readOnly);
  const authLogDir = p.authFailureLog.slice(0, p.authFailureLog.lastIndexOf("/"));

  const specs: ContainerSpec[] = [
    spec("postgres", {
      mounts: [config("postgres"), mount("postgres", p.postgresData, false)],
      ports: [],
      addresses: { maildb: postgresMailDbAddress(topo) },
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
      mounts: [config("dovecot"), mount("vmail", p.mailRoot, false), mount("sieve", p.sieveRoot, false), tls, sockets(false), mount("authLog", authLogDir, false)],
      ports: portBindings(topo, ["imap", "imaps", "sieve"]),
      healthcheck: health(tcpCheck(CONTAINER_PORTS.imap)),
      // Dovecot refuses to start without its certificate and key.
      waitsFor: ["certificate"],
    }),
    spec("postfix", {
      // The sockets read-only: Postfix connects to them (a socket needs no write access to its
      // file system) and can create nothing there.
      mounts: [config("postfix"), mount("postfixSpool", p.postfixQueue, false), mount("postfixLib", p.postfixData, false), tls, sockets(true)],
      ports: portBindings(topo, ["smtp", "submissions", "submission"]),
      // Postfix and postsrsd (SRS, on the container's loopback): without it every message defers.
      // (files/images/postfix/healthcheck.sh, port SRS_PORTS.forward).
      healthcheck: health(["CMD", "mailstack-healthcheck"]),
      // trust-ad: glibc passes on the resolver's AD bit only with it (DANE's DNSSEC proof).
      // search: podman's network DNS domain on the local stack (files/images/unbound/entrypoint.sh).
      dns: { servers: [resolverAddress(topo)], options: ["trust-ad"], search: topo.engineDnsDomain === undefined ? [] : [topo.engineDnsDomain] },
      waitsFor: ["certificate"],
    }),
    spec("unbound", {
      mounts: [config("unbound")],
      ports: [],
      healthcheck: health(["CMD", "unbound-control", "-c", `${topo.configDirs.unbound}/unbound.conf`, "status"]),
      addresses: { mail: resolverAddress(topo) },
      waitsFor: [],
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
      webAliases: local ? webCertificates(cfg, topo).flatMap((c) => c.names) : [],
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
    spec("fail2ban", {
      // Reads Dovecot's failed logins (and truncates the file when it grows large); keeps its
      // database of bans on the volume. The host's network namespace and NET_ADMIN: its bans are
      // nftables rules in front of the engine's forwarding to the containers (README "Bans").
      mounts: [config("fail2ban"), mount("authLog", authLogDir, false), mount("fail2ban", FAIL2BAN_DB_DIR, false)],
      ports: [],
      networkMode: "host",
      capAdd: ["CAP_NET_ADMIN"],
      healthcheck: health(["CMD", "fail2ban-client", "-c", topo.configDirs.fail2ban, "ping"]),
      waitsFor: [],
    }),
  ];
  if (cfg.backup !== undefined) {
    specs.push(
      spec("backup", {
        // The whole host root as one mount: the backup links maildir files into a staging tree
        // (hard links cannot cross mounts), and a restore writes back into every service's folder.
        mounts: [
          config("backup"),
          { source: topo.hostRoot, target: BACKUP_VOLUME_DIR, readOnly: false },
          ...(topo.backupRepository !== undefined ? [{ source: topo.backupRepository, target: BACKUP_LOCAL_REPOSITORY, readOnly: false }] : []),
        ],
        ports: [],
        // Unhealthy once the last successful backup is older than the schedule allows.
        healthcheck: health(["CMD", "mailstack-backup", "health"], 300),
        // A backup in progress finishes its current restic call; restic resumes from the last
        // saved index on the next run, so a kill loses time, never a snapshot already written.
        stopTimeoutSeconds: 30,
        waitsFor: ["database"],
      }),
    );
  }
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
