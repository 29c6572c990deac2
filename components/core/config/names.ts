// Host names, mail addresses and sizes as a mail operator writes them, normalised to what DNS,
// Postfix and Dovecot expect. Pure functions; each returns either a value or the reason it is
// invalid, so the config validator can report every problem at once.
import { domainToASCII } from "node:url";

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A DNS host name in ASCII (punycode for internationalised names), lower case, no trailing dot. */
export function hostName(input: string): Checked<string> {
  const trimmed = input.trim().replace(/\.$/, "");
  if (trimmed === "") return { ok: false, reason: "is empty; write a host name such as mail.example.com" };
  if (/[\s/:@]/.test(trimmed)) {
    return { ok: false, reason: `"${input}" is not a host name (no spaces, slashes, colons or @)` };
  }
  const ascii = domainToASCII(trimmed.toLowerCase());
  if (ascii === "") return { ok: false, reason: `"${input}" is not a valid domain name` };
  const labels = ascii.split(".");
  if (labels.length < 2) {
    return { ok: false, reason: `"${input}" needs at least two labels, such as example.com` };
  }
  if (ascii.length > 253) return { ok: false, reason: `"${input}" is longer than 253 characters` };
  const bad = labels.find((l) => !LABEL.test(l));
  if (bad !== undefined) {
    return {
      ok: false,
      reason: `"${input}" has an invalid label "${bad}" (letters, digits and inner hyphens, 1-63 characters)`,
    };
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1])) {
    return { ok: false, reason: `"${input}" ends in a number; write a host name, not an IP address` };
  }
  return { ok: true, value: ascii };
}

// RFC 5321 dot-atom, restricted to ASCII: SMTPUTF8 local parts are not supported by the stack.
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

export interface Address {
  local: string;
  domain: string;
  /** local@domain, lower case, domain in punycode */
  address: string;
}

/** A mail address; the domain may be internationalised and is converted to punycode. */
export function mailAddress(input: string): Checked<Address> {
  const at = input.lastIndexOf("@");
  if (at <= 0) return { ok: false, reason: `"${input}" is not a mail address (write user@example.com)` };
  const local = input.slice(0, at).trim().toLowerCase();
  if (local.length > 64 || !LOCAL_PART.test(local)) {
    return {
      ok: false,
      reason: `"${input}" has an invalid local part "${local}" (ASCII letters, digits and . _ + - ; at most 64)`,
    };
  }
  const domain = hostName(input.slice(at + 1));
  if (!domain.ok) return { ok: false, reason: `"${input}": domain ${domain.reason}` };
  return { ok: true, value: { local, domain: domain.value, address: `${local}@${domain.value}` } };
}

const SIZE = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?$/i;
const UNIT: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** A size such as 500M, 2G or 1.5GiB, in bytes (binary units, as Dovecot's quota reads them). */
export function sizeInBytes(input: string | number): Checked<number> {
  if (typeof input === "number") {
    return Number.isInteger(input) && input >= 0
      ? { ok: true, value: input }
      : { ok: false, reason: `${input} is not a whole number of bytes` };
  }
  const m = SIZE.exec(input.trim());
  if (m === null) {
    return { ok: false, reason: `"${input}" is not a size; write a number with K, M, G or T, such as 2G or 500M` };
  }
  return { ok: true, value: Math.round(Number(m[1]) * UNIT[m[2].toUpperCase()]) };
}

/** The zone (from a list) that contains a name, the longest match winning. */
export function zoneOf(name: string, zones: readonly string[]): string | undefined {
  return [...zones]
    .sort((a, b) => b.length - a.length)
    .find((z) => name === z || name.endsWith(`.${z}`));
}
