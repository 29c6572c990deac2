// Every file the server gets, as plain data: the mail daemons' configs (renderMail.ts) and the web
// front's (renderWeb.ts). The Pulumi shell pushes them to /srv/mail/config/<service>/<path> on
// the VM and bind-mounts that folder onto the service's config directory; the local runner writes
// them straight into the local topology's config directories.
import type { MailConfig } from "../config/config";
import type { ServiceSecrets } from "./secrets";
import type { ServiceName, Topology } from "../topology";
import { renderMailFiles } from "./renderMail";
import { renderWebFiles } from "./renderWeb";

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

export function renderServiceFiles(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  const files = [...renderMailFiles(cfg, secrets, topo), ...renderWebFiles(cfg, secrets, topo)];
  const seen = new Set<string>();
  for (const f of files) {
    const key = `${f.service}/${f.path}`;
    if (seen.has(key)) throw new Error(`two rendered files claim ${key}`);
    seen.add(key);
  }
  return files.sort((a, b) => (`${a.service}/${a.path}` < `${b.service}/${b.path}` ? -1 : 1));
}
