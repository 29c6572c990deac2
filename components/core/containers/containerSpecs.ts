// What each container is, as plain data: image, bind mounts from the volume, published ports
// (public services only; never PostgreSQL, Redis or the Rspamd controller), health check and
// command, and what each must wait for (a certificate, the database schema). Paths inside
// containers come from the production Topology; host paths are under the volume, except where an
// official image reads its files elsewhere (Roundcube). The Containers component turns this into
// docker resources. Pure.
import { dirname } from "node:path";
import type { ServiceName, Topology } from "../topology";
import { VOLUME_MOUNT } from "../topology";
import { publishedPorts } from "../host/firewallRules";
import { hostConfigDir } from "../remote/pushScript";
import type { BuiltImage } from "./imageBuild";
import { HOST_TLS_DIR } from "../remote/certSync";

/**
 * Official images, pinned to exact tags (checked to exist on Docker Hub; the versions follow the
 * Debian 12 packages the end-to-end tests run where one exists).
 */
export const PULLED_IMAGES = {
  postgres: "postgres:15.10-bookworm",
  redis: "redis:7.0.15-bookworm",
  roundcube: "roundcube/roundcubemail:1.6.5-fpm",
  caddy: "caddy:2.6.2",
} as const;
export type PulledImage = keyof typeof PULLED_IMAGES;

export interface Mount {
  /** Absolute host path under the volume. */
  source: string;
  target: string;
  readOnly: boolean;
}

export interface ContainerSpec {
  service: ServiceName;
  image: { pulled: PulledImage } | { built: BuiltImage };
  mounts: Mount[];
  ports: number[];
  healthcheck: string[];
  command?: string[];
  /** Non-secret environment; secrets are added by the component. */
  env: Record<string, string>;
  /** Host folders to create before start, with owner uid:gid. */
  dataDirs: { path: string; uid: number; gid: number; mode: string }[];
  /**
   * What must exist before the container is created: "certificate" (the certificate hook has
   * run once, so the TLS folder holds a pair) or "database" (roles, databases and schema exist).
   */
  waitsFor: ("certificate" | "database")[];
}

/** Roundcube's PostgreSQL role and database (created by roles.sql). */
export const ROUNDCUBE_DATABASE = "roundcube";

const data = (rel: string) => `${VOLUME_MOUNT}/${rel}`;

export function containerSpecs(topo: Topology): ContainerSpec[] {
  const paths = topo.paths;
  const pub = publishedPorts(topo);
  const cfg = (service: ServiceName): Mount => ({ source: hostConfigDir(service), target: topo.configDirs[service], readOnly: true });
  const tcpCheck = (host: string, port: number) => ["CMD", "bash", "-c", `exec 3<>/dev/tcp/${host}/${port}`];
  // Certificates obtained by Caddy and copied by the certificate hook, read by Postfix and Dovecot.
  // The folder, never the two files: the hook swaps a symlink inside it, and a file bind mount
  // would keep pointing at the old inode.
  const tlsDir = dirname(paths.tlsCert);
  if (dirname(paths.tlsKey) !== tlsDir) throw new Error("the TLS certificate and key must share one folder");
  const tls: Mount = { source: HOST_TLS_DIR, target: tlsDir, readOnly: true };
  const pg = topo.internal.postgres;
  const vmail = topo.mailUser;
  const specs: ContainerSpec[] = [
    {
      service: "postgres",
      image: { pulled: "postgres" },
      mounts: [
        // No /docker-entrypoint-initdb.d: the image would run roles.sql and schema.sql once, in
        // the wrong database. The database setup command applies both on every deploy instead.
        cfg("postgres"),
        { source: data("postgres"), target: paths.postgresData, readOnly: false },
      ],
      ports: [],
      healthcheck: ["CMD", "pg_isready", "-U", "postgres", "-h", "127.0.0.1", "-p", String(pg.port)],
      // The rendered postgresql.conf names the rendered pg_hba.conf (hba_file) and sets no
      // data_directory, so the data stays in PGDATA. The image's entrypoint passes these
      // arguments to its first-start temporary server too, so initdb's setup sees the same files.
      command: ["postgres", "-c", `config_file=${topo.configDirs.postgres}/postgresql.conf`],
      env: { PGDATA: paths.postgresData, PGPORT: String(pg.port) },
      dataDirs: [{ path: data("postgres"), uid: 999, gid: 999, mode: "0700" }],
      waitsFor: [],
    },
    {
      service: "redis",
      image: { pulled: "redis" },
      mounts: [cfg("redis"), { source: data("redis"), target: paths.redisData, readOnly: false }],
      ports: [],
      healthcheck: ["CMD", "redis-cli", "-p", String(topo.internal.redis.port), "ping"],
      command: ["redis-server", `${topo.configDirs.redis}/redis.conf`],
      env: {},
      dataDirs: [{ path: data("redis"), uid: 999, gid: 999, mode: "0700" }],
      waitsFor: [],
    },
    {
      service: "rspamd",
      image: { built: "rspamd" },
      mounts: [cfg("rspamd"), { source: data("rspamd"), target: paths.rspamdData, readOnly: false }],
      ports: [],
      healthcheck: tcpCheck(topo.internal.milter.host, topo.internal.milter.port),
      env: {},
      dataDirs: [{ path: data("rspamd"), uid: 220, gid: 220, mode: "0750" }],
      waitsFor: [],
    },
    {
      service: "dovecot",
      image: { built: "dovecot" },
      mounts: [
        cfg("dovecot"),
        { source: data("vmail"), target: paths.mailRoot, readOnly: false },
        { source: data("sieve"), target: paths.sieveRoot, readOnly: false },
        tls,
      ],
      ports: pub.dovecot,
      healthcheck: tcpCheck(topo.internal.lmtp.host, topo.internal.lmtp.port),
      env: {},
      dataDirs: [
        { path: data("vmail"), uid: vmail.uid, gid: vmail.gid, mode: "0750" },
        { path: data("sieve"), uid: vmail.uid, gid: vmail.gid, mode: "0750" },
      ],
      // Dovecot refuses to start without its certificate and key.
      waitsFor: ["certificate"],
    },
    {
      service: "postfix",
      image: { built: "postfix" },
      mounts: [
        cfg("postfix"),
        { source: data("postfix/spool"), target: paths.postfixQueue, readOnly: false },
        { source: data("postfix/lib"), target: paths.postfixData, readOnly: false },
        tls,
      ],
      ports: pub.postfix,
      healthcheck: ["CMD", "postfix", "status"],
      env: {},
      dataDirs: [
        { path: data("postfix/spool"), uid: 0, gid: 0, mode: "0755" },
        { path: data("postfix/lib"), uid: 200, gid: 200, mode: "0700" },
        // Root only: the private key is in there. Postfix and Dovecot read it as root.
        { path: HOST_TLS_DIR, uid: 0, gid: 0, mode: "0700" },
      ],
      waitsFor: ["certificate"],
    },
    {
      service: "roundcube",
      image: { pulled: "roundcube" },
      mounts: [
        // The image includes every *.php there after the config it generates, so ours wins.
        { source: hostConfigDir("roundcube"), target: topo.configDirs.roundcube, readOnly: true },
        // Empty on first start: the entrypoint copies Roundcube here (and updates it after an
        // image upgrade). Caddy mounts the same folder read-only for static files.
        { source: data("roundcube"), target: paths.roundcubeRoot, readOnly: false },
      ],
      ports: [],
      healthcheck: ["CMD", "php", "-r", `exit(@fsockopen("127.0.0.1", ${topo.internal.roundcubeFpm.port}) ? 0 : 1);`],
      // With these the entrypoint waits for PostgreSQL and creates or updates Roundcube's tables
      // (bin/initdb.sh) on every start. No password here: the entrypoint would write it into
      // /var/www/html/config/config.docker.inc.php, a file Caddy can read; the password reaches
      // Roundcube only in our config.inc.php (0640, group www-data), whose db_dsnw overrides.
      env: {
        ROUNDCUBEMAIL_DB_TYPE: "pgsql",
        ROUNDCUBEMAIL_DB_HOST: pg.host,
        ROUNDCUBEMAIL_DB_PORT: String(pg.port),
        ROUNDCUBEMAIL_DB_USER: ROUNDCUBE_DATABASE,
        ROUNDCUBEMAIL_DB_NAME: ROUNDCUBE_DATABASE,
      },
      dataDirs: [{ path: data("roundcube"), uid: 33, gid: 33, mode: "0755" }],
      // The entrypoint initialises the schema once per start; the role and database must exist.
      waitsFor: ["database"],
    },
    {
      service: "caddy",
      image: { pulled: "caddy" },
      mounts: [
        cfg("caddy"),
        { source: data("caddy"), target: paths.caddyData, readOnly: false },
        { source: data("www"), target: paths.webRoot, readOnly: true },
        // Static Roundcube assets are served by Caddy from the same files PHP runs, at the same
        // path, so php_fastcgi's SCRIPT_FILENAME names a file that exists in the PHP container.
        { source: data("roundcube"), target: paths.roundcubeRoot, readOnly: true },
      ],
      ports: pub.caddy,
      healthcheck: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:2019/config/"],
      command: ["caddy", "run", "--config", `${topo.configDirs.caddy}/Caddyfile`, "--adapter", "caddyfile"],
      // Caddy's autosave would otherwise target the read-only config mount.
      env: { XDG_CONFIG_HOME: `${paths.caddyData}/config`, XDG_DATA_HOME: paths.caddyData },
      dataDirs: [
        { path: data("caddy"), uid: 0, gid: 0, mode: "0700" },
        { path: data("www"), uid: 0, gid: 0, mode: "0755" },
      ],
      waitsFor: [],
    },
  ];
  return specs.sort((a, b) => (a.service < b.service ? -1 : 1));
}
