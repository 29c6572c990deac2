// Stack config as Pulumi hands it to a program, and the one way this project turns it into the raw
// `mailstack:` object the schema checks. `pulumi up` gets every value as a string (a scalar exactly
// as written in the stack file, `dkimSelector: 2026` arrives as "2026"; a mapping or list as JSON
// text) from `pulumi.runtime.allConfig()`; the tools read the YAML themselves and convert it to
// the same strings first (stackFile.ts). Both then call `rawMailConfig`, so a value means the same
// in `npm run render`, the local runner and `pulumi up`. Also owns the checks on the keys
// themselves: a namespace that looks like a misspelling of ours would otherwise be ignored
// silently. Pure: no Pulumi, no I/O.
import { distance } from "fastest-levenshtein";
import { OPERATIONS_SECRET_KEYS } from "./operations";

export const CONFIG_NAMESPACE = "mailstack";

/** Keys read from stack config, each `mailstack:<key>`. Secrets are read separately. */
export const CONFIG_KEYS = [
  "hostname",
  "acmeEmail",
  "dkimSelector",
  "dkimPrevious",
  "server",
  "host",
  "ssh",
  "domains",
  "mailboxes",
  "aliases",
  "relay",
  "externalReportAddresses",
  "limits",
  "bans",
  "backup",
  "alerts",
  "reports",
] as const;

/** Read as plain strings (`config.get`); every other key is a mapping or list (`config.getObject`). */
export const STRING_KEYS: readonly string[] = ["hostname", "acmeEmail", "dkimSelector"];

/** `mailstack:relayPassword`: a secret; only its presence is config, its value goes to the relay. */
export const RELAY_PASSWORD_KEY = "relayPassword";

/** The operations secrets (backup credentials, alert webhook): only their presence is config. */
export const SECRET_KEYS: readonly string[] = Object.values(OPERATIONS_SECRET_KEYS);

/** Namespaces of the providers this program configures; any other namespace is not ours to judge. */
const PROVIDER_NAMESPACES = ["hcloud", "cloudflare"];
/** Edit distance at which a namespace counts as a misspelling ("mailstak", "mailstacks", "MailStack"). */
const TYPO_DISTANCE = 2;

/** Keys as Pulumi stores them ("namespace:name") with values as Pulumi hands them over. */
export type PulumiConfigValues = Readonly<Record<string, string>>;

export interface RawStackConfig {
  /** The `mailstack:` values, keyed without the namespace, ready for parseMailConfig. */
  raw: Record<string, unknown>;
  hasRelayPassword: boolean;
  /** The secrets among SECRET_KEYS that are set (non-empty). */
  secretsSet: Set<string>;
  /** Problems with the keys themselves (misspelt namespace), reported with the schema's. */
  keyProblems: string[];
}

export function rawMailConfig(values: PulumiConfigValues): RawStackConfig {
  const raw: Record<string, unknown> = {};
  let hasRelayPassword = false;
  const secretsSet = new Set<string>();
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [k, v] of Object.entries(values)) {
    if (!k.startsWith(prefix)) continue;
    const key = k.slice(prefix.length);
    if (key === RELAY_PASSWORD_KEY) {
      hasRelayPassword = v !== "";
      continue;
    }
    if (SECRET_KEYS.includes(key)) {
      if (v !== "") secretsSet.add(key);
      continue;
    }
    // An empty value ("mailstack:mailboxes:" with nothing after it) counts as not set.
    if (v === "") continue;
    // Unknown keys are passed on too, so the schema names them (with a suggestion).
    raw[key] = STRING_KEYS.includes(key) ? v : parseJsonOrKeep(v);
  }
  return { raw, hasRelayPassword, secretsSet, keyProblems: keyProblems(Object.keys(values)) };
}

/** A mapping or list arrives as JSON; anything else stays the text it was, for the schema to name. */
function parseJsonOrKeep(v: string): unknown {
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** Keys whose namespace looks like a misspelling of ours or of a provider's. */
export function keyProblems(keys: readonly string[]): string[] {
  const problems: string[] = [];
  for (const key of keys) {
    const colon = key.indexOf(":");
    if (colon < 0) continue;
    const ns = key.slice(0, colon);
    const name = key.slice(colon + 1);
    if (ns === CONFIG_NAMESPACE || PROVIDER_NAMESPACES.includes(ns)) continue;
    const meant = [CONFIG_NAMESPACE, ...PROVIDER_NAMESPACES].find((known) => distance(ns.toLowerCase(), known) <= TYPO_DISTANCE);
    if (meant !== undefined) {
      problems.push(
        `${key}: the namespace "${ns}" looks like a misspelling of "${meant}", so this setting would be ignored ` +
          `(for mailstack:mailboxes that would disable every mailbox); rename the key to ${meant}:${name}`,
      );
    }
  }
  return problems;
}

/** The known setting closest to an unknown one, if it is close enough to be a typo. */
export function closestKey(unknown: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(unknown.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(2, Math.floor(unknown.length / 3)) ? best : undefined;
}
