// Where each service listens and where its files live. Every service runs in a container from our
// own images, in production on the VM and locally on this machine, so everything as the daemons
// see it (container names on the service networks, standard ports, paths inside containers) is
// the same in both topologies. What differs is the host side: where the host folders live (the
// Hetzner volume, or .local/data), the prefix of container and network names, the host addresses
// and ports the public services are published on, the ACME CA, and where outbound mail goes.
// Templates take every host, port and path from here; none is hard-coded. Pure constants.
import { join } from "node:path";

/** Every long-running service of a mail stack, one container each. */
export const SERVICES = ["certbot", "dovecot", "nginx", "postfix", "postgres", "roundcube", "rspamd", "valkey"] as const;
export type ServiceName = (typeof SERVICES)[number];

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

export interface ServiceNetwork {
  /** Engine network name (prefixed like the containers). */
  name: string;
  ipv4Subnet: string;
  /** Production only: the VM source-NATs it to the mail host's IPv6 address. */
  ipv6Subnet?: string;
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
  /** The one engine network the services share, reached by service name. */
  network: ServiceNetwork;
  /** Internal endpoints services use to reach each other: network alias and container port. */
  internal: {
    postgres: Endpoint;
    valkey: Endpoint;
    lmtp: Endpoint;
    /** Dovecot's SASL auth service for Postfix. */
    sasl: Endpoint;
    /** Dovecot's quota policy service for Postfix (refuses over-quota mail at RCPT). */
    quotaPolicy: Endpoint;
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
   * Rspamd greylisting. Always on in production; the local runner turns it off only when asked
   * (MAILSTACK_GREYLISTING=off, printed loudly) so tests and benchmarks get mail through at once.
   */
  greylisting: boolean;
}

/** Where the volume is mounted on the VM: the host folder behind every container mount. */
export const VOLUME_MOUNT = "/srv/mail";

/** Let's Encrypt's production ACME directory; staging certificates would fail every client. */
export const LETS_ENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";

const internal: Topology["internal"] = {
  postgres: { host: "postgres", port: 5432 },
  valkey: { host: "valkey", port: 6379 },
  lmtp: { host: "dovecot", port: 24 },
  sasl: { host: "dovecot", port: 12345 },
  quotaPolicy: { host: "dovecot", port: 12340 },
  milter: { host: "rspamd", port: 11332 },
  rspamdController: { host: "rspamd", port: 11334 },
  roundcubeFpm: { host: "roundcube", port: 9000 },
  imapForWebmail: { host: "dovecot", port: CONTAINER_PORTS.imap },
  submissionForWebmail: { host: "postfix", port: CONTAINER_PORTS.submission },
  sieveForWebmail: { host: "dovecot", port: CONTAINER_PORTS.sieve },
  web: { host: "nginx", port: CONTAINER_PORTS.http },
};

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
};

/** On the VM: every service in its own container, data under /srv/mail. */
export const productionTopology: Topology = {
  kind: "production",
  hostRoot: VOLUME_MOUNT,
  namePrefix: "",
  publicBind: ["0.0.0.0", "::"],
  ports: { ...CONTAINER_PORTS },
  network: { name: "mailstack", ipv4Subnet: "172.30.25.0/24", ipv6Subnet: "fd00:6d61:696c:19::/64" },
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
 * with every host folder under the host's own data folder, and an IPv4-only service network (the
 * VM's IPv6 source NAT is a unit of its own that an existing host does not have). `base` is for
 * tests only, which move ports and names out of the way of what else runs on this machine.
 */
export function existingHostTopology(host: { dataDir: string }, base: Topology = productionTopology): Topology {
  return { ...base, hostRoot: host.dataDir, network: { name: base.network.name, ipv4Subnet: base.network.ipv4Subnet } };
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
 *  - services: the engine network the containers share;
 *  - outside: a veth pair into a network namespace that plays the internet. The host end
 *    (hostAddress) is where the stack's ports are published for the outside, as the VM publishes
 *    them on its public address; clients in the namespace use the source addresses.
 */
export function localNetworks(instance = 0) {
  const prefix = instance === 0 ? "mailstack" : `mailstack${instance}`;
  const o = instance * 16;
  return {
    services: { name: `${prefix}-local`, ipv4Subnet: `198.18.${o}.0/24` },
    outside: {
      netns: `${prefix}-outside`,
      hostInterface: `msout${instance}`,
      prefixLength: 24,
      hostAddress: `198.18.${o + 7}.1`,
      sources: [2, 3, 4, 5, 6].map((h) => `198.18.${o + 7}.${h}`),
    },
  };
}

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
    network: { ...nets.services },
    acme: { issuer: "pebble", directory: "https://pebble:14000/dir" },
    // Roundcube checks the mail certificates against pebble's root, which the pebble container
    // publishes into the test CA folder (see containerSpecs).
    paths: { ...containerPaths, webmailTrustedCa: `${TEST_CA_DIR}/pebble-root.pem` },
    outboundRelay: opts.outboundRelay ?? localSink(n),
    greylisting: opts.greylisting ?? true,
  };
}

/** The host folder behind a path under the topology's host root. */
export function hostPath(topo: Topology, rel: string): string {
  return join(topo.hostRoot, rel);
}

/** The engine name of a service's container. */
export function containerName(topo: Topology, service: string): string {
  return `${topo.namePrefix}${service}`;
}
