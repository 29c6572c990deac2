// The one IPv6 address the mail host uses out of the /64 Hetzner routes to the VM: the ::1 of the
// primary IP's network. It carries the AAAA and PTR records, and outbound mail is source-NATed to
// it, so receivers always see an address whose reverse DNS names the mail host. Pure; owns no
// resource.
import { isIP } from "node:net";

/** The ::1 address of a /64, given the network ("2001:db8:1:2::/64") or any address in it. */
export function mailIpv6Address(networkOrAddress: string): string {
  const addr = networkOrAddress.split("/")[0];
  if (isIP(addr) !== 6) throw new Error(`"${networkOrAddress}" is not an IPv6 address or network`);
  const [head, tail = ""] = addr.split("::");
  const h = head === "" ? [] : head.split(":");
  const t = addr.includes("::") ? (tail === "" ? [] : tail.split(":")) : [];
  const groups = addr.includes("::") ? [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t] : h;
  const prefix = groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16));
  return `${prefix.join(":")}::1`;
}
