// Dovecot 2.4's rendered files: dovecot.conf (IMAP, LMTP, SASL and the quota policy for Postfix,
// Sieve, Junk learning), the PostgreSQL connection it includes, the global Sieve scripts and the
// Junk-learning hook with its Rspamd controller password. Pure: reads templates from
// files/dovecot/, never writes.
import type { MailConfig } from "../config/config";
import { CONTAINER_PORTS, dovecotSocket, type Topology } from "../topology";
import type { RenderedFile } from "./render";
import { curlQuote, dovecotString } from "./quote";
import type { ServiceSecrets } from "./secrets";
import { renderSpecs } from "./spec";
import type { TemplateValues } from "./template";

/** How much Trash may hold beyond a full quota, so deleting (moving to Trash) still works. */
export const TRASH_ALLOWANCE = "100M";

export function dovecotFiles(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  const pg = topo.internal.postgres;
  const values: TemplateValues = {
    hostname: cfg.hostname,
    listen: "*, ::",
    baseDir: topo.paths.dovecotBase,
    logPath: topo.logs.dovecot,
    tlsCert: topo.paths.tlsCert,
    tlsKey: topo.paths.tlsKey,
    mailUid: topo.mailUser.uid,
    mailGid: topo.mailUser.gid,
    mailUser: topo.mailUser.name,
    mailRoot: topo.paths.mailRoot,
    sieveRoot: topo.paths.sieveRoot,
    configDir: topo.configDirs.dovecot,
    imapPort: CONTAINER_PORTS.imap,
    imapsPort: CONTAINER_PORTS.imaps,
    sievePort: CONTAINER_PORTS.sieve,
    socketDir: topo.paths.postfixDovecotSockets,
    lmtpSocket: dovecotSocket(topo, "lmtp"),
    saslSocket: dovecotSocket(topo, "sasl"),
    quotaPolicySocket: dovecotSocket(topo, "quotaPolicy"),
    trustedNetworks: topo.networks.mailaccess.ipv4Subnet,
    authFailureLog: topo.paths.authFailureLog,
    postmasterAddress: `postmaster@${cfg.domains[0].name}`,
    controllerHost: topo.internal.rspamdController.host,
    controllerPort: topo.internal.rspamdController.port,
    internalSubmissionHost: topo.internal.internalSubmission.host,
    internalSubmissionPort: topo.internal.internalSubmission.port,
    trashAllowance: TRASH_ALLOWANCE,
  };
  return renderSpecs([
    { service: "dovecot", template: "dovecot/dovecot.conf", values },
    {
      service: "dovecot",
      template: "dovecot/dovecot-sql.conf.ext",
      // 0600: only Dovecot's config process (root) reads it.
      secret: true,
      mode: 0o600,
      values: { pgHost: pg.host, pgPort: pg.port, mailDbPassword: dovecotString(secrets.mailDbPassword, "mailDbPassword") },
    },
    { service: "dovecot", template: "dovecot/sieve/dedupe.sieve", values: {} },
    { service: "dovecot", template: "dovecot/sieve/spam-to-junk.sieve", values: {} },
    { service: "dovecot", template: "dovecot/quota-warning.sh", mode: 0o755, values },
    { service: "dovecot", template: "dovecot/sieve/report-spam.sieve", values: {} },
    { service: "dovecot", template: "dovecot/sieve/report-ham.sieve", values: {} },
    { service: "dovecot", template: "dovecot/sieve/rspamd-learn.sh", mode: 0o755, values },
    {
      service: "dovecot",
      template: "dovecot/rspamd-controller.curlrc",
      // 0640 with the dovecot group: the learn services run as the dovecot user (dovecot.conf).
      secret: true,
      mode: 0o640,
      values: { rspamdControllerPassword: curlQuote(secrets.rspamdControllerPassword) },
    },
  ]);
}
