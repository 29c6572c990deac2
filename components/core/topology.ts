// Where each service listens and where its files live. Production: container names and
// standard ports on the VM's Docker network, data on the Hetzner volume. Local: 127.0.0.1,
// high ports and a state folder, so the same rendered files run as plain processes on this
// machine. Templates take every host, port and path from here; none is hard-coded.
import { join } from "node:path";

export type ServiceName = "postfix" | "dovecot" | "rspamd" | "redis" | "postgres" | "roundcube" | "caddy";

export interface Endpoint {
  host: string;
  port: number;
}

export interface Topology {
  kind: "production" | "local";
  /** Addresses the public mail ports bind to. */
  publicBind: string[];
  ports: {
    smtp: number;
    submission: number;
    submissions: number;
    imap: number;
    imaps: number;
    sieve: number;
    http: number;
    https: number;
  };
  /** Internal endpoints services use to reach each other. */
  internal: {
    postgres: Endpoint;
    redis: Endpoint;
    lmtp: Endpoint;
    /** Dovecot's SASL auth service for Postfix. */
    sasl: Endpoint;
    /** Dovecot's quota policy service for Postfix (refuses over-quota mail at RCPT). */
    quotaPolicy: Endpoint;
    milter: Endpoint;
    rspamdController: Endpoint;
    /** Roundcube's PHP FastCGI endpoint behind Caddy. */
    roundcubeFpm: Endpoint;
    /** Where Roundcube reaches IMAP and submission (internal names with TLS, or loopback). */
    imapForWebmail: Endpoint;
    submissionForWebmail: Endpoint;
    /** Where Roundcube's managesieve plugin reaches Dovecot's ManageSieve (STARTTLS). */
    sieveForWebmail: Endpoint;
    /** Caddy's admin API (config reloads); never published. */
    caddyAdmin: Endpoint;
  };
  /**
   * Who issues Caddy's certificates: Let's Encrypt production (the only CA that CAA allows), or
   * Caddy's internal CA on the local stack, where no ACME server can reach us.
   */
  acme: "letsencrypt" | "internal";
  /**
   * Each service's rendered files (RenderedFile.path is relative to this). In production the
   * VM folder /srv/mail/config/<service> is bind-mounted read-only here.
   */
  configDirs: Record<ServiceName, string>;
  /** Absolute paths as the daemons see them. */
  paths: {
    postfixQueue: string;
    postfixData: string;
    dovecotBase: string;
    mailRoot: string;
    sieveRoot: string;
    rspamdData: string;
    dkimKeys: string;
    redisData: string;
    postgresData: string;
    roundcubeRoot: string;
    caddyData: string;
    webRoot: string;
    tlsCert: string;
    tlsKey: string;
    /** CA bundle Roundcube checks the IMAP/SMTP/Sieve certificates against. */
    webmailTrustedCa: string;
    logDir: string;
  };
  /** Log destinations: /dev/stdout in containers, files locally. */
  logs: { postfix: string; dovecot: string; rspamd: string };
  /** Unix user that owns the maildirs. */
  mailUser: { name: string; uid: number; gid: number };
  /**
   * Postfix mynetworks and Rspamd local_addrs: loopback only. Locally just 127.0.0.1/32 and ::1,
   * so a test client bound to 127.0.0.2 is "remote".
   */
  mynetworks: string[];
  /**
   * Source addresses for outbound SMTP, for a Postfix that runs on the host itself. Empty in both
   * topologies: in production Postfix is in a container, which cannot bind the host's addresses;
   * the host's NAT makes its mail leave from the primary IPv4 and the IPv6 with PTR and AAAA.
   */
  smtpBind: { ipv4: string; ipv6: string };
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

/** On the VM: every service in its own container on one Docker network, data under /srv/mail. */
export const productionTopology: Topology = {
  kind: "production",
  publicBind: ["0.0.0.0", "::"],
  ports: { smtp: 25, submission: 587, submissions: 465, imap: 143, imaps: 993, sieve: 4190, http: 80, https: 443 },
  internal: {
    postgres: { host: "postgres", port: 5432 },
    redis: { host: "redis", port: 6379 },
    lmtp: { host: "dovecot", port: 24 },
    sasl: { host: "dovecot", port: 12345 },
    quotaPolicy: { host: "dovecot", port: 12340 },
    milter: { host: "rspamd", port: 11332 },
    rspamdController: { host: "rspamd", port: 11334 },
    roundcubeFpm: { host: "roundcube", port: 9000 },
    imapForWebmail: { host: "dovecot", port: 143 },
    submissionForWebmail: { host: "postfix", port: 587 },
    sieveForWebmail: { host: "dovecot", port: 4190 },
    caddyAdmin: { host: "localhost", port: 2019 },
  },
  acme: "letsencrypt",
  configDirs: {
    postfix: "/config",
    dovecot: "/config",
    rspamd: "/config",
    redis: "/config",
    postgres: "/config",
    // The official Roundcube image includes every *.php here after its own generated config.
    roundcube: "/var/roundcube/config",
    caddy: "/config",
  },
  paths: {
    postfixQueue: "/var/spool/postfix",
    postfixData: "/var/lib/postfix",
    dovecotBase: "/run/dovecot",
    mailRoot: "/var/mail/vmail",
    sieveRoot: "/var/mail/sieve",
    rspamdData: "/var/lib/rspamd",
    dkimKeys: "/var/lib/rspamd/dkim",
    redisData: "/data",
    postgresData: "/var/lib/postgresql/data",
    roundcubeRoot: "/var/www/html",
    caddyData: "/data",
    webRoot: "/srv/www",
    tlsCert: "/etc/mail-tls/fullchain.pem",
    tlsKey: "/etc/mail-tls/privkey.pem",
    webmailTrustedCa: "/etc/ssl/certs/ca-certificates.crt",
    logDir: "/var/log/mail",
  },
  logs: { postfix: "/dev/stdout", dovecot: "/dev/stderr", rspamd: "console" },
  mailUser: { name: "vmail", uid: 5000, gid: 5000 },
  mynetworks: ["127.0.0.0/8", "[::1]/128"],
  smtpBind: { ipv4: "", ipv6: "" },
  greylisting: true,
};

/** Where the volume is mounted on the VM, and the host folder behind each container mount. */
export const VOLUME_MOUNT = "/srv/mail";

/** High loopback ports for the local stack; base 10000 + the standard port where it fits. */
export function localTopology(
  stateDir: string,
  mailUser = { name: "mail", uid: 8, gid: 8 },
  opts: { outboundRelay?: Endpoint; greylisting?: boolean } = {},
): Topology {
  const p = (name: string) => join(stateDir, name);
  const lo = "127.0.0.1";
  return {
    kind: "local",
    publicBind: [lo],
    ports: { smtp: 10025, submission: 10587, submissions: 10465, imap: 10143, imaps: 10993, sieve: 14190, http: 10080, https: 10443 },
    internal: {
      postgres: { host: lo, port: 15432 },
      redis: { host: lo, port: 16379 },
      lmtp: { host: lo, port: 10024 },
      sasl: { host: lo, port: 12345 },
      quotaPolicy: { host: lo, port: 12340 },
      milter: { host: lo, port: 11332 },
      rspamdController: { host: lo, port: 11334 },
      roundcubeFpm: { host: lo, port: 19000 },
      imapForWebmail: { host: lo, port: 10143 },
      submissionForWebmail: { host: lo, port: 10587 },
      sieveForWebmail: { host: lo, port: 14190 },
      caddyAdmin: { host: lo, port: 12019 },
    },
    acme: "internal",
    configDirs: {
      postfix: p("postfix/etc"),
      dovecot: p("dovecot/etc"),
      rspamd: p("rspamd/etc"),
      redis: p("redis/etc"),
      postgres: p("postgres/etc"),
      roundcube: p("roundcube/etc"),
      caddy: p("caddy/etc"),
    },
    paths: {
      postfixQueue: p("postfix/spool"),
      postfixData: p("postfix/data"),
      dovecotBase: p("dovecot/run"),
      mailRoot: p("mail/vmail"),
      sieveRoot: p("mail/sieve"),
      rspamdData: p("rspamd/data"),
      dkimKeys: p("rspamd/dkim"),
      redisData: p("redis"),
      postgresData: p("postgres/data"),
      roundcubeRoot: p("roundcube/www"),
      caddyData: p("caddy/data"),
      webRoot: p("www"),
      tlsCert: p("tls/fullchain.pem"),
      tlsKey: p("tls/privkey.pem"),
      // A world-readable copy of Caddy's internal root (Caddy keeps its own 0600), written by
      // the local caddy service: it signs the local mail host certificate.
      webmailTrustedCa: p("caddy/local-root.crt"),
      logDir: p("log"),
    },
    logs: { postfix: p("log/postfix.log"), dovecot: p("log/dovecot.log"), rspamd: p("log/rspamd.log") },
    mailUser,
    mynetworks: ["127.0.0.1/32", "[::1]/128"],
    smtpBind: { ipv4: "", ipv6: "" },
    outboundRelay: opts.outboundRelay ?? { host: lo, port: 12525 },
    greylisting: opts.greylisting ?? true,
  };
}
