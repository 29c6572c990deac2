// Postfix's rendered files: main.cf, master.cf, the PostgreSQL maps and, with a relay host, its
// credentials. Every host, port and path comes from the Topology, every secret from
// ServiceSecrets. Pure: reads templates from files/postfix/, never writes.
import type { MailConfig } from "../config/config";
import { CONTAINER_PORTS, type Topology } from "../topology";
import { MESSAGE_SIZE_LIMIT } from "./limits";
import type { RenderedFile } from "./render";
import { oneLine } from "./quote";
import type { ServiceSecrets } from "./secrets";
import { renderSpecs, type FileSpec } from "./spec";
import type { TemplateValues } from "./template";
import { dmarcReportSender } from "./rspamd";

/** Where outbound mail goes: the local sink, the configured relay, or straight to the MX hosts. */
export function outboundRoute(cfg: MailConfig, topo: Topology): { host: string; auth: boolean } {
  if (topo.outboundRelay) return { host: `[${topo.outboundRelay.host}]:${topo.outboundRelay.port}`, auth: false };
  if (cfg.relay) return { host: `[${cfg.relay.host}]:${cfg.relay.port}`, auth: true };
  return { host: "", auth: false };
}

export function postfixFiles(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  const dir = topo.configDirs.postfix;
  const pg = topo.internal.postgres;
  const relay = outboundRoute(cfg, topo);
  if (relay.auth && (secrets.relayPassword === undefined || secrets.relayPassword === "")) {
    throw new Error(`relay ${cfg.relay?.host} needs its password (mailstack:relayPassword)`);
  }
  const main: TemplateValues = {
    hostname: cfg.hostname,
    messageSizeLimit: MESSAGE_SIZE_LIMIT,
    mynetworks: topo.mynetworks.join(" "),
    queueDirectory: topo.paths.postfixQueue,
    dataDirectory: topo.paths.postfixData,
    tlsCert: topo.paths.tlsCert,
    tlsKey: topo.paths.tlsKey,
    relayhost: relay.host,
    // A relay with a password gets it only over TLS; direct delivery stays opportunistic.
    smtpTlsLevel: relay.auth ? "encrypt" : "may",
    smtpSaslAuth: relay.auth ? "yes" : "no",
    smtpSaslPasswordMaps: relay.auth ? `texthash:${dir}/relay-password` : "",
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
    smtpPort: CONTAINER_PORTS.smtp,
    submissionPort: CONTAINER_PORTS.submission,
    submissionsPort: CONTAINER_PORTS.submissions,
    reportsPort: topo.internal.reportsSmtp.port,
    serviceNets: [topo.network.ipv4Subnet, ...(topo.network.ipv6Subnet !== undefined ? [`[${topo.network.ipv6Subnet.replace("/", "]/")}`] : [])].join(" "),
    reportSender: dmarcReportSender(cfg),
  };
  const db: TemplateValues = { pgHost: pg.host, pgPort: pg.port, mailDbPassword: oneLine(secrets.mailDbPassword, "mailDbPassword") };
  const maps = ["virtual-domains", "virtual-mailboxes", "virtual-aliases", "sender-logins", "disabled-recipients"];
  const specs: FileSpec[] = [
    { service: "postfix", template: "postfix/main.cf", values: main },
    { service: "postfix", template: "postfix/master.cf", values: master },
    // 0640, group postfix: the lookups run in proxymap, which opens the maps as the postfix user.
    ...maps.map((m): FileSpec => ({ service: "postfix", template: `postfix/pgsql-${m}.cf`, secret: true, mode: 0o640, values: db })),
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
  return renderSpecs(specs);
}
