// Certificates on the local stack. Until the certificate hook (files/tls/sync-certs.sh) is wired
// here, every certificate name gets a self-signed pair made with openssl on this host, so Postfix,
// Dovecot and nginx can start. TRANSITIONAL: replaced by the hook and pebble-issued certificates.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import { webCertificates } from "../components/core/containers/certificates";
import { hostDir } from "../components/core/containers/hostLayout";
import { runOk } from "./proc";
import type { LocalStack } from "./stack";

export async function installCertificates(stack: LocalStack, _docker: Docker, _opts: { reload: boolean }): Promise<void> {
  const tls = hostDir(stack.topo, "tls");
  for (const c of webCertificates(stack.cfg)) {
    const dir = join(tls, c.name);
    if (existsSync(join(dir, "fullchain.pem"))) continue;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    await runOk(`self-signed certificate for ${c.name}`, "openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
      "-keyout", join(dir, "privkey.pem"), "-out", join(dir, "fullchain.pem"),
      "-subj", `/CN=${c.names[0]}`, "-addext", `subjectAltName=${c.names.map((n) => `DNS:${n}`).join(",")}`,
    ]);
  }
}
