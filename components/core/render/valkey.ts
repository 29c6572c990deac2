// Valkey's rendered valkey.conf (Rspamd's store), with the password Rspamd logs in with. Pure:
// reads files/valkey/valkey.conf.
import type { MailConfig } from "../config/config";
import type { Topology } from "../topology";
import type { RenderedFile } from "./render";
import type { ServiceSecrets } from "./secrets";
import { renderSpecs } from "./spec";

/** Valkey's password lands unquoted-safe in valkey.conf and Rspamd's UCL only if it is plain. */
export function checkedValkeyPassword(p: string): string {
  if (!/^[A-Za-z0-9_-]{16,}$/.test(p)) throw new Error("secrets.valkeyPassword must be at least 16 letters, digits, '-' or '_'");
  return p;
}

export function valkeyFiles(_cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  return renderSpecs([
    {
      service: "valkey",
      template: "valkey/valkey.conf",
      // 0640 root:valkey: the server reads it, nobody else.
      secret: true,
      mode: 0o640,
      values: { port: topo.internal.valkey.port, dataDir: topo.paths.valkeyData, password: checkedValkeyPassword(secrets.valkeyPassword) },
    },
  ]);
}
