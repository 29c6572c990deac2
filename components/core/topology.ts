// Where each service listens and where its files live. Every service runs in a container from our
// own images, in production on the VM and locally on this machine, so everything as the daemons
// see it (container names on the service networks, standard ports, paths inside containers) is
// the same in both topologies. What differs is the host side: where the host folders live (the
// Hetzner volume, or .local/data), the prefix of container and network names, the networks'
// subnets, the host addresses and ports the public services are published on, the ACME CA, and
// where outbound mail goes. Templates take every host, port and path from here; none is
// hard-coded. Pure constants.
import { join } from "node:path";

/** Every long-running service of a mail stack, one container each. */
export const SERVICES = ["backup", "certbot", "dovecot", "fail2ban", "nginx", "postfix", "postgres", "roundcube", "rspamd", "unbound", "valkey"] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The services a stack runs: every one, except backup when the stack configures none. */
export function activeServices(cfg: { backup?: unknown }): ServiceName[] {
  return SERVICES.filter((s) => s !== "backup" || cfg.backup !== undefined);
}

export interface Endpoint {
  host: string;
  port: number;
}

export interface PublicPorts {
  smtp: number;
  submission: number;
  submissions: number;
  imap: number;
  imaps: number;
  sieve: number;
  http: number;
  https: number;
}

/** What the public services listen on inside their containers, in every topology. */
export const CONTAINER_PORTS: PublicPorts = { smtp: 25, submission: 587, submissions: 465, imap: 143, imaps: 993, sieve: 4190, http: 80, https: 443 };

/**
 * The engine networks of a stack. Each joins only the containers that talk over it
 * (containerSpecs.ts NETWORK_MEMBERS), so a compromised container reaches only its own peers:
 *  - mail: Postfix, Dovecot, Rspamd; the mail ports are published here, and it is the way out
 *    for Postfix's outbound mail and Rspamd's DNS lookups (the milter and the learning
 *    controller are reached over it too);
 *  - web: nginx and certbot (and pebble locally); ports 80/443 and certbot's way to the ACME CA;
 *  - webmail: nginx to Roundcube's FastCGI;
 *  - mailaccess: Roundcube to IMAP, ManageSieve and submission;
 *  - maildb: Postfix and Dovecot to PostgreSQL (role mailserver, database mail);
 *  - webmaildb: Roundcube to PostgreSQL (roles roundcube and mailpassword);
 *  - rspamdstore: Rspamd to Valkey;
 *  - mailsubmit: Dovecot to Postfix's internal submission port (Sieve vacation and redirect,
 *    quota warnings), which admits this network's addresses without AUTH: Dovecot and Postfix
 *    alone, so no other container can send as our domains through it;
 *  - backupdata: the backup container to PostgreSQL (role mailbackup) and Valkey (its RDB);
 *  - backupout: the backup container alone: its way out to the backup repository.
 * The Unbound resolver joins "mail" (its way out) at a fixed address, for Postfix and Rspamd.
 * All but mail, web and backupout are internal: no way out of the host, nothing published. LMTP, SASL and the
 * quota policy are on no network at all: Dovecot serves them on Unix sockets in a folder only
 * Postfix mounts (paths.postfixDovecotSockets).
 */
export const NETWORK_NAMES = ["mail", "web", "webmail", "mailaccess", "maildb", "webmaildb", "rspamdstore", "mailsubmit", "backupdata", "backupout"] as const;
export type NetworkName = (typeof NETWORK_NAMES)[number];

export interface ServiceNetwork {
  /** Engine network name (prefixed like the containers). */
  name: string;
  ipv4Subnet: string;
  /** Production only, on the two published networks: the VM DNATs IPv6 clients to it. */
  ipv6Subnet?: string;
  /** No route out of the host and no published port (Docker/podman `internal`). */
  internal: boolean;
}

export interface Topology {
  kind: "production" | "local";
  /** Host folder that holds every bind-mounted folder: the volume on the VM, .local/data here. */
  hostRoot: string;
  /** Prefix of container and network names on the engine ("" on the VM, which runs nothing else). */
  namePrefix: string;
  /** Host addresses the public ports are published on. */
  publicBind: string[];
  /** Host ports clients dial (published); inside the containers the services use CONTAINER_PORTS. */
  ports: PublicPorts;
  /** The engine networks, each joined only by the containers that talk over it. */
  networks: Record<NetworkName, ServiceNetwork>;
  /** Internal endpoints services use to reach each other: network alias and container port. */
  internal: {
    postgres: Endpoint;
    valkey: Endpoint;
    milter: Endpoint;
    rspamdController: Endpoint;
    /** Roundcube's PHP FastCGI endpoint behind nginx. */
    roundcubeFpm: Endpoint;
    /** Where Roundcube reaches IMAP, submission and ManageSieve (TLS, by service name). */
    imapForWebmail: Endpoint;
    submissionForWebmail: Endpoint;
    sieveForWebmail: Endpoint;
    /** The web front as certbot's HTTP-01 challenges reach it. */
    web: Endpoint;
    /**
     * Postfix's internal, unpublished submission port for Dovecot's own mail (Sieve vacation and
     * redirect, quota warnings): no AUTH, admitted by network. Only INTERNAL_SUBMISSION_CLIENTS may
     * reach it.
     */
    internalSubmission: Endpoint;
    /**
     * Postfix's listener for Rspamd's DMARC aggregate reports (rspamadm dmarc_report speaks SMTP
     * without AUTH): admits the mail network only (Rspamd's), never published, relaying for one sender.
     */
    reportsSmtp: Endpoint;
  };
  /**
   * Who issues the web and mail certificates: Let's Encrypt production (the only CA the CAA
   * records allow), or, on the local stack where no ACME server can reach us, pebble (Let's
   * Encrypt's test CA) in a container of its own.
   */
  acme: { issuer: "letsencrypt" | "pebble"; directory: string };
  /** Each service's rendered files (RenderedFile.path is relative to this), mounted read-only. */
  configDirs: Record<ServiceName, string>;
  /** Absolute paths as the daemons see them inside their containers. */
  paths: {
    postfixQueue: string;
    postfixData: string;
    dovecotBase: string;
    mailRoot: string;
    sieveRoot: string;
    rspamdData: string;
    valkeyData: string;
    postgresData: string;
    /** Roundcube's public files as the web front serves them (copied there by Roundcube's image). */
    roundcubePublic: string;
    /** ACME HTTP-01 challenge files: written by certbot, served by nginx. */
    acmeWebroot: string;
    /** certbot's state (/etc/letsencrypt) inside the certbot container. */
    letsencrypt: string;
    /** The TLS folder the certificate hook maintains: one sub-folder per certificate name. */
    tlsDir: string;
    /** The mail host's certificate and key (Postfix, Dovecot), inside tlsDir. */
    tlsCert: string;
    tlsKey: string;
    /** CA bundle Roundcube checks the IMAP/SMTP/Sieve certificates against. */
    webmailTrustedCa: string;
    /**
     * Dovecot's LMTP, SASL and quota-policy sockets (DOVECOT_SOCKETS), in a folder that only
     * the Dovecot and Postfix containers mount: reachable from no network.
     */
    postfixDovecotSockets: string;
    /** Where Dovecot writes failed logins for fail2ban (one JSON event a line). */
    authFailureLog: string;
  };
  /** Log destinations: the container runtime keeps stdout/stderr. */
  logs: { postfix: string; dovecot: string; rspamd: string };
  /** Unix user that owns the maildirs. */
  mailUser: { name: string; uid: number; gid: number };
  /** Postfix mynetworks and Rspamd local_addrs: loopback inside the container only. */
  mynetworks: string[];
  /**
   * Local only: every non-local recipient goes to this SMTP sink instead of real MX hosts
   * (the e2e "remote MX"). Overrides a configured relay. Never set in production.
   */
  outboundRelay?: Endpoint;
  /**
   * Local only: the "outside" network (the namespace that plays the internet). The local resolver
   * answers for the test domains there (remote.example), so mail from it passes SPF.
   */
  outsideSubnet?: string;
  /**
   * Local only: the container engine's DNS domain (podman's "dns.podman"). podman 4.3 replaces the
   * resolv.conf of a container that gets its own DNS server (Postfix), so container names are
   * looked up under this domain, which the resolver forwards to the engine. Docker's embedded DNS
   * (production) answers container names itself and needs none.
   */
  engineDnsDomain?: string;
  /** Local only: the client addresses in the outside namespace (each gets a PTR and an A record). */
  outsideSources?: string[];
  /**
   * Local only: the folder (on this machine) that holds the backup repository, mounted into the
   * backup container at BACKUP_LOCAL_REPOSITORY and used instead of the stack's backup.repository
   * (which is somewhere on the internet). Never set in production.
   */
  backupRepository?: string;
  /**
   * Rspamd greylisting. Always on in production; the local runner turns it off only when asked
   * (MAILSTACK_GREYLISTING=off, printed loudly) so tests and benchmarks get mail through at once.
   */
  greylisting: boolean;
}

/** Where the volume is mounted on the VM: the host folder behind every container mount. */
export const VOLUME_MOUNT = "/srv/mail";

/** Let's Encrypt's production ACME directory; staging certificates would fail every client. */
export const LETS_ENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";

/** Socket names in paths.postfixDovecotSockets; Dovecot creates them, Postfix connects. */
export const DOVECOT_SOCKETS = { lmtp: "lmtp", sasl: "auth", quotaPolicy: "quota-status" } as const;

/** The full path of one of Dovecot's sockets for Postfix, as both containers see it. */
export function dovecotSocket(topo: Pick<Topology, "paths">, which: keyof typeof DOVECOT_SOCKETS): string {
  return `${topo.paths.postfixDovecotSockets}/${DOVECOT_SOCKETS[which]}`;
}

const internal: Topology["internal"] = {
  postgres: { host: "postgres", port: 5432 },
  valkey: { host: "valkey", port: 6379 },
  milter: { host: "rspamd", port: 11332 },
  rspamdController: { host: "rspamd", port: 11334 },
  roundcubeFpm: { host: "roundcube", port: 9000 },
  imapForWebmail: { host: "dovecot", port: CONTAINER_PORTS.imap },
  submissionForWebmail: { host: "postfix", port: CONTAINER_PORTS.submission },
  sieveForWebmail: { host: "dovecot", port: CONTAINER_PORTS.sieve },
  web: { host: "nginx", port: CONTAINER_PORTS.http },
  // 588, as mailcow's port for its webmail's and Dovecot's mail; never in CONTAINER_PORTS, so never published.
  // A name Postfix has on the mailsubmit network alone (containerSpecs NETWORK_ALIASES): "postfix"
  // resolves to its address on any network it shares with Dovecot, and Postfix admits only
  // connections that come in over mailsubmit.
  internalSubmission: { host: "postfix-internal", port: 588 },
  reportsSmtp: { host: "postfix", port: 10027 },
};

/**
 * The only services that may reach Postfix's internal submission port: it relays without AUTH, so
 * anything that reaches it can send as our domains. Postfix admits it by network
 * (internalSubmissionNetworks): the "mailsubmit" network, which containerSpecs' NETWORK_MEMBERS
 * gives to these and Postfix alone (a unit test holds the two together).
 */
export const INTERNAL_SUBMISSION_CLIENTS: readonly ServiceName[] = ["dovecot"];

/** The networks Postfix's internal submission port admits: the mailsubmit network's. */
export function internalSubmissionNetworks(topo: Pick<Topology, "networks">): string[] {
  const n = topo.networks.mailsubmit;
  return [n.ipv4Subnet, ...(n.ipv6Subnet ? [`[${n.ipv6Subnet.replace("/", "]/")}`] : [])];
}

const configDirs = Object.fromEntries([...SERVICES].map((s) => [s, "/config"])) as Record<ServiceName, string>;

const containerPaths: Topology["paths"] = {
  postfixQueue: "/var/spool/postfix",
  postfixData: "/var/lib/postfix",
  dovecotBase: "/run/dovecot",
  mailRoot: "/var/mail/vmail",
  sieveRoot: "/var/mail/sieve",
  rspamdData: "/var/lib/rspamd",
  valkeyData: "/var/lib/valkey",
  postgresData: "/var/lib/postgresql/data",
  roundcubePublic: "/srv/roundcube",
  acmeWebroot: "/srv/acme",
  letsencrypt: "/etc/letsencrypt",
  tlsDir: "/etc/mail-tls",
  // The hook keeps each certificate name in its own folder; the mail host's is "mail".
  tlsCert: "/etc/mail-tls/mail/fullchain.pem",
  tlsKey: "/etc/mail-tls/mail/privkey.pem",
  webmailTrustedCa: "/etc/ssl/certs/ca-certificates.crt",
  postfixDovecotSockets: "/run/dovecot-postfix",
  authFailureLog: "/var/log/mailstack-auth/failures.json",
};

/**
 * Production networks. "mailstack" keeps the name and subnets of the one network earlier
 * versions had, so the VM's IPv6 egress rule (written by cloud-init at the first boot, with this
 * subnet) still matches Postfix's outbound mail. The web network's IPv6 needs no such rule.
 */
const productionNetworks: Record<NetworkName, ServiceNetwork> = {
  mail: { name: "mailstack", ipv4Subnet: "172.30.25.0/24", ipv6Subnet: "fd00:6d61:696c:19::/64", internal: false },
  web: { name: "mailstack-web", ipv4Subnet: "172.30.26.0/24", ipv6Subnet: "fd00:6d61:696c:1a::/64", internal: false },
  webmail: { name: "mailstack-webmail", ipv4Subnet: "172.30.27.0/24", internal: true },
  mailaccess: { name: "mailstack-mailaccess", ipv4Subnet: "172.30.28.0/24", internal: true },
  maildb: { name: "mailstack-maildb", ipv4Subnet: "172.30.29.0/24", internal: true },
  webmaildb: { name: "mailstack-webmaildb", ipv4Subnet: "172.30.30.0/24", internal: true },
  rspamdstore: { name: "mailstack-rspamdstore", ipv4Subnet: "172.30.31.0/24", internal: true },
  mailsubmit: { name: "mailstack-mailsubmit", ipv4Subnet: "172.30.32.0/24", internal: true },
  backupdata: { name: "mailstack-backupdata", ipv4Subnet: "172.30.33.0/24", internal: true },
  backupout: { name: "mailstack-backupout", ipv4Subnet: "172.30.34.0/24", internal: false },
};

/** On the VM: every service in its own container, data under /srv/mail. */
export const productionTopology: Topology = {
  kind: "production",
  hostRoot: VOLUME_MOUNT,
  namePrefix: "",
  publicBind: ["0.0.0.0", "::"],
  ports: { ...CONTAINER_PORTS },
  networks: productionNetworks,
  internal,
  acme: { issuer: "letsencrypt", directory: LETS_ENCRYPT_DIRECTORY },
  configDirs,
  paths: containerPaths,
  logs: { postfix: "/dev/stdout", dovecot: "/dev/stderr", rspamd: "console" },
  mailUser: { name: "vmail", uid: 5000, gid: 5000 },
  mynetworks: ["127.0.0.0/8", "[::1]/128"],
  greylisting: true,
};

/**
 * An existing Docker host (`mailstack:host`): production's containers, names and standard ports,
 * with every host folder under the host's own data folder, and IPv4-only service networks (the
 * VM's IPv6 source NAT is a unit of its own that an existing host does not have): the same
 * networks as `base`, each keeping its name, subnet and internal flag, without its IPv6 subnet.
 * `base` is for tests only, which move ports and names out of the way of what else runs on this
 * machine.
 */
export function existingHostTopology(host: { dataDir: string }, base: Topology = productionTopology): Topology {
  const networks = Object.fromEntries(
    NETWORK_NAMES.map((n) => {
      const { name, ipv4Subnet, internal } = base.networks[n];
      return [n, { name, ipv4Subnet, internal }];
    }),
  ) as Record<NetworkName, ServiceNetwork>;
  return { ...base, hostRoot: host.dataDir, networks };
}

/**
 * Several local stacks can run side by side on one machine (a developer's and a test run, or
 * parallel work in several checkouts): MAILSTACK_INSTANCE=n (0 to 5, default 0) moves every host
 * port up by n x 10000, and gives the containers, networks and namespace names and subnets of
 * their own. Instance 0 is what the README documents.
 */
export const LOCAL_INSTANCES = 6;

export function localInstance(env: Record<string, string | undefined> = process.env): number {
  const raw = env.MAILSTACK_INSTANCE ?? "0";
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n >= LOCAL_INSTANCES) throw new Error(`MAILSTACK_INSTANCE must be a number from 0 to ${LOCAL_INSTANCES - 1}, not "${raw}"`);
  return n;
}

/**
 * The local stack's test networks, from 198.18.0.0/15 (RFC 2544's range for test networks), never
 * routed anywhere but between these networks and the host.
 *  - services: the engine networks (the same graph as production, see NETWORK_NAMES), one /24
 *    each: 198.18.<16n>.0 to 198.18.<16n+9>.0;
 *  - outside: a veth pair into a network namespace that plays the internet. The host end
 *    (hostAddress) is where the stack's ports are published for the outside, as the VM publishes
 *    them on its public address; clients in the namespace use the source addresses.
 */
export function localNetworks(instance = 0) {
  const prefix = instance === 0 ? "mailstack" : `mailstack${instance}`;
  const o = instance * 16;
  // The outside network takes the /24 after the service networks' (16 per instance: room to grow).
  const outside = o + NETWORK_NAMES.length;
  const services = Object.fromEntries(
    NETWORK_NAMES.map((n, i) => [n, { name: `${prefix}-${n}`, ipv4Subnet: `198.18.${o + i}.0/24`, internal: productionNetworks[n].internal }]),
  ) as Record<NetworkName, ServiceNetwork>;
  return {
    services,
    /** The single network of earlier versions, removed by `up` and `down` when it is left over. */
    legacy: `${prefix}-local`,
    outside: {
      netns: `${prefix}-outside`,
      hostInterface: `msout${instance}`,
      prefixLength: 24,
      hostAddress: `198.18.${outside}.1`,
      sources: [2, 3, 4, 5, 6].map((h) => `198.18.${outside}.${h}`),
    },
  };
}

/** Where the backup container sees the whole host root (one mount: hard links work only within one). */
export const BACKUP_VOLUME_DIR = "/volume";
/** Local only: the backup repository folder inside the backup container. */
export const BACKUP_LOCAL_REPOSITORY = "/repository";

/** Local only: pebble's TLS certificate and issuing root, as certbot and Roundcube see them. */
export const TEST_CA_DIR = "/etc/mailstack-test-ca";

/** The local SMTP sink: outbound mail for other domains goes here (a test listens on the host). */
export function localSink(instance = 0): Endpoint {
  return { host: localNetworks(instance).outside.hostAddress, port: 12525 + instance * 10000 };
}

/** The local stack: same containers, host ports 10000 + the standard port, state under stateDir. */
export function localTopology(stateDir: string, opts: { outboundRelay?: Endpoint; greylisting?: boolean; instance?: number } = {}): Topology {
  const n = opts.instance ?? 0;
  const nets = localNetworks(n);
  const base = 10000 * (n + 1);
  return {
    ...productionTopology,
    kind: "local",
    hostRoot: join(stateDir, "data"),
    namePrefix: n === 0 ? "mailstack-" : `mailstack${n}-`,
    publicBind: ["127.0.0.1", nets.outside.hostAddress],
    ports: { smtp: base + 25, submission: base + 587, submissions: base + 465, imap: base + 143, imaps: base + 993, sieve: base + 4190, http: base + 80, https: base + 443 },
    networks: nets.services,
    acme: { issuer: "pebble", directory: "https://pebble:14000/dir" },
    // Roundcube checks the mail certificates against pebble's root, which the pebble container
    // publishes into the test CA folder (see containerSpecs).
    paths: { ...containerPaths, webmailTrustedCa: `${TEST_CA_DIR}/pebble-root.pem` },
    outboundRelay: opts.outboundRelay ?? localSink(n),
    outsideSubnet: `${nets.outside.hostAddress.replace(/\.\d+$/, ".0")}/${nets.outside.prefixLength}`,
    outsideSources: [...nets.outside.sources],
    engineDnsDomain: "dns.podman",
    backupRepository: join(stateDir, "backup-repository"),
    greylisting: opts.greylisting ?? true,
  };
}

/** Host `host` of a network's IPv4 /24: the fixed addresses below. */
function fixedAddress(topo: Pick<Topology, "networks">, network: NetworkName, host: number, what: string): string {
  const subnet = topo.networks[network].ipv4Subnet;
  const m = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(subnet);
  if (m === null) throw new Error(`the ${network} network ${subnet} must be a /24 (${what} takes its host ${host})`);
  return `${m[1]}.${host}`;
}

/**
 * The resolver's fixed address on the mail network (host 53 of its IPv4 subnet): the engine's
 * per-container `dns` option takes an address, not a name.
 */
export function resolverAddress(topo: Pick<Topology, "networks">): string {
  return fixedAddress(topo, "mail", 53, "the resolver");
}

/**
 * PostgreSQL's fixed address on the maildb network (host 5), which Postfix's lookup tables dial.
 * Postfix asks Unbound for every name, and Unbound, on the mail network only, cannot learn the
 * names of containers on other networks: podman's DNS answers a client only about the containers
 * on its own networks (measured: "postgres" from Postfix was a temporary lookup failure, every
 * message deferred). Dovecot and Roundcube use the name, through the engine's DNS.
 */
export function postgresMailDbAddress(topo: Pick<Topology, "networks">): string {
  return fixedAddress(topo, "maildb", 5, "PostgreSQL");
}

/** The host folder behind a path under the topology's host root. */
export function hostPath(topo: Topology, rel: string): string {
  return join(topo.hostRoot, rel);
}

/** Every subnet of the stack's networks (IPv4 and IPv6), sorted: "the stack's own addresses". */
export function stackSubnets(topo: Pick<Topology, "networks">): { v4: string[]; v6: string[] } {
  const nets = NETWORK_NAMES.map((n) => topo.networks[n]);
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  return { v4: uniq(nets.map((n) => n.ipv4Subnet)), v6: uniq(nets.flatMap((n) => (n.ipv6Subnet === undefined ? [] : [n.ipv6Subnet]))) };
}

/** The engine name of a service's container. */
export function containerName(topo: Topology, service: string): string {
  return `${topo.namePrefix}${service}`;
}
