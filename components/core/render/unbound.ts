// Unbound's rendered files: unbound.conf (the validating resolver Postfix and Rspamd ask) and the
// list of container names it forwards to the engine's own DNS. In production it resolves from the
// root with DNSSEC. On the local stack, which has no internet, it answers only from local data,
// the stack's own records (dnsRecords, as the zone file has them) and the "outside" test domains
// (remote.example, whose SPF names the outside namespace), refuses everything else at once, and
// lets the tests add records (unbound-control local_data) under example. Pure: reads templates
// from files/unbound/, never writes.
import { createPublicKey } from "node:crypto";
import type { MailConfig } from "../config/config";
import { dkimTxtContent, dnsRecords, type DnsRecord } from "../dns/dnsRecords";
import { SERVICES, type Topology } from "../topology";
import type { RenderedFile } from "./render";
import type { ServiceSecrets } from "./secrets";
import { renderSpecs } from "./spec";

/** The local stack's stand-in for the internet's DNS: names under it are the tests'. */
export const LOCAL_TEST_DNS_ZONE = "example";
/** The outside sender domain the local resolver always knows (tests send as someone@it). */
export const LOCAL_OUTSIDE_DOMAIN = "remote.example";

/** One record as unbound's local-data: the whole RR in single quotes (TXT keeps its own quotes). */
export function localData(name: string, ttl: number, type: string, rdata: string): string {
  return `  local-data: '${name}. ${ttl} IN ${type} ${rdata}'`;
}

function recordData(r: DnsRecord<string>): string {
  switch (r.type) {
    case "A":
    case "AAAA":
    case "TXT":
      return localData(r.name, r.ttl, r.type, r.content);
    case "MX":
      return localData(r.name, r.ttl, "MX", `${r.priority} ${r.content}.`);
    case "SRV":
      return localData(r.name, r.ttl, "SRV", `${r.data.priority} ${r.data.weight} ${r.data.port} ${r.data.target === "." ? "." : `${r.data.target}.`}`);
    case "CAA":
      return localData(r.name, r.ttl, "CAA", `${r.data.flags} ${r.data.tag} "${r.data.value}"`);
    case "TLSA":
      return localData(r.name, r.ttl, "TLSA", `${r.data.usage} ${r.data.selector} ${r.data.matchingType} ${r.data.certificate}`);
  }
}

/** The local resolver's data: our zones from dnsRecords, the outside test domain, fast refusals. */
function localServerLines(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): string {
  // Only the signing key's record: the local stack keeps one key per domain (no earlier selectors).
  // A key that does not parse (a test's stand-in) leaves the record out; Rspamd then reports our
  // own signatures as unverifiable, nothing more.
  const dkimTxt = (d: string): string | undefined => {
    const pem = secrets.dkimPrivateKeys[d];
    if (pem === undefined) return undefined;
    try {
      return dkimTxtContent(createPublicKey(pem).export({ type: "spki", format: "pem" }).toString());
    } catch {
      return undefined;
    }
  };
  // The addresses the zone file of the local stack names (endpoints.zone): the same records.
  const records = dnsRecords({ ...cfg, dkimPrevious: [] }, { ipv4: "127.0.0.1", ipv6: "::1", dkimTxt: (d) => dkimTxt(d) ?? "" }).filter(
    (r) => !(r.type === "TXT" && r.content === ""),
  );
  const zones = [...new Set(records.map((r) => r.zone))].sort();
  const outside = topo.outsideSubnet;
  if (outside === undefined) throw new Error("the local topology names no outside subnet");
  const outsideHost = outside.replace(/\.0\/\d+$/, ".1");
  const o = LOCAL_OUTSIDE_DOMAIN;
  return [
    "  # LOCAL STACK ONLY: no internet. Everything not answered below is refused at once.",
    '  local-zone: "." refuse',
    ...zones.flatMap((z) => [`  local-zone: "${z}." static`, ...records.filter((r) => r.zone === z).map(recordData)]),
    `  # The outside: senders in the test namespace (${outside}); tests add more with unbound-control.`,
    `  local-zone: "${LOCAL_TEST_DNS_ZONE}." static`,
    localData(o, 300, "MX", `10 mx.${o}.`),
    localData(`mx.${o}`, 300, "A", outsideHost),
    localData(o, 300, "TXT", `"v=spf1 ip4:${outside} -all"`),
    localData(`_dmarc.${o}`, 300, "TXT", '"v=DMARC1; p=none"'),
    // Each outside client has a name that resolves back to it (FCrDNS), as a real MTA has.
    ...(topo.outsideSources ?? []).flatMap((ip, i) => [
      localData(`mta${i + 1}.${o}`, 300, "A", ip),
      localData(ip.split(".").reverse().join(".") + ".in-addr.arpa", 300, "PTR", `mta${i + 1}.${o}.`),
    ]),
    "  # Reverse lookups of the test networks: no names, answered at once.",
    '  local-zone: "18.198.in-addr.arpa." static',
    '  local-zone: "19.198.in-addr.arpa." static',
  ].join("\n");
}

export function unboundFiles(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  // Its clients (Postfix, Rspamd) share the mail network with it; nothing else reaches it.
  const mail = topo.networks.mail;
  const subnets = [mail.ipv4Subnet, ...(mail.ipv6Subnet ? [mail.ipv6Subnet] : [])];
  const local = topo.kind === "local";
  return renderSpecs([
    {
      service: "unbound",
      template: "unbound/unbound.conf",
      values: {
        hostname: cfg.hostname,
        accessControl: subnets.map((s) => `  access-control: ${s} allow`).join("\n"),
        // The local stack cannot reach the root servers to prime the root key, so it has none.
        trustAnchorLine: local ? "  # LOCAL STACK: no root trust anchor (no root servers to reach)." : '  auto-trust-anchor-file: "/var/lib/unbound/root.key"',
        localServerLines: local ? localServerLines(cfg, secrets, topo) : "  # Production: full recursion from the root servers.",
        upstreamLines: "",
      },
    },
    {
      service: "unbound",
      template: "unbound/service-names",
      values: { names: [...SERVICES, "pebble"].sort().join("\n") },
    },
  ]);
}
