// Reads a stack file (Pulumi.<stack>.yaml) without the Pulumi CLI, for the tools that work on
// config alone: `npm run render`, the local runner and `npm run customer`. Secure values
// (`secure: v1:...`) cannot be decrypted here; only their presence is reported.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { CONFIG_NAMESPACE, parseMailConfig, type MailConfig } from "./config";

import { REPO_ROOT } from "../paths";

export function stackFilePath(stack: string, root = REPO_ROOT): string {
  return join(root, `Pulumi.${stack}.yaml`);
}

export interface StackFile {
  raw: Record<string, unknown>;
  hasRelayPassword: boolean;
}

export function parseStackYaml(text: string, file: string): StackFile {
  const doc: unknown = parse(text);
  const config = (doc as { config?: Record<string, unknown> } | null)?.config ?? {};
  if (typeof config !== "object" || config === null) throw new Error(`${file}: "config" must be a mapping`);
  const raw: Record<string, unknown> = {};
  let hasRelayPassword = false;
  for (const [k, v] of Object.entries(config)) {
    if (!k.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
    const key = k.slice(CONFIG_NAMESPACE.length + 1);
    if (key === "relayPassword") hasRelayPassword = v !== undefined && v !== null && v !== "";
    // Unknown keys are passed on too: the schema names them as unknown settings.
    else raw[key] = v;
  }
  return { raw, hasRelayPassword };
}

export function readStackFile(stack: string, root = REPO_ROOT): StackFile {
  const file = stackFilePath(stack, root);
  if (!existsSync(file)) throw new Error(`no stack file ${file}; create it with npm run customer -- new ${stack} --domain <domain>`);
  return parseStackYaml(readFileSync(file, "utf8"), file);
}

export function loadStackConfig(stack: string, root = REPO_ROOT): MailConfig {
  const { raw, hasRelayPassword } = readStackFile(stack, root);
  return parseMailConfig(raw, { hasRelayPassword });
}
