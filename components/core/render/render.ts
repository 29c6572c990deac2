// Every file the server gets, as plain data: one renderer per service, each in its own file
// mirroring files/<service>/. The Pulumi shell pushes them to /srv/mail/config/<service>/<path>
// on the VM; the local runner writes them to .local/data/config/<service>/. Either way the folder
// is bind-mounted read-only onto the service's config directory in its container.
import type { MailConfig } from "../config/config";
import type { ServiceName, Topology } from "../topology";
import { certbotFiles } from "./certbot";
import { dovecotFiles } from "./dovecot";
import { fail2banFiles } from "./fail2ban";
import { nginxFiles } from "./nginx";
import { postfixFiles } from "./postfix";
import { postgresFiles } from "./postgres";
import { roundcubeFiles } from "./roundcube";
import { rspamdFiles } from "./rspamd";
import type { ServiceSecrets } from "./secrets";
import { unboundFiles } from "./unbound";
import { valkeyFiles } from "./valkey";
import { backupFiles } from "./backup";

export interface RenderedFile {
  service: ServiceName;
  /** Relative to the service's config directory (topology.configDirs[service]). */
  path: string;
  content: string;
  /** Octal file mode, e.g. 0o644; 0o600 or 0o640 for anything holding a secret. */
  mode: number;
  /** True when content holds a secret (password, private key): never printed or logged. */
  secret: boolean;
}

type Renderer = (cfg: MailConfig, secrets: ServiceSecrets, topo: Topology) => RenderedFile[];

const RENDERERS: readonly Renderer[] = [postfixFiles, dovecotFiles, rspamdFiles, valkeyFiles, postgresFiles, nginxFiles, roundcubeFiles, certbotFiles, unboundFiles, fail2banFiles, backupFiles];

export function renderServiceFiles(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  const files = RENDERERS.flatMap((render) => render(cfg, secrets, topo));
  const seen = new Set<string>();
  for (const f of files) {
    const key = `${f.service}/${f.path}`;
    if (seen.has(key)) throw new Error(`two rendered files claim ${key}`);
    seen.add(key);
  }
  return files.sort((a, b) => (`${a.service}/${a.path}` < `${b.service}/${b.path}` ? -1 : 1));
}
