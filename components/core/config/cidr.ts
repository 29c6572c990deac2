// Source address ranges for the SSH firewall rule: parsed, normalised to their network address
// (Hetzner refuses a range with host bits set, and `203.0.113.7/24` silently meaning the whole
// /24 surprises whoever wrote it), and judged for how much of the internet they open. Shared by
// the config validator and the policy pack, so both draw the line in the same place. Pure: no
// Pulumi, no I/O; parsing is ipaddr.js's.
// Namespace import: the policy pack may be compiled without esModuleInterop.
import * as ipaddr from "ipaddr.js";
import type { Checked } from "./names";

export interface SourceRange {
  family: 4 | 6;
  /** Network address and prefix, `203.0.113.0/24` or `2001:db8::/48` (RFC 5952 form). */
  cidr: string;
  prefix: number;
  /** First and last address as integers, for coverage sums. */
  first: bigint;
  last: bigint;
  /** Set when the input had host bits (or was written differently); says what it became. */
  normalisedFrom?: string;
}

/**
 * The widest SSH exposure accepted, counted over all ranges of one family together: as many
 * addresses as one IPv4 /8 (16,777,216) or one IPv6 /16. A /8 is already a whole large ISP or
 * cloud; anything wider is "the internet" with extra steps (`0.0.0.0/1` + `128.0.0.0/1` is
 * exactly `0.0.0.0/0`), so it is refused like `/0`. Counting the union, not each range, catches
 * the split-in-halves trick and a long list of /9s alike.
 */
export const WIDEST_SSH_PREFIX = { 4: 8, 6: 16 } as const;
const BITS = { 4: 32, 6: 128 } as const;

const toBigInt = (bytes: number[]): bigint => bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);

/** A CIDR range or a bare address (a /32 or /128), normalised to its network address. */
export function sourceRange(input: string): Checked<SourceRange> {
  const text = input.trim();
  const bad = {
    ok: false as const,
    reason: `"${input}" is not an address range; write CIDR such as 203.0.113.0/24 or 2001:db8::/48`,
  };
  const [addr = "", len, ...rest] = text.split("/");
  if (rest.length > 0 || (len !== undefined && !/^\d{1,3}$/.test(len))) return bad;
  // Four-part dotted decimal only: ipaddr.js also takes "10" or "0x7f.1", which no firewall means.
  let family: 4 | 6;
  if (ipaddr.IPv4.isValidFourPartDecimal(addr)) family = 4;
  else if (ipaddr.IPv6.isValid(addr) && !addr.includes("%")) family = 6;
  else return bad;
  const prefix = len === undefined ? BITS[family] : Number(len);
  if (prefix > BITS[family]) return bad;
  const parsed = ipaddr.parse(addr);
  const value = toBigInt(parsed.toByteArray());
  const hostBits = BigInt(BITS[family] - prefix);
  const first = (value >> hostBits) << hostBits;
  const last = first + (1n << hostBits) - 1n;
  const bytes: number[] = [];
  for (let i = BITS[family] / 8 - 1; i >= 0; i--) bytes.push(Number((first >> BigInt(i * 8)) & 0xffn));
  const network = ipaddr.fromByteArray(bytes);
  const shown = network.kind() === "ipv6" ? (network as ipaddr.IPv6).toRFC5952String() : network.toString();
  const cidr = `${shown}/${prefix}`;
  const written = len === undefined ? addr : text;
  return { ok: true, value: { family, cidr, prefix, first, last, ...(first !== value ? { normalisedFrom: written } : {}) } };
}

/** Addresses covered by the union of the ranges of one family (overlaps counted once). */
export function coveredAddresses(ranges: readonly SourceRange[], family: 4 | 6): bigint {
  const sorted = ranges.filter((r) => r.family === family).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  let total = 0n;
  let end = -1n;
  for (const r of sorted) {
    if (r.last <= end) continue;
    const start = r.first > end ? r.first : end + 1n;
    total += r.last - start + 1n;
    end = r.last;
  }
  return total;
}

/** Most addresses SSH may be opened to, per family (see WIDEST_SSH_PREFIX). */
export const widestSshExposure = (family: 4 | 6): bigint => 1n << BigInt(BITS[family] - WIDEST_SSH_PREFIX[family]);

/**
 * Why a set of SSH source ranges opens too much of the internet, per family, or [] when it does
 * not. A single range wider than the limit is named on its own; otherwise the union is.
 */
export function sshExposureProblems(ranges: readonly SourceRange[]): { range?: SourceRange; message: string }[] {
  const out: { range?: SourceRange; message: string }[] = [];
  for (const family of [4, 6] as const) {
    const limit = widestSshExposure(family);
    const widest = `/${WIDEST_SSH_PREFIX[family]}`;
    const tooWide = ranges.filter((r) => r.family === family && r.last - r.first + 1n > limit);
    for (const r of tooWide) {
      out.push({
        range: r,
        message:
          r.prefix === 0
            ? `"${r.cidr}" opens SSH to the whole internet; list your office or bastion ranges`
            : `"${r.cidr}" opens SSH to ${share(r.last - r.first + 1n, family)} of the IPv${family} internet; ` +
              `the widest range allowed is a ${widest}. List your office or bastion ranges`,
      });
    }
    if (tooWide.length > 0) continue;
    const covered = coveredAddresses(ranges, family);
    if (covered > limit) {
      const list = ranges.filter((r) => r.family === family).map((r) => r.cidr).join(", ");
      out.push({
        message:
          `the IPv${family} ranges together (${list}) open SSH to ${share(covered, family)} of the IPv${family} internet; ` +
          `at most a ${widest}'s worth of addresses is allowed. List your office or bastion ranges`,
      });
    }
  }
  return out;
}

function share(n: bigint, family: 4 | 6): string {
  const total = 1n << BigInt(BITS[family]);
  if (n >= total) return "all";
  // Parts per million, so 1/2 and 1/256 both read sensibly.
  const ppm = Number((n * 1_000_000n) / total);
  return ppm >= 10_000 ? `${Math.round(ppm / 10_000)}%` : `1/${Math.round(1_000_000 / Math.max(ppm, 1))}`;
}
