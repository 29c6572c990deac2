// Which certificates a stack needs, as plain data: one for the mail host (Postfix, Dovecot and the
// webmail on nginx all present it) and one per mail domain for its mta-sts., autoconfig. and
// autodiscover. names (nginx only). Separate certificates so that one domain whose DNS is not
// pointing at the server yet never holds up the mail host's certificate, or another domain's.
// certbot obtains them under these names; the certificate hook installs each into the TLS folder
// under the same name. Pure.
import type { MailConfig } from "../config/config";
import { webHostNames } from "../dns/dnsRecords";
import type { Topology } from "../topology";

export interface WebCertificate {
  /** certbot's --cert-name and the TLS folder's sub-folder. */
  name: string;
  /** DNS names on the certificate; the first is its subject. */
  names: string[];
}

/** The mail host's certificate: the one Postfix and Dovecot read. */
export const MAIL_CERTIFICATE = "mail";

/**
 * Local stack only: the name the printed webmail URL uses, `<mail host>.localhost`. Browsers
 * (Chromium: checked; Firefox) resolve every `*.localhost` name to loopback by themselves
 * (RFC 6761 6.3), so the URL opens as printed with no /etc/hosts entry, and the name can be on the
 * mail certificate: pebble validates it by HTTP-01 like any other, through the engine's DNS, where
 * it is one more network alias of the nginx container. An IP address (127.0.0.1) cannot be on it:
 * certbot 4.0 requests DNS names only, and pebble would validate 127.0.0.1 against itself.
 * Programs that use the system resolver may not resolve it (glibc without nss-myhostname, curl
 * 7.88): they connect to 127.0.0.1 and name the host by SNI (curl --resolve), as the tests do.
 */
export function localWebmailHost(cfg: Pick<MailConfig, "hostname">): string {
  return `${cfg.hostname}.localhost`;
}

/** The local stack's webmail URL as `npm run local -- up` prints it: opens in a browser as is. */
export function localWebmailUrl(cfg: Pick<MailConfig, "hostname">, topo: Pick<Topology, "ports">): string {
  return `https://${localWebmailHost(cfg)}:${topo.ports.https}/`;
}

/**
 * Every certificate of the stack. With the local topology the mail certificate also names
 * localWebmailHost(); in production it names the mail host only.
 */
export function webCertificates(cfg: Pick<MailConfig, "hostname" | "domains">, topo?: Pick<Topology, "kind">): WebCertificate[] {
  const mailNames = topo?.kind === "local" ? [cfg.hostname, localWebmailHost(cfg)] : [cfg.hostname];
  return [
    { name: MAIL_CERTIFICATE, names: mailNames },
    ...cfg.domains.map((d) => ({ name: `web-${d.name}`, names: webHostNames(d.name) })),
  ];
}
