// STUB: owned by the mail-daemons work (Postfix, Dovecot, Rspamd, Redis, PostgreSQL files).
import type { MailConfig } from "./config";
import type { RenderedFile } from "./render";
import type { ServiceSecrets } from "./secrets";
import type { Topology } from "./topology";

export function renderMailFiles(_cfg: MailConfig, _secrets: ServiceSecrets, _topo: Topology): RenderedFile[] {
  return [];
}
