// DNS part of the post-deploy check: every record the stack writes (dnsRecords(), with the
// deployed addresses and DKIM keys) asked of a resolver and compared with what the stack expects,
// and the reverse DNS of both addresses. TXT names may also hold other people's records (site
// verification): ours must be among them, and there must be no second SPF or DMARC record.
// Answers come from Node's resolver pointed at any server (the system's, or a test's loopback
// DNS server with the local stack's zone).
import { promises as dns } from "node:dns";
import type { DnsRecord } from "../../components/core/dns/dnsRecords";
import type { CheckResult } from "./report";

export type Resolver = InstanceType<typeof dns.Resolver>;

export function resolverFor(server: string | undefined): Resolver {
  const r = new dns.Resolver({ timeout: 3000, tries: 2 });
  if (server !== undefined) r.setServers([server]);
  return r;
}

const unquote = (txt: string): string => [...txt.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(.)/g, "$1")).join("");
const lowerHost = (h: string) => h.toLowerCase().replace(/\.$/, "");

/** The expected values of one name and type, as comparable strings. */
function expectedValue(r: DnsRecord<string>): string {
  switch (r.type) {
    case "A":
    case "AAAA":
      return r.content;
    case "TXT":
      return unquote(r.content);
    case "MX":
      return `${r.priority} ${lowerHost(r.content)}`;
    case "SRV":
      return `${r.data.priority} ${r.data.weight} ${r.data.port} ${lowerHost(r.data.target) || "."}`;
    case "CAA":
      return `${r.data.flags} ${r.data.tag} ${r.data.value}`;
    case "TLSA":
      return `${r.data.usage} ${r.data.selector} ${r.data.matchingType} ${r.data.certificate.toLowerCase()}`;
  }
}

async function answers(res: Resolver, name: string, type: DnsRecord["type"]): Promise<string[]> {
  try {
    switch (type) {
      case "A":
        return await res.resolve4(name);
      case "AAAA":
        return await res.resolve6(name);
      case "TXT":
        return (await res.resolveTxt(name)).map((chunks) => chunks.join(""));
      case "MX":
        return (await res.resolveMx(name)).map((m) => `${m.priority} ${lowerHost(m.exchange)}`);
      case "SRV":
        return (await res.resolveSrv(name)).map((s) => `${s.priority} ${s.weight} ${s.port} ${lowerHost(s.name) || "."}`);
      case "CAA":
        return (await res.resolveCaa(name)).map((c) => `${c.critical} ${c.issue !== undefined ? "issue" : c.issuewild !== undefined ? "issuewild" : "iodef"} ${c.issue ?? c.issuewild ?? c.iodef ?? ""}`);
      case "TLSA":
        // Node 20's resolver cannot ask for TLSA; dnsChecks leaves these records out.
        return [];
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENODATA" || code === "ENOTFOUND") return [];
    throw e;
  }
}

const what: Record<string, string> = { A: "address", AAAA: "IPv6 address", MX: "mail exchanger", TXT: "text record", SRV: "service record", CAA: "CA authorisation", TLSA: "DANE record" };

export async function dnsChecks(records: readonly DnsRecord<string>[], res: Resolver): Promise<CheckResult[]> {
  const groups = new Map<string, DnsRecord<string>[]>();
  // TLSA (inbound DANE) is not checked here: Node 20's resolver has no TLSA query. The record is
  // Cloudflare's to serve, like the others; `dig TLSA _25._tcp.<hostname>` shows it.
  for (const r of records.filter((x) => x.type !== "TLSA")) groups.set(`${r.name} ${r.type}`, [...(groups.get(`${r.name} ${r.type}`) ?? []), r]);
  const out: CheckResult[] = [];
  for (const [key, rs] of groups) {
    const { name, type } = rs[0];
    const want = [...new Set(rs.map(expectedValue))].sort();
    let got: string[];
    try {
      got = [...new Set(await answers(res, name, type))].sort();
    } catch (e) {
      out.push({ id: `dns ${key}`, group: "DNS records", verdict: "fail", detail: `lookup failed: ${(e as Error).message}`, fix: `check that the zone of ${name} is served (NS records at the registrar)` });
      continue;
    }
    let ok: boolean;
    if (type === "TXT") {
      const kinds = want.map((w) => /^v=[A-Za-z0-9]+/.exec(w)?.[0]).filter((k): k is string => k !== undefined);
      ok = want.every((w) => got.includes(w)) && kinds.every((k) => got.filter((g) => g.startsWith(`${k};`) || g.startsWith(`${k} `) || g === k).length === 1);
    } else ok = want.length === got.length && want.every((w, i) => w === got[i]);
    const shown = (vs: string[]) => (vs.length === 0 ? "nothing" : vs.map((v) => (v.length > 70 ? `${v.slice(0, 67)}...` : v)).join(" | "));
    out.push(
      ok
        ? { id: `dns ${key}`, group: "DNS records", verdict: "pass", detail: shown(want) }
        : {
            id: `dns ${key}`,
            group: "DNS records",
            verdict: "fail",
            detail: `expected ${shown(want)}; found ${shown(got)}`,
            fix:
              got.length === 0
                ? `the ${what[type]} is missing: pulumi up writes it (or add it at your DNS provider: npm run render -- --stack <name> writes the zone)`
                : type === "TXT" && got.length > want.length
                  ? "a second record of the same kind (two SPF or DMARC records make both fail): remove the one the stack did not write"
                  : "someone changed it: run pulumi up to write the stack's value back, or find who changed it",
          },
    );
  }
  return out;
}

/** 4.3.2.1.in-addr.arpa, or the 32 reversed nibbles under ip6.arpa. */
export function reverseName(ip: string): string {
  if (!ip.includes(":")) return `${ip.split(".").reverse().join(".")}.in-addr.arpa`;
  const [head, tail = ""] = ip.split("::");
  const h = head === "" ? [] : head.split(":");
  const t = tail === "" ? [] : tail.split(":");
  const hex = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t].map((g) => g.padStart(4, "0")).join("");
  return `${[...hex].reverse().join(".")}.ip6.arpa`;
}

export async function ptrChecks(addresses: readonly string[], hostname: string, res: Resolver): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const ip of addresses) {
    let names: string[] = [];
    let error = "";
    try {
      // A PTR query by name: Resolver.reverse() would also read /etc/hosts.
      names = (await res.resolve(reverseName(ip), "PTR")).map(lowerHost);
    } catch (e) {
      error = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
    const ok = names.length === 1 && names[0] === hostname;
    out.push(
      ok
        ? { id: `ptr ${ip}`, group: "Reverse DNS", verdict: "pass", detail: hostname }
        : {
            id: `ptr ${ip}`,
            group: "Reverse DNS",
            verdict: "fail",
            detail: names.length === 0 ? `no PTR record${error ? ` (${error})` : ""}` : `names ${names.join(", ")}`,
            fix: `set the reverse DNS of ${ip} to ${hostname} (pulumi up does, with hcloud Rdns; receivers such as Gmail refuse mail from an address without a matching PTR)`,
          },
    );
  }
  return out;
}
