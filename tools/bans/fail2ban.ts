// What `npm run bans` understands of fail2ban (not a command itself): the fail2ban-client calls it
// makes in the stack's fail2ban container, the parsing of what they print, and which bans an
// address given to `lift` names (itself, or for IPv6 any banned address in the same prefix, since
// a ban covers the whole prefix: files/fail2ban/action.d/mailstack-nftables.conf). Pure: text in,
// data out; it runs nothing.
import * as ipaddr from "ipaddr.js";
import { BAN_JAIL } from "../../components/core/render/fail2ban";

/** fail2ban-client arguments, as the container runs them (its config is the rendered /config). */
export const fail2banClient = (...args: string[]) => ["fail2ban-client", "-c", "/config", ...args];

export const LIST_BANS = fail2banClient("get", BAN_JAIL, "banip", "--with-time");
export const IPV6_PREFIX = fail2banClient("get", BAN_JAIL, "action", "mailstack-nftables", "ipv6prefix");
export const liftBans = (addresses: readonly string[]) => fail2banClient("set", BAN_JAIL, "unbanip", ...addresses);

export interface Ban {
  address: string;
  /** "2026-11-30 13:57:15" as fail2ban prints it (the container's clock, UTC). */
  since: string;
  until: string;
}

/** `fail2ban-client get <jail> banip --with-time`: one "<ip> \t<start> + <secs> = <end>" line per ban. */
export function parseBans(text: string): Ban[] {
  const bans: Ban[] = [];
  for (const line of text.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const m = /^(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \+ -?\d+ = (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)$/.exec(line);
    if (m === null) throw new Error(`unexpected line from fail2ban: ${JSON.stringify(line)}`);
    bans.push({ address: m[1], since: m[2], until: m[3] });
  }
  return bans;
}

/** An address as written, normalised (RFC 5952 for IPv6), or undefined when it is none. */
export function normalisedAddress(text: string): string | undefined {
  const t = text.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(t)) return ipaddr.IPv4.parse(t).toString();
  if (ipaddr.IPv6.isValid(t) && !t.includes("%")) {
    const a = ipaddr.IPv6.parse(t);
    return a.isIPv4MappedAddress() ? a.toIPv4Address().toString() : a.toRFC5952String();
  }
  return undefined;
}

/**
 * The banned addresses that lifting `address` must unban: the address itself, and for IPv6 every
 * banned address in the same /prefix (the nftables element that blocks them is the prefix).
 */
export function liftTargets(bans: readonly Ban[], address: string, ipv6Prefix: number): string[] {
  const want = normalisedAddress(address);
  if (want === undefined) return [];
  const v6 = want.includes(":");
  return bans
    .map((b) => b.address)
    .filter((b) => {
      const got = normalisedAddress(b);
      if (got === undefined) return false;
      if (got === want) return true;
      if (!v6 || !got.includes(":")) return false;
      return ipaddr.IPv6.parse(got).match(ipaddr.IPv6.parse(want), ipv6Prefix);
    });
}
