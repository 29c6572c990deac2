// What each container is, as plain data: image, bind mounts from the volume, published ports
// (public services only; never PostgreSQL, Redis or the Rspamd controller), health check and
// command. Paths inside containers come from the production Topology; host paths are under the
// volume. The Containers component turns this into docker resources. Pure.
import { dirname } from "node:path";
import type { ServiceName, Topology } from "./topology";
import { VOLUME_MOUNT } from "./topology";
import { publishedPorts } from "./firewallRules";
import { hostConfigDir } from "./pushScript";
import type { BuiltImage } from "./imageBuild";

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
}

const data = (rel: string) => `${VOLUME_MOUNT}/${rel}`;

export function containerSpecs(topo: Topology): ContainerSpec[] {
  const paths = topo.paths;
  const pub = publishedPorts(topo);
  const cfg = (service: ServiceName): Mount => ({ source: hostConfigDir(service), target: topo.configDirs[service], readOnly: true });
  const tcpCheck = (host: string, port: number) => ["CMD", "bash", "-c", `exec 3<>/dev/tcp/${host}/${port}`];
  // Certificates obtained by Caddy, read by Postfix and Dovecot.
  const tlsDir = dirname(paths.tlsCert);
  const tls = (readOnly: boolean): Mount => ({ source: data("tls"), target: tlsDir, readOnly });
  const vmail = topo.mailUser;
  const specs: ContainerSpec[] = [
    {
      service: "postgres",
      image: { pulled: "postgres" },
      mounts: [
        cfg("postgres"),
        // First start only: the image runs *.sql / *.sh from here to create roles and schema.
        { source: hostConfigDir("postgres"), target: "/docker-entrypoint-initdb.d", readOnly: true },
        { source: data("postgres"), target: paths.postgresData, readOnly: false },
      ],
      ports: [],
      healthcheck: ["CMD", "pg_isready", "-U", "postgres", "-h", "127.0.0.1", "-p", String(topo.internal.postgres.port)],
      env: { PGDATA: paths.postgresData, PGPORT: String(topo.internal.postgres.port) },
      dataDirs: [{ path: data("postgres"), uid: 999, gid: 999, mode: "0700" }],
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
    },
    {
      service: "rspamd",
      image: { built: "rspamd" },
      mounts: [cfg("rspamd"), { source: data("rspamd"), target: paths.rspamdData, readOnly: false }],
      ports: [],
      healthcheck: tcpCheck(topo.internal.milter.host, topo.internal.milter.port),
      env: {},
      dataDirs: [{ path: data("rspamd"), uid: 220, gid: 220, mode: "0750" }],
    },
    {
      service: "dovecot",
      image: { built: "dovecot" },
      mounts: [
        cfg("dovecot"),
        { source: data("vmail"), target: paths.mailRoot, readOnly: false },
        { source: data("sieve"), target: paths.sieveRoot, readOnly: false },
        tls(true),
      ],
      ports: pub.dovecot,
      healthcheck: tcpCheck(topo.internal.lmtp.host, topo.internal.lmtp.port),
      env: {},
      dataDirs: [
        { path: data("vmail"), uid: vmail.uid, gid: vmail.gid, mode: "0750" },
        { path: data("sieve"), uid: vmail.uid, gid: vmail.gid, mode: "0750" },
      ],
    },
    {
      service: "postfix",
      image: { built: "postfix" },
      mounts: [
        cfg("postfix"),
        { source: data("postfix/spool"), target: paths.postfixQueue, readOnly: false },
        { source: data("postfix/lib"), target: paths.postfixData, readOnly: false },
        tls(true),
      ],
      ports: pub.postfix,
      healthcheck: ["CMD", "postfix", "status"],
      env: {},
      dataDirs: [
        { path: data("postfix/spool"), uid: 0, gid: 0, mode: "0755" },
        { path: data("postfix/lib"), uid: 200, gid: 200, mode: "0700" },
      ],
    },
    {
      service: "roundcube",
      image: { pulled: "roundcube" },
      mounts: [cfg("roundcube"), { source: data("roundcube"), target: paths.roundcubeRoot, readOnly: false }],
      ports: [],
      healthcheck: ["CMD", "php", "-r", `exit(@fsockopen("127.0.0.1", ${topo.internal.roundcubeFpm.port}) ? 0 : 1);`],
      env: {},
      dataDirs: [{ path: data("roundcube"), uid: 33, gid: 33, mode: "0755" }],
    },
    {
      service: "caddy",
      image: { pulled: "caddy" },
      mounts: [
        cfg("caddy"),
        { source: data("caddy"), target: paths.caddyData, readOnly: false },
        { source: data("www"), target: paths.webRoot, readOnly: true },
        // Static Roundcube assets are served by Caddy from the same files PHP runs.
        { source: data("roundcube"), target: paths.roundcubeRoot, readOnly: true },
        tls(false),
      ],
      ports: pub.caddy,
      healthcheck: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:2019/config/"],
      command: ["caddy", "run", "--config", `${topo.configDirs.caddy}/Caddyfile`, "--adapter", "caddyfile"],
      // Caddy's autosave would otherwise target the read-only config mount.
      env: { XDG_CONFIG_HOME: `${paths.caddyData}/config`, XDG_DATA_HOME: paths.caddyData },
      dataDirs: [
        { path: data("caddy"), uid: 0, gid: 0, mode: "0700" },
        { path: data("www"), uid: 0, gid: 0, mode: "0755" },
        { path: data("tls"), uid: 0, gid: 0, mode: "0755" },
      ],
    },
  ];
  return specs.sort((a, b) => (a.service < b.service ? -1 : 1));
}
