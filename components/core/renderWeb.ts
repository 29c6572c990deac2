// STUB: owned by the TLS/web work (Caddy, Roundcube, autoconfig, MTA-STS policy files).
import type { MailConfig } from "./config";
import type { RenderedFile } from "./render";
import type { ServiceSecrets } from "./secrets";
import type { Topology } from "./topology";

export function renderWebFiles(_cfg: MailConfig, _secrets: ServiceSecrets, _topo: Topology): RenderedFile[] {
  return [];
}
