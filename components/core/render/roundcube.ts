// Roundcube's rendered files: config.inc.php (database, IMAP/SMTP/ManageSieve endpoints with
// certificate checks, plugins, limits; holds the database password and des_key) and the PHP-FPM
// pool nginx reaches over FastCGI. The Roundcube image installs both at start. Pure: reads
// files/roundcube/, never writes, never touches the database (the image's entrypoint does).
import type { MailConfig } from "../config/config";
import type { Endpoint, Topology } from "../topology";
import { MESSAGE_SIZE_LIMIT, UPLOAD_REQUEST_LIMIT } from "./limits";
import { oneLine, phpQuoted } from "./quote";
import type { RenderedFile } from "./render";
import type { ServiceSecrets } from "./secrets";
import { renderSpecs } from "./spec";

/**
 * Roundcube's entry script as PHP-FPM sees it inside the Roundcube container: Debian's
 * public_html/index.php (roundcube-core). nginx sends this path, never one taken from the request.
 */
export const ROUNDCUBE_SCRIPT = "/var/lib/roundcube/public_html/index.php";

/** host:port, with brackets around an IPv6 address (a URL authority, or nginx's fastcgi_pass). */
export const hostPort = (e: Endpoint): string => (e.host.includes(":") ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`);

/**
 * Plugins enabled: Debian's roundcube-plugins, and mailstack_client_ip from our image
 * (files/images/roundcube/mailstack_client_ip.php: the browser's address to Dovecot).
 */
export const ROUNDCUBE_PLUGINS = ["archive", "mailstack_client_ip", "managesieve", "password", "zipdownload"] as const;

export function roundcubeFiles(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  if (secrets.roundcubeDesKey.length !== 24) {
    throw new Error("secrets.roundcubeDesKey must be exactly 24 characters (Roundcube's des_key)");
  }
  const primary = cfg.domains[0];
  const pg = topo.internal.postgres;
  // Roundcube parses the DSN as a URL: the password is percent-encoded, then PHP-quoted.
  const dsn = `pgsql://roundcube:${encodeURIComponent(oneLine(secrets.roundcubeDbPassword, "roundcubeDbPassword"))}@${hostPort(pg)}/roundcube`;
  // The password plugin's own login: role mailpassword in the mail database (schema.sql).
  const passwordDsn = `pgsql://mailpassword:${encodeURIComponent(oneLine(secrets.mailPasswordDbPassword, "mailPasswordDbPassword"))}@${hostPort(pg)}/mail`;
  return renderSpecs([
    {
      service: "roundcube",
      template: "roundcube/config.inc.php",
      // 0640 root:www-data: PHP-FPM's workers read it, nobody else.
      secret: true,
      mode: 0o640,
      values: {
        hostname: cfg.hostname,
        dbDsn: phpQuoted(dsn),
        passwordDbDsn: phpQuoted(passwordDsn),
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
        plugins: ROUNDCUBE_PLUGINS.map((p) => `'${p}'`).join(", "),
        messageSizeLimit: MESSAGE_SIZE_LIMIT,
      },
    },
    {
      service: "roundcube",
      template: "roundcube/php-fpm.conf",
      values: { listenPort: topo.internal.roundcubeFpm.port, uploadMaxFilesize: MESSAGE_SIZE_LIMIT, postMaxSize: UPLOAD_REQUEST_LIMIT },
    },
  ]);
}
