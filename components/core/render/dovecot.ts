// Dovecot's rendered files: dovecot.conf (IMAP, LMTP, SASL and the quota policy for Postfix,
// Sieve), the SQL auth settings, the global Sieve scripts and the Junk-learning hook. Pure:
// reads templates from files/dovecot/, never writes.
import type { MailConfig } from "../config/config";
import { CONTAINER_PORTS, type Topology } from "../topology";
import type { RenderedFile } from "./render";
import { curlQuote, libpqQuote } from "./quote";
import type { ServiceSecrets } from "./secrets";
import { renderSpecs } from "./spec";
import type { TemplateValues } from "./template";

export function dovecotFiles(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  const dir = topo.configDirs.dovecot;
  const pg = topo.internal.postgres;
  const values: TemplateValues = {
    hostname: cfg.hostname,
    listen: "*, ::",
    // Internal services (LMTP, SASL, quota policy) listen on the service network.
    internalListen: "*",
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
    imapPort: CONTAINER_PORTS.imap,
    imapsPort: CONTAINER_PORTS.imaps,
    sievePort: CONTAINER_PORTS.sieve,
    lmtpPort: topo.internal.lmtp.port,
    saslPort: topo.internal.sasl.port,
    quotaPolicyPort: topo.internal.quotaPolicy.port,
    postmasterAddress: `postmaster@${cfg.domains[0].name}`,
    controllerHost: topo.internal.rspamdController.host,
    controllerPort: topo.internal.rspamdController.port,
  };
  return renderSpecs([
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
  ]);
}
