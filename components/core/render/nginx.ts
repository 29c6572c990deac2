// nginx's rendered files: nginx.conf (ACME challenges and the HTTPS redirect on port 80, Roundcube
// on the mail host on 443), one server file per mail domain for its mta-sts., autoconfig. and
// autodiscover. names, and the documents those serve: the MTA-STS policy (the very text whose
// hash is in DNS) and the Thunderbird and Outlook autoconfiguration files. Every certificate path
// follows components/core/containers/certificates.ts. Pure: reads files/nginx/ and
// files/autoconfig/, never writes, never touches a certificate.
import type { DomainConfig, MailConfig } from "../config/config";
import { MAIL_CERTIFICATE, webCertificates } from "../containers/certificates";
import { mtaStsPolicy } from "../dns/dnsRecords";
import { CONTAINER_PORTS, type Topology } from "../topology";
import { UPLOAD_REQUEST_LIMIT } from "./limits";
import type { RenderedFile } from "./render";
import { hostPort, ROUNDCUBE_SCRIPT } from "./roundcube";
import type { ServiceSecrets } from "./secrets";
import { renderSpecs, type FileSpec } from "./spec";
import type { TemplateValues } from "./template";

/** Where each domain's server file and documents go, relative to nginx's config dir. */
export const nginxDomainPaths = (domain: string) => ({
  server: `servers/${domain}.conf`,
  documents: `documents/${domain}`,
  mtaSts: `documents/${domain}/mta-sts.txt`,
  autoconfig: `documents/${domain}/config-v1.1.xml`,
  autodiscover: `documents/${domain}/autodiscover.xml`,
});

export function nginxFiles(cfg: MailConfig, _secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  const dir = topo.configDirs.nginx;
  const certs = webCertificates(cfg, topo);
  const mail = certs.find((c) => c.name === MAIL_CERTIFICATE);
  if (mail === undefined) throw new Error("no mail certificate in webCertificates()");
  const main: TemplateValues = {
    hostname: cfg.hostname,
    uploadRequestLimit: UPLOAD_REQUEST_LIMIT,
    acmeWebroot: topo.paths.acmeWebroot,
    httpPort: CONTAINER_PORTS.http,
    httpsPort: CONTAINER_PORTS.https,
    // Clients reach HTTPS on the published port: 443 on the VM, 10443 on the local stack.
    httpsPortSuffix: topo.ports.https === 443 ? "" : `:${topo.ports.https}`,
    webmailNames: mail.names.join(" "),
    tlsDir: topo.paths.tlsDir,
    mailCertificate: MAIL_CERTIFICATE,
    roundcubePublic: topo.paths.roundcubePublic,
    roundcubeFpm: hostPort(topo.internal.roundcubeFpm),
    roundcubeScript: ROUNDCUBE_SCRIPT,
    configDir: dir,
  };
  const specs: FileSpec[] = [{ service: "nginx", template: "nginx/nginx.conf", values: main }];
  const documents: RenderedFile[] = [];
  for (const d of cfg.domains) {
    const p = nginxDomainPaths(d.name);
    const cert = certs.find((c) => c.name === `web-${d.name}`);
    if (cert === undefined) throw new Error(`no web certificate for ${d.name}`);
    specs.push({
      service: "nginx",
      template: "nginx/domain.conf",
      path: p.server,
      values: { domain: d.name, certificate: cert.name, tlsDir: topo.paths.tlsDir, httpsPort: CONTAINER_PORTS.https, documentDir: `${dir}/${p.documents}` },
    });
    const client = clientValues(cfg, d, topo);
    specs.push(
      { service: "nginx", template: "autoconfig/config-v1.1.xml", path: p.autoconfig, values: client },
      { service: "nginx", template: "autoconfig/autodiscover.xml", path: p.autodiscover, values: client },
    );
    // Not a template: the policy text is what dnsRecords hashes into the _mta-sts TXT id.
    documents.push({ service: "nginx", path: p.mtaSts, content: mtaStsPolicy(cfg, d), mode: 0o644, secret: false });
  }
  return [...renderSpecs(specs), ...documents];
}

/** What mail clients are told: the mail host and the ports they dial (published, not container ports). */
function clientValues(cfg: MailConfig, d: DomainConfig, topo: Topology): TemplateValues {
  return {
    domain: d.name,
    displayName: `Mail for ${d.name}`,
    hostname: cfg.hostname,
    imapsPort: topo.ports.imaps,
    imapPort: topo.ports.imap,
    submissionsPort: topo.ports.submissions,
    submissionPort: topo.ports.submission,
  };
}
