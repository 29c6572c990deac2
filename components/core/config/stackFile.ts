// Reads a stack file (Pulumi.<stack>.yaml) without the Pulumi CLI, for the tools that work on
// config alone: `npm run render`, the local runner and `npm run customer`. It converts the YAML to
// the strings Pulumi would hand the program (stackValues.ts) and goes through the same
// `rawMailConfig` as `pulumi up`. Secure values (`secure: v1:...`) cannot be decrypted here; only
// their presence is reported. A YAML syntax error names the file, line and column.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isNode, isScalar, parseDocument } from "yaml";
import { parseMailConfig, type MailConfig, type ParseNotice } from "./config";
import { CONFIG_NAMESPACE, rawMailConfig, type RawStackConfig } from "./stackValues";

import { REPO_ROOT } from "../paths";

export function stackFilePath(stack: string, root = REPO_ROOT): string {
  return join(root, `Pulumi.${stack}.yaml`);
}

/** A stack file that cannot be read as YAML, or has no usable `config:` mapping. */
export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

export type StackFile = RawStackConfig;

/** What Pulumi stores for a secure value: never the secret itself. */
const SECURE_PLACEHOLDER = "[secure]";

/** The config of a stack file as Pulumi hands it to the program: "ns:key" -> string. */
export function pulumiConfigValues(text: string, file: string): { values: Record<string, string>; problems: string[] } {
  const doc = parseDocument(text);
  const err = doc.errors[0];
  if (err !== undefined) {
    const at = err.linePos?.[0];
    const where = at === undefined ? file : `${file}:${at.line}:${at.col}`;
    const what = err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    throw new StackFileError(`${where}: not valid YAML: ${what}`);
  }
  const config = doc.get("config", true);
  const values: Record<string, string> = {};
  const problems: string[] = [];
  if (config === undefined || config === null) return { values, problems };
  if (!isMap(config)) throw new StackFileError(`${file}: "config" must be a mapping of settings such as mailstack:hostname`);
  for (const pair of config.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (!key.includes(":")) {
      // Pulumi itself refuses such a key (config.ParseKey), so say it before a preview does.
      problems.push(`${key}: a stack config key needs its namespace; write ${CONFIG_NAMESPACE}:${key} (or hcloud:/cloudflare: for provider settings)`);
      continue;
    }
    const v = pair.value;
    if (v === null || v === undefined) values[key] = "";
    else if (isScalar(v)) {
      // A plain scalar is handed over exactly as written (2026 stays "2026", 0x1F stays "0x1F").
      values[key] = v.type === "PLAIN" && typeof v.source === "string" ? v.source : String(v.value ?? "");
    } else if (isMap(v) && v.items.length === 1 && isScalar(v.items[0].key) && v.items[0].key.value === "secure") {
      values[key] = SECURE_PLACEHOLDER;
    } else values[key] = JSON.stringify(isNode(v) ? v.toJSON() : v);
  }
  return { values, problems };
}

export function parseStackYaml(text: string, file: string): StackFile {
  const { values, problems } = pulumiConfigValues(text, file);
  const parsed = rawMailConfig(values);
  return { ...parsed, keyProblems: [...problems, ...parsed.keyProblems] };
}

export function readStackFile(stack: string, root = REPO_ROOT): StackFile {
  const file = stackFilePath(stack, root);
  if (!existsSync(file)) {
    throw new StackFileError(`no stack file ${file}; create it with npm run customer -- new ${stack} --domain <domain> ...`);
  }
  return parseStackYaml(readFileSync(file, "utf8"), file);
}

/** Reads and validates a stack file; throws StackFileError or ConfigError (every problem at once). */
export function loadStackFile(file: string, notice?: (n: ParseNotice) => void): MailConfig {
  if (!existsSync(file)) throw new StackFileError(`no stack file ${file}`);
  const { raw, hasRelayPassword, secretsSet, keyProblems } = parseStackYaml(readFileSync(file, "utf8"), file);
  return parseMailConfig(raw, { hasRelayPassword, secretsSet, keyProblems, notice });
}

export function loadStackConfig(stack: string, root = REPO_ROOT, notice?: (n: ParseNotice) => void): MailConfig {
  const { raw, hasRelayPassword, secretsSet, keyProblems } = readStackFile(stack, root);
  return parseMailConfig(raw, { hasRelayPassword, secretsSet, keyProblems, notice });
}

