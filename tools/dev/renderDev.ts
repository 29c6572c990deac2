// Development helper (not part of the stack): renders a stack file with the local or production
// topology into its host config dirs under <root> (local: <root>/data/config/<service>/;
// production: <root>/config/<service>/ instead of /srv/mail), with
// fixed throwaway secrets and fresh DKIM keys, owned as the config push would own them. Used to
// run each image's `check` by hand and by test/images. Usage:
//   npx tsx tools/dev/renderDev.ts <stack file> local|production <root>
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseMailConfig, type MailConfig } from "../../components/core/config/config";
import { parseStackYaml } from "../../components/core/config/stackFile";
import { hostConfigDir } from "../../components/core/containers/hostLayout";
import { CONFIG_FILE_OWNER } from "../../components/core/containers/serviceAccounts";
import { renderServiceFiles } from "../../components/core/render/render";
import type { ServiceSecrets } from "../../components/core/render/secrets";
import { localTopology, productionTopology, type Topology } from "../../components/core/topology";
import { placeholderPem } from "./placeholderPem";

export function loadStack(file: string): MailConfig {
  const { raw, hasRelayPassword } = parseStackYaml(readFileSync(file, "utf8"), file);
  return parseMailConfig(raw, { hasRelayPassword });
}

/** Throwaway secrets: fixed strings (with characters that need quoting) and fresh DKIM keys. */
export function devSecrets(cfg: MailConfig): ServiceSecrets {
  const keys: Record<string, string> = {};
  for (const d of cfg.domains) {
    keys[d.name] = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } }).privateKey;
  }
  return {
    postgresPassword: "pgsuper-secret",
    mailDbPassword: "mail'db pass",
    roundcubeDbPassword: "rc'pa\\ss@wo/rd%:?#",
    mailPasswordDbPassword: "mp'pa\\ss@wo/rd%:?#",
    roundcubeDesKey: "abcdefghijklmnopqrstuvwx",
    rspamdControllerPassword: "ctrl",
    rspamdControllerSalt: "salt",
    valkeyPassword: "valkeyDevPassword",
    dkimPrivateKeys: keys,
    relayPassword: "relay",
    backupDbPassword: "backup'db pass",
    backup: { password: "restic pass'word", accessKeyId: "AKIDEXAMPLE", secretAccessKey: "s3 secret'key", sshKey: placeholderPem("OPENSSH PRIVATE KEY", "x"), restPassword: "rest" },
  };
}

export function devTopology(kind: string, root: string): Topology {
  return kind === "local" ? localTopology(root) : { ...productionTopology, hostRoot: root };
}

/** Writes every rendered file under the topology's host config dirs; returns the topology. */
export function renderDev(file: string, kind: string, root: string, secrets?: ServiceSecrets): Topology {
  const topo = devTopology(kind, root);
  renderInto(loadStack(file), topo, secrets);
  return topo;
}

/** Writes every rendered file of `cfg` under `topo`'s host config dirs, owned as the push owns them. */
export function renderInto(cfg: MailConfig, topo: Topology, secrets?: ServiceSecrets): void {
  for (const f of renderServiceFiles(cfg, secrets ?? devSecrets(cfg), topo)) {
    const p = join(hostConfigDir(topo, f.service), f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
    chmodSync(p, f.mode);
    chownSync(p, 0, CONFIG_FILE_OWNER[f.service].gid);
  }
}

if (process.argv[1]?.endsWith("renderDev.ts")) {
  const [file, kind, root] = process.argv.slice(2);
  if (!file || !kind || !root) {
    console.error("usage: npx tsx tools/dev/renderDev.ts <stack file> local|production <root>");
    process.exit(2);
  }
  const topo = renderDev(file, kind, root);
  console.log(`rendered ${file} (${kind}) into ${join(topo.hostRoot, "config")}`);
}
