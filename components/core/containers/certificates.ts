// Which certificates a stack needs, as plain data: one for the mail host (Postfix, Dovecot and the
// webmail on nginx all present it) and one per mail domain for its mta-sts., autoconfig. and
// autodiscover. names (nginx only). Separate certificates so that one domain whose DNS is not
// pointing at the server yet never holds up the mail host's certificate, or another domain's.
// certbot obtains them under these names; the certificate hook installs each into the TLS folder
// under the same name. Pure.
import type { MailConfig } from "../config/config";

export interface WebCertificate {
  /** certbot's --cert-name and the TLS folder's sub-folder. */
  name: string;
  /** DNS names on the certificate; the first is its subject. */
  names: string[];
}

/** The mail host's certificate: the one Postfix and Dovecot read. */
export const MAIL_CERTIFICATE = "mail";

export function webCertificates(cfg: Pick<MailConfig, "hostname" | "domains">): WebCertificate[] {
  return [
    { name: MAIL_CERTIFICATE, names: [cfg.hostname] },
    ...cfg.domains.map((d) => ({ name: `web-${d.name}`, names: [`mta-sts.${d.name}`, `autoconfig.${d.name}`, `autodiscover.${d.name}`] })),
  ];
}
