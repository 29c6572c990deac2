// The mail daemons' rendered files: Postfix (main.cf, master.cf, PostgreSQL maps, relay
// credentials), Dovecot (dovecot.conf, SQL auth, Sieve learning), Rspamd (local.d, DKIM keys),
// Redis and PostgreSQL (server config, roles, schema). Every host, port and path comes from the
// Topology; every secret from ServiceSecrets. Pure: reads templates from files/, never writes,
// never touches the web front (renderWeb.ts) or mailbox rows (mailboxSync.ts).
import { dirname, join } from "node:path";
import type { MailConfig } from "../config/config";
import type { RenderedFile } from "./render";
import { rspamdPasswordHash } from "./rspamdPassword";
import type { ServiceSecrets } from "./secrets";
import { renderFile, type TemplateValues } from "./template";
import type { ServiceName, Topology } from "../topology";

/** Where Rspamd finds DKIM/ARC keys, relative to its config dir: dkim/<domain>.<selector>.key */
export const DKIM_KEY_DIR = "dkim";

type Spec = { service: ServiceName; template: string; path?: string; mode?: number; secret?: boolean; values: TemplateValues };

export function renderMailFiles(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  const specs: Spec[] = [...postfixSpecs(cfg, secrets, topo), ...dovecotSpecs(cfg, secrets, topo), ...rspamdSpecs(cfg, secrets, topo)];
  specs.push(...dataStoreSpecs(cfg, secrets, topo));
  const files: RenderedFile[] = specs.map((s) => ({
    service: s.service,
    path: s.path ?? s.template.slice(s.template.indexOf("/") + 1),
    content: renderFile(s.template, s.values),
    mode: s.mode ?? (s.secret ? 0o600 : 0o644),
    secret: s.secret ?? false,
  }));
  for (const d of cfg.domains) {
    const key = secrets.dkimPrivateKeys[d.name];
    if (key === undefined) throw new Error(`no DKIM private key for ${d.name}; every mail domain needs one`);
    files.push({
      service: "rspamd",
      path: `${DKIM_KEY_DIR}/${d.name}.${cfg.dkimSelector}.key`,
      content: key.endsWith("\n") ? key : `${key}\n`,
      // Group-readable: Rspamd's workers read keys as _rspamd; the deployer sets the group.
      mode: 0o640,
      secret: true,
    });
  }
  return files;
}

/** "all" when every address is bound, else the list (Postfix inet_interfaces). */
function inetInterfaces(topo: Topology): string {
  return topo.publicBind.some((a) => a === "0.0.0.0" || a === "::") ? "all" : topo.publicBind.join(", ");
}

function postfixSpecs(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): Spec[] {
  const dir = topo.configDirs.postfix;
  const pg = topo.internal.postgres;
  // Local: the e2e sink stands in for the internet. Else the configured relay, else direct MX.
  const relay = topo.outboundRelay
    ? { host: `[${topo.outboundRelay.host}]:${topo.outboundRelay.port}`, auth: false }
    : cfg.relay
      ? { host: `[${cfg.relay.host}]:${cfg.relay.port}`, auth: true }
      : { host: "", auth: false };
  if (relay.auth && (secrets.relayPassword === undefined || secrets.relayPassword === "")) {
    throw new Error(`relay ${cfg.relay?.host} needs its password (mailstack:relayPassword)`);
  }
  const main: TemplateValues = {
    hostname: cfg.hostname,
    mynetworks: topo.mynetworks.join(" "),
    inetInterfaces: inetInterfaces(topo),
    queueDirectory: topo.paths.postfixQueue,
    dataDirectory: topo.paths.postfixData,
    maillogFile: topo.logs.postfix,
    logDirectory: topo.paths.logDir,
    tlsCert: topo.paths.tlsCert,
    tlsKey: topo.paths.tlsKey,
    relayhost: relay.host,
    // A relay with a password gets it only over TLS; direct delivery stays opportunistic.
    smtpTlsLevel: relay.auth ? "encrypt" : "may",
    smtpSaslAuth: relay.auth ? "yes" : "no",
    smtpSaslPasswordMaps: relay.auth ? `texthash:${dir}/relay-password` : "",
    smtpBindAddress: topo.smtpBind.ipv4,
    smtpBindAddress6: topo.smtpBind.ipv6,
    configDir: dir,
    lmtpHost: topo.internal.lmtp.host,
    lmtpPort: topo.internal.lmtp.port,
    saslHost: topo.internal.sasl.host,
    saslPort: topo.internal.sasl.port,
    quotaPolicyHost: topo.internal.quotaPolicy.host,
    quotaPolicyPort: topo.internal.quotaPolicy.port,
    milterHost: topo.internal.milter.host,
    milterPort: topo.internal.milter.port,
  };
  const master: TemplateValues = {
    hostname: cfg.hostname,
    smtpPort: topo.ports.smtp,
    submissionPort: topo.ports.submission,
    submissionsPort: topo.ports.submissions,
  };
  const db: TemplateValues = { pgHost: pg.host, pgPort: pg.port, mailDbPassword: oneLine(secrets.mailDbPassword, "mailDbPassword") };
  const maps = ["virtual-domains", "virtual-mailboxes", "virtual-aliases", "sender-logins", "disabled-recipients"];
  const specs: Spec[] = [
    { service: "postfix", template: "postfix/main.cf", values: main },
    { service: "postfix", template: "postfix/master.cf", values: master },
    // 0640, group postfix: the lookups run in proxymap, which opens the maps as the postfix user.
    ...maps.map((m): Spec => ({ service: "postfix", template: `postfix/pgsql-${m}.cf`, secret: true, mode: 0o640, values: db })),
  ];
  if (relay.auth && cfg.relay) {
    specs.push({
      service: "postfix",
      template: "postfix/relay-password",
      secret: true,
      values: {
        relayhost: relay.host,
        relayUser: oneLine(cfg.relay.username, "relay username"),
        relayPassword: oneLine(secrets.relayPassword ?? "", "relayPassword"),
      },
    });
  }
  return specs;
}

function dovecotSpecs(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): Spec[] {
  const dir = topo.configDirs.dovecot;
  const pg = topo.internal.postgres;
  const local = topo.kind === "local";
  const values: TemplateValues = {
    hostname: cfg.hostname,
    listen: local ? topo.publicBind.join(", ") : "*, ::",
    // Internal services (LMTP, SASL, quota policy) listen where Postfix reaches them.
    internalListen: local ? topo.internal.lmtp.host : "*",
    baseDir: topo.paths.dovecotBase,
    logPath: topo.logs.dovecot,
    tlsCert: topo.paths.tlsCert,
    tlsKey: topo.paths.tlsKey,
    mailUid: topo.mailUser.uid,
    mailGid: topo.mailUser.gid,
    mailUser: topo.mailUser.name,
    mailRoot: topo.paths.mailRoot,
    sieveRoot: topo.paths.sieveRoot,
    configDir: dir,
    imapPort: topo.ports.imap,
    imapsPort: topo.ports.imaps,
    sievePort: topo.ports.sieve,
    lmtpPort: topo.internal.lmtp.port,
    saslPort: topo.internal.sasl.port,
    quotaPolicyPort: topo.internal.quotaPolicy.port,
    postmasterAddress: `postmaster@${cfg.domains[0].name}`,
    controllerHost: topo.internal.rspamdController.host,
    controllerPort: topo.internal.rspamdController.port,
  };
  return [
    { service: "dovecot", template: "dovecot/dovecot.conf", values },
    {
      service: "dovecot",
      template: "dovecot/dovecot-sql.conf.ext",
      secret: true,
      values: { pgHost: pg.host, pgPort: pg.port, mailDbPassword: libpqQuote(secrets.mailDbPassword) },
    },
    { service: "dovecot", template: "dovecot/sieve/dedupe.sieve", values: {} },
    { service: "dovecot", template: "dovecot/sieve/report-spam.sieve", values: {} },
    { service: "dovecot", template: "dovecot/sieve/report-ham.sieve", values: {} },
    { service: "dovecot", template: "dovecot/sieve/rspamd-learn.sh", mode: 0o755, values },
    {
      service: "dovecot",
      template: "dovecot/rspamd-controller.curlrc",
      secret: true,
      values: { rspamdControllerPassword: curlQuote(secrets.rspamdControllerPassword) },
    },
  ];
}

function rspamdSpecs(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): Spec[] {
  const dir = topo.configDirs.rspamd;
  const ld = (name: string, values: TemplateValues = {}, extra: Partial<Spec> = {}): Spec => ({
    service: "rspamd",
    template: `rspamd/local.d/${name}`,
    values,
    ...extra,
  });
  const keyDir = `${dir}/${DKIM_KEY_DIR}`;
  const domainBlocks = cfg.domains
    .map((d) => `  ${d.name} {\n    selector = "${cfg.dkimSelector}";\n    path = "${keyDir}/${d.name}.${cfg.dkimSelector}.key";\n  }`)
    .join("\n");
  const signing = { dkimSelector: cfg.dkimSelector, dkimKeyDir: keyDir, domainBlocks };
  const fileLog = topo.logs.rspamd !== "console";
  const local = topo.kind === "local";
  return [
    { service: "rspamd", template: "rspamd/README.conf", values: { hostname: cfg.hostname, configDir: dir } },
    ld("worker-proxy.inc", { milterHost: topo.internal.milter.host, milterPort: topo.internal.milter.port }),
    ld("worker-normal.inc"),
    ld("worker-fuzzy.inc"),
    ld("worker-controller.inc", {
      controllerHost: topo.internal.rspamdController.host,
      controllerPort: topo.internal.rspamdController.port,
      controllerPasswordHash: rspamdPasswordHash(secrets.rspamdControllerPassword, secrets.rspamdControllerSalt),
    }),
    ld("options.inc", {
      localAddrs: topo.mynetworks.map((n) => `"${n.replace(/[[\]]/g, "")}"`).join(", "),
      // The local stack has no internet: a resolver on loopback fails at once instead of timing out.
      dnsNameserverLine: local ? 'nameserver = ["127.0.0.1:53"];' : "# the container's resolver",
    }),
    ld("fuzzy_check.conf", { fuzzyEnabled: local ? "false" : "true" }),
    ld("logging.inc", {
      logType: fileLog ? "file" : "console",
      logFileLine: fileLog ? `filename = "${topo.logs.rspamd}";` : "# console: the container runtime keeps the log",
    }),
    ld("redis.conf", { redisHost: topo.internal.redis.host, redisPort: topo.internal.redis.port }),
    ld("classifier-bayes.conf"),
    ld("greylist.conf", {
      greylistingEnabled: topo.greylisting ? "true" : "false",
      greylistingNote: topo.greylisting
        ? "Greylisting on: first mail from an unknown sender gets a temporary 4xx and is accepted on retry."
        : "GREYLISTING OFF: only for the local test/benchmark stack (MAILSTACK_GREYLISTING=off). Never in production.",
    }),
    ld("milter_headers.conf"),
    ld("dkim_signing.conf", signing),
    ld("arc.conf", signing),
  ];
}

function dataStoreSpecs(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): Spec[] {
  const local = topo.kind === "local";
  const redis = topo.internal.redis;
  const pg = topo.internal.postgres;
  return [
    {
      service: "redis",
      template: "redis/redis.conf",
      values: {
        bind: local ? redis.host : "0.0.0.0 ::",
        port: redis.port,
        // In production only the Docker network reaches Redis (its port is never published).
        protectedMode: local ? "yes" : "no",
        dataDir: topo.paths.redisData,
        logFile: local ? `${topo.paths.logDir}/redis.log` : "",
      },
    },
    {
      service: "postgres",
      template: "postgres/postgresql.conf",
      values: {
        hostname: cfg.hostname,
        listen: local ? pg.host : "*",
        port: pg.port,
        socketDir: local ? join(dirname(topo.paths.postgresData), "run") : "/var/run/postgresql",
        configDir: topo.configDirs.postgres,
      },
    },
    {
      service: "postgres",
      template: "postgres/pg_hba.conf",
      values: local ? { clientNet4: "127.0.0.1/32", clientNet6: "::1/128" } : { clientNet4: "0.0.0.0/0", clientNet6: "::/0" },
    },
    {
      service: "postgres",
      template: "postgres/roles.sql",
      secret: true,
      values: {
        mailDbPassword: sqlString(secrets.mailDbPassword),
        roundcubeDbPassword: sqlString(secrets.roundcubeDbPassword),
      },
    },
    { service: "postgres", template: "postgres/schema.sql", values: {} },
  ];
}

/** Contents of a single-quoted SQL literal (standard_conforming_strings: only ' is special). */
export function sqlString(value: string): string {
  if (value.includes("\0")) throw new Error("a SQL value may not contain a NUL byte");
  return value.replace(/'/g, "''");
}

/** A libpq conninfo value, always quoted so spaces and quotes in passwords are safe. */
function libpqQuote(value: string): string {
  return `'${oneLine(value, "database password").replace(/[\\']/g, "\\$&")}'`;
}

function curlQuote(value: string): string {
  return oneLine(value, "rspamd controller password").replace(/[\\"]/g, "\\$&");
}

/** Line-based config formats cannot hold a newline; refuse rather than inject a directive. */
function oneLine(value: string, what: string): string {
  if (/[\r\n\0]/.test(value)) throw new Error(`${what} contains a line break; it cannot go into a config file`);
  return value;
}
