// certbot's rendered files: cli.ini (certbot's own settings: the ACME directory, account contact,
// webroot, key type) and mailstack.conf (the certificates to obtain, from
// components/core/containers/certificates.ts, the web front to probe first and, locally only,
// the test CA to trust). The certbot image's entrypoint reads both. Pure: reads files/certbot/,
// never writes; never talks to a CA.
import type { MailConfig } from "../config/config";
import { webCertificates } from "../containers/certificates";
import { LETS_ENCRYPT_DIRECTORY, TEST_CA_DIR, type Topology } from "../topology";
import { oneLine } from "./quote";
import type { RenderedFile } from "./render";
import type { ServiceSecrets } from "./secrets";
import { renderSpecs } from "./spec";

/** Where the pebble container publishes what certbot and Roundcube must trust (test only). */
export const TEST_CA_FILES = { tls: `${TEST_CA_DIR}/pebble-tls.pem`, root: `${TEST_CA_DIR}/pebble-root.pem` } as const;

export function certbotFiles(cfg: MailConfig, _secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  // A production stack gets certificates from Let's Encrypt production and nowhere else: CAA
  // allows only letsencrypt.org, and a staging or test certificate would fail every client.
  if (topo.kind === "production" && (topo.acme.issuer !== "letsencrypt" || topo.acme.directory !== LETS_ENCRYPT_DIRECTORY)) {
    throw new Error(`a production stack must use Let's Encrypt production (${LETS_ENCRYPT_DIRECTORY}), not ${topo.acme.directory}`);
  }
  const certificates = webCertificates(cfg, topo).map((c) => `certificate ${c.name} ${c.names.join(" ")}`);
  const web = topo.internal.web;
  return renderSpecs([
    {
      service: "certbot",
      template: "certbot/cli.ini",
      values: {
        hostname: cfg.hostname,
        acmeDirectory: topo.acme.directory,
        acmeEmail: oneLine(cfg.acmeEmail, "acmeEmail"),
        acmeWebroot: topo.paths.acmeWebroot,
        letsencrypt: topo.paths.letsencrypt,
      },
    },
    {
      service: "certbot",
      template: "certbot/mailstack.conf",
      values: {
        hostname: cfg.hostname,
        webrootUrl: `http://${web.host}:${web.port}/.well-known/acme-challenge/`,
        testCa: topo.acme.issuer === "pebble" ? `test-ca ${TEST_CA_FILES.tls} ${TEST_CA_FILES.root}` : "# test-ca: none (Let's Encrypt production)",
        certificates: certificates.join("\n"),
      },
    },
  ]);
}
