// `npm run customer -- new <name> --domain <domain> --zone-id <id> --ssh-key <key> --ssh-from <cidr>
// [--mailbox <address>...]`: adds a customer by writing Pulumi.<name>.yaml at the repository root.
// Owns argument checking, the refusal rules (existing customer, reserved or invalid name), reading
// admin keys from .pub files (every key in the file), and the write itself; the file's content and
// its validation live in stackFile.ts. Never calls the Pulumi CLI and never handles a secret.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError } from "../../components/core/config/config";
import { stackFilePath } from "../../components/core/config/stackFile";
import { SSH_KEY_TYPES, sshPublicKeysInText } from "../../components/core/config/sshKeys";
import { customerStackFile, type NewCustomer } from "./stackFile";
import { stackNameProblem } from "../stackNames";
import { REPO_ROOT } from "../../components/core/paths";
import { UsageError } from "../cliKit";

export const NEW_USAGE = `usage: npm run customer -- new <name> --domain <domain> --zone-id <cloudflare-zone-id>
         --ssh-key <"ssh-ed25519 AAAA... comment" | path/to/key.pub> [--ssh-key ...]
         --ssh-from <cidr> [--ssh-from ...] [--mailbox <address>...]
         [--acme-email <address>] [--location fsn1] [--server-type cx23]`;

export interface CustomerIo {
  root: string;
  exists(path: string): boolean;
  readText(path: string): string;
  /** Must fail if the file appeared meanwhile (`wx`), so a concurrent run cannot overwrite. */
  writeNew(path: string, text: string): void;
  log(line: string): void;
}

// An admin key is given inline or as a path to a .pub (or authorized_keys-style) file, which may
// hold several keys: all of them are taken. Key lines always start with the key type.
function sshKeys(value: string, io: CustomerIo): string[] {
  if (SSH_KEY_TYPES.some((t) => value.trim().startsWith(`${t} `))) return [value.trim()];
  if (!io.exists(value)) {
    throw new UsageError(`--ssh-key: "${value}" is neither an OpenSSH public key line nor an existing .pub file`);
  }
  const { keys, problems } = sshPublicKeysInText(io.readText(value));
  if (problems.length > 0) throw new UsageError(`--ssh-key ${value}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  if (keys.length === 0) throw new UsageError(`--ssh-key ${value}: the file holds no public key`);
  return keys.map((k) => k.line);
}

export function newCustomer(argv: string[], io: CustomerIo): string {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${NEW_USAGE}`);
  }
  const { values, positionals } = parsed;
  const [command, name, ...extra] = positionals;
  if (command !== "new") throw new UsageError(`unknown command "${command ?? ""}"\n${NEW_USAGE}`);
  if (name === undefined) throw new UsageError(`missing the customer name after "new"\n${NEW_USAGE}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument(s) ${extra.join(" ")}; repeat --mailbox for each address\n${NEW_USAGE}`);
  const nameProblem = stackNameProblem(name);
  if (nameProblem !== undefined) throw new UsageError(`customer name: ${nameProblem}`);

  const missing = [
    values.domain === undefined ? "--domain <mail domain, such as example.com>" : undefined,
    values["zone-id"] === undefined ? "--zone-id <the 32-character Cloudflare zone id>" : undefined,
    (values["ssh-key"] ?? []).length === 0 ? "--ssh-key <admin OpenSSH public key or .pub file>" : undefined,
    (values["ssh-from"] ?? []).length === 0 ? "--ssh-from <source range allowed to reach SSH, such as 203.0.113.0/24>" : undefined,
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0) throw new UsageError(`missing required option(s): ${missing.join(", ")}\n${NEW_USAGE}`);

  const file = stackFilePath(name, io.root);
  if (io.exists(file)) {
    throw new UsageError(
      `customer "${name}" already exists (${file}); edit that file instead, or pick another name`,
    );
  }
  const spec: NewCustomer = {
    name,
    domain: values.domain!,
    zoneId: values["zone-id"]!,
    sshKeys: [...new Set(values["ssh-key"]!.flatMap((k) => sshKeys(k, io)))],
    sshFrom: values["ssh-from"]!,
    mailboxes: values.mailbox ?? [],
    acmeEmail: values["acme-email"],
    location: values.location,
    serverType: values["server-type"],
  };
  let built: ReturnType<typeof customerStackFile>;
  try {
    built = customerStackFile(spec);
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new UsageError(`the options do not make a valid stack:\n${e.problems.map((p) => `  - ${optionFor(p)}`).join("\n")}`);
    }
    throw e;
  }
  const { text, config } = built;
  io.writeNew(file, text);
  io.log(`Wrote ${file} for ${config.domains.map((d) => d.name).join(", ")} (host ${config.hostname}, ${config.mailboxes.length} mailbox(es): ${config.mailboxes.map((m) => m.address).join(", ")}).`);
  io.log("Next:");
  io.log(`  pulumi stack init ${name}`);
  io.log(`  pulumi config set --secret hcloud:token --stack ${name}`);
  io.log(`  pulumi config set --secret cloudflare:apiToken --stack ${name}`);
  io.log("  open a pull request with the file; the preview workflow comments the plan for this customer only.");
  return file;
}

// The schema names config paths; the operator typed options. Name both.
const OPTION_OF: readonly [RegExp, string][] = [
  [/^mailstack:domains\[0\]\.zoneId/, "--zone-id"],
  [/^mailstack:domains\[0\]\.name/, "--domain"],
  [/^mailstack:hostname/, "--domain"],
  [/^mailstack:ssh\.adminKeys/, "--ssh-key"],
  [/^mailstack:ssh\.allowFrom/, "--ssh-from"],
  [/^mailstack:mailboxes/, "--mailbox"],
  [/^mailstack:acmeEmail/, "--acme-email"],
  [/^mailstack:server\.location/, "--location"],
  [/^mailstack:server\.type/, "--server-type"],
];

function optionFor(problem: string): string {
  const hit = OPTION_OF.find(([re]) => re.test(problem));
  return hit === undefined ? problem : `${hit[1]}: ${problem}`;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      domain: { type: "string" },
      "zone-id": { type: "string" },
      "ssh-key": { type: "string", multiple: true },
      "ssh-from": { type: "string", multiple: true },
      mailbox: { type: "string", multiple: true },
      "acme-email": { type: "string" },
      location: { type: "string" },
      "server-type": { type: "string" },
    },
  });
}

export const realIo = (root = REPO_ROOT): CustomerIo => ({
  root,
  exists: existsSync,
  readText: (p) => readFileSync(p, "utf8"),
  writeNew: (p, t) => writeFileSync(p, t, { flag: "wx" }),
  log: (l) => process.stdout.write(`${l}\n`),
});
