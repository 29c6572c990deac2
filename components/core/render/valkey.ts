// Valkey's rendered valkey.conf (Rspamd's store). Pure: reads files/valkey/valkey.conf.
import type { MailConfig } from "../config/config";
import type { Topology } from "../topology";
import type { RenderedFile } from "./render";
import type { ServiceSecrets } from "./secrets";
import { renderSpecs } from "./spec";

export function valkeyFiles(_cfg: MailConfig, _secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  return renderSpecs([
    { service: "valkey", template: "valkey/valkey.conf", values: { port: topo.internal.valkey.port, dataDir: topo.paths.valkeyData } },
  ]);
}
