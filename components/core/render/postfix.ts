// Postfix's rendered files: main.cf, master.cf, the PostgreSQL maps and, with a relay host, its
// credentials. Every host, port and path comes from the Topology, every secret from
// ServiceSecrets. Pure: reads templates from files/postfix/, never writes.
import type { MailConfig } from "../config/config";
import { DANE_TRUST_ANCHORS } from "../dns/dnsRecords";
import { CONTAINER_PORTS, dovecotSocket, internalSubmissionNetworks, stackSubnets, type Topology } from "../topology";
import { MESSAGE_SIZE_LIMIT } from "./limits";
import type { RenderedFile } from "./render";
import { oneLine } from "./quote";
import type { ServiceSecrets } from "./secrets";
import { renderSpecs, type FileSpec } from "./spec";
import type { TemplateValues } from "./template";
import { dmarcReportSender } from "./rspamd";

/** The milter daemon name of the internal submission port: Rspamd's settings.conf matches it. */
export const INTERNAL_MILTER_NAME = "mailstack-internal";

/** The local stack's stand-in DNSBL (a zone under the local resolver's test zone, example.). */
export const LOCAL_TEST_DNSBL = "dnsbl.example";

/** postfix-mta-sts-resolver's socketmap port on the Postfix container's loopback. */
export const MTA_STS_PORT = 8461;

/** postsrsd's table ports on the Postfix container's loopback (postsrsd 1.10's defaults). */
export const SRS_PORTS = { forward: 10001, reverse: 10002 } as const;

/** Where outbound mail goes: the local sink, the configured relay, or straight to the MX hosts. */
export function outboundRoute(cfg: MailConfig, topo: Topology): { host: string; auth: boolean } {
  if (topo.outboundRelay) return { host: `[${topo.outboundRelay.host}]:${topo.outboundRelay.port}`, auth: false };
  if (cfg.relay) return { host: `[${cfg.relay.host}]:${cfg.relay.port}`, auth: true };
  return { host: "", auth: false };
}

/** Postfix's smtpd_recipient_limit default: the cap when a mailbox has no recipient limit. */
const POSTFIX_RECIPIENT_LIMIT = 1000;

/**
 * Recipients one submitted message may have: the largest number any mailbox may send to within
 * an hour (its hour or, if smaller, day limit), at most Postfix's default of 1000.
 */
export function submissionRecipientLimit(cfg: MailConfig): number {
  const perMailbox = (l: MailConfig["limits"]["send"]) => Math.min(...[l.recipientsPerHour, l.recipientsPerDay].map((n) => (n > 0 ? n : POSTFIX_RECIPIENT_LIMIT)));
  return Math.min(POSTFIX_RECIPIENT_LIMIT, Math.max(perMailbox(cfg.limits.send), ...cfg.mailboxes.map((m) => perMailbox(m.sendLimits))));
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
    // Let's Encrypt's root only where Let's Encrypt issues (the local stack's pebble has its own).
    tlsTrustAnchor: topo.acme.issuer === "letsencrypt" ? DANE_TRUST_ANCHORS.map((t) => `, ${t.file}`).join("") : "",
    relayhost: relay.host,
    // A relay with a password gets it only over verified TLS; direct delivery uses DANE where the
    // recipient publishes TLSA (opportunistic elsewhere, and towards the local stack's sink).
    smtpTlsLevel: relay.auth ? "secure" : "dane",
    smtpTlsPolicyMaps: relay.host === "" ? `socketmap:inet:127.0.0.1:${MTA_STS_PORT}:postfix` : "",
    smtpSaslAuth: relay.auth ? "yes" : "no",
    smtpSaslPasswordMaps: relay.auth ? `texthash:${dir}/relay-password` : "",
    configDir: dir,
    lmtpSocket: dovecotSocket(topo, "lmtp"),
    saslSocket: dovecotSocket(topo, "sasl"),
    quotaPolicySocket: dovecotSocket(topo, "quotaPolicy"),
    connectionsPerMinute: cfg.limits.smtp.connectionsPerMinute,
    concurrentConnections: cfg.limits.smtp.concurrentConnections,
    authPerMinute: cfg.limits.smtp.authPerMinute,
    // Postfix writes IPv6 networks in brackets.
    stackNetworks: [...stackSubnets(topo).v4, ...stackSubnets(topo).v6.map((n) => `[${n.split("/")[0]}]/${n.split("/")[1]}`)].join(" "),
    milterHost: topo.internal.milter.host,
    milterPort: topo.internal.milter.port,
    srsForwardPort: SRS_PORTS.forward,
    srsReversePort: SRS_PORTS.reverse,
    // The local stack has no real DNSBL: a test list the tests control through the local resolver.
    extraDnsblSites: topo.kind === "local" ? `,\n    ${LOCAL_TEST_DNSBL}*3` : "",
  };
  const master: TemplateValues = {
    hostname: cfg.hostname,
    configDir: dir,
    submissionRecipientLimit: submissionRecipientLimit(cfg),
    smtpPort: CONTAINER_PORTS.smtp,
    submissionPort: CONTAINER_PORTS.submission,
    submissionsPort: CONTAINER_PORTS.submissions,
    internalSubmissionPort: topo.internal.internalSubmission.port,
    internalClients: internalSubmissionNetworks(topo).join(","),
    internalMilterName: INTERNAL_MILTER_NAME,
    reportsPort: topo.internal.reportsSmtp.port,
    // Rspamd sends the reports from the mail network (the only one it shares with Postfix).
    reportsClients: [topo.networks.mail.ipv4Subnet, ...(topo.networks.mail.ipv6Subnet !== undefined ? [`[${topo.networks.mail.ipv6Subnet.replace("/", "]/")}`] : [])].join(" "),
    reportSender: dmarcReportSender(cfg),
  };
  const domains = cfg.domains.map((d) => d.name);
  const srs: TemplateValues = {
    srsDomain: domains[0],
    srsExcludeDomains: domains.join(","),
    srsForwardPort: SRS_PORTS.forward,
    srsReversePort: SRS_PORTS.reverse,
  };
  const db: TemplateValues = { pgHost: pg.host, pgPort: pg.port, mailDbPassword: oneLine(secrets.mailDbPassword, "mailDbPassword") };
  const maps = ["virtual-domains", "virtual-mailboxes", "virtual-aliases", "sender-logins", "disabled-recipients", "hosted-sender-access"];
  const specs: FileSpec[] = [
    { service: "postfix", template: "postfix/main.cf", values: main },
    { service: "postfix", template: "postfix/master.cf", values: master },
    { service: "postfix", template: "postfix/postsrsd.env", values: srs },
    { service: "postfix", template: "postfix/mta-sts-daemon.yml", values: { mtaStsPort: MTA_STS_PORT } },
    { service: "postfix", template: "postfix/submission-sender-access", values: {} },
    { service: "postfix", template: "postfix/submission-header-checks", values: {} },
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
