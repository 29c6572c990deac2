// The web front's files: Caddy's configuration (HTTPS for the mail host and every domain's
// mta-sts./autoconfig./autodiscover. names, certificates from Let's Encrypt or, locally, Caddy's
// internal CA), the static MTA-STS policy and client autoconfiguration documents Caddy serves,
// and Roundcube's config.inc.php. Pure: reads templates from files/ and never touches the
// network, the daemons or the certificate files themselves (files/tls/sync-certs.sh does that).
import type { DomainConfig, MailConfig } from "../config/config";
import { mtaStsPolicy } from "../dns/dnsRecords";
import type { RenderedFile } from "./render";
import type { ServiceSecrets } from "./secrets";
import { renderFile, type TemplateValues } from "./template";
import type { Endpoint, Topology } from "../topology";

/** Let's Encrypt's production ACME directory; staging certificates would fail every client. */
export const LETS_ENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";

/** Folder name under Caddy's storage `certificates/` for certificates from each issuer. */
export function caddyIssuerDir(topo: Topology): string {
  return topo.acme === "letsencrypt" ? "acme-v02.api.letsencrypt.org-directory" : "local";
}

/** Where Caddy keeps the certificate and key for `host` (as Caddy sees its storage). */
export function caddyCertificatePaths(topo: Topology, host: string): { cert: string; key: string } {
  const dir = `${topo.paths.caddyData}/certificates/${caddyIssuerDir(topo)}/${host}`;
  return { cert: `${dir}/${host}.crt`, key: `${dir}/${host}.key` };
}

/** Caddy config files served per domain, relative to the caddy config dir. */
export function domainSiteDir(domain: string): string {
  return `sites/${domain}`;
}

export const WEB_DOCUMENTS = {
  mtaSts: "mta-sts.txt",
  autoconfig: "config-v1.1.xml",
  autodiscover: "autodiscover.xml",
} as const;

export function renderWebFiles(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  const caddyDir = topo.configDirs.caddy;
  const file = (service: RenderedFile["service"], path: string, content: string, secret = false): RenderedFile => ({
    service,
    path,
    content,
    mode: secret ? 0o640 : 0o644,
    secret,
  });

  const files: RenderedFile[] = [
    file(
      "caddy",
      "Caddyfile",
      renderFile("caddy/Caddyfile", {
        hostname: cfg.hostname,
        acmeEmail: cfg.acmeEmail,
        issuerOptions: issuerOptions(topo),
        bindOptions: bindOptions(topo),
        httpPort: topo.ports.http,
        httpsPort: topo.ports.https,
        adminAddress: hostPort(topo.internal.caddyAdmin),
        caddyData: topo.paths.caddyData,
        roundcubeRoot: topo.paths.roundcubeRoot,
        roundcubeFpm: hostPort(topo.internal.roundcubeFpm),
      }),
    ),
    file("roundcube", "config.inc.php", roundcubeConfig(cfg, secrets, topo), true),
  ];

  for (const d of cfg.domains) {
    const siteDir = domainSiteDir(d.name);
    const clientValues: TemplateValues = {
      domain: d.name,
      displayName: `Mail for ${d.name}`,
      hostname: cfg.hostname,
      imapsPort: topo.ports.imaps,
      imapPort: topo.ports.imap,
      submissionsPort: topo.ports.submissions,
      submissionPort: topo.ports.submission,
    };
    files.push(
      file("caddy", `sites/${d.name}.caddy`, renderFile("caddy/domain.caddy", { domain: d.name, siteRoot: `${caddyDir}/${siteDir}` })),
      file("caddy", `${siteDir}/${WEB_DOCUMENTS.mtaSts}`, mtaStsPolicy(cfg, d)),
      file("caddy", `${siteDir}/${WEB_DOCUMENTS.autoconfig}`, renderFile("autoconfig/config-v1.1.xml", clientValues)),
      file("caddy", `${siteDir}/${WEB_DOCUMENTS.autodiscover}`, renderFile("autoconfig/autodiscover.xml", clientValues)),
    );
  }
  return files;
}

function hostPort(e: Endpoint): string {
  return e.host.includes(":") ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

function issuerOptions(topo: Topology): string {
  return topo.acme === "letsencrypt"
    ? renderFile("caddy/issuer-letsencrypt.caddy", { acmeDirectory: LETS_ENCRYPT_DIRECTORY }).trimEnd()
    : renderFile("caddy/issuer-internal.caddy", {}).trimEnd();
}

/** Caddy listens on every interface unless the topology names specific addresses (loopback locally). */
function bindOptions(topo: Topology): string {
  const wildcard = topo.publicBind.some((a) => a === "0.0.0.0" || a === "::");
  if (wildcard) return "\t# Listens on every interface: the firewall decides who reaches ports 80 and 443.";
  return `\t# Only these addresses; nothing else on this machine is exposed.\n\tdefault_bind ${topo.publicBind.join(" ")}`;
}

/** A PHP single-quoted string body: only backslash and quote need escaping. */
export function phpQuoted(value: string): string {
  return value.replace(/[\\']/g, "\\$&");
}

function roundcubeConfig(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): string {
  if (secrets.roundcubeDesKey.length !== 24) {
    throw new Error("secrets.roundcubeDesKey must be exactly 24 characters (Roundcube's des_key)");
  }
  const primary: DomainConfig = cfg.domains[0];
  const pg = topo.internal.postgres;
  const dsn = `pgsql://roundcube:${encodeURIComponent(secrets.roundcubeDbPassword)}@${hostPort(pg)}/roundcube`;
  return renderFile("roundcube/config.inc.php", {
    hostname: cfg.hostname,
    dbDsn: phpQuoted(dsn),
    trustedCa: phpQuoted(topo.paths.webmailTrustedCa),
    imapHost: topo.internal.imapForWebmail.host,
    imapPort: topo.internal.imapForWebmail.port,
    smtpHost: topo.internal.submissionForWebmail.host,
    smtpPort: topo.internal.submissionForWebmail.port,
    sieveHost: topo.internal.sieveForWebmail.host,
    sievePort: topo.internal.sieveForWebmail.port,
    primaryDomain: primary.name,
    productName: phpQuoted(`Webmail ${primary.name}`),
    supportUrl: phpQuoted(`mailto:${cfg.acmeEmail}`),
    desKey: phpQuoted(secrets.roundcubeDesKey),
  });
}
