// Every DNS record a customer's mail domains need, as plain data: host A/AAAA, MX, SPF, DKIM,
// DMARC, MTA-STS, TLS-RPT, client autoconfiguration (names and RFC 6186 SRV) and CAA. The Pulumi
// DNS component turns the list into Cloudflare records; `npm run render` and the local stack write
// the same list as a BIND zone file. Values known only after deployment (the server's addresses,
// the DKIM public keys) come in as type V, so Pulumi passes Outputs and the zone writer strings.
import { createHash } from "node:crypto";
import type { DomainConfig, MailConfig } from "../config/config";
import { zoneOf } from "../config/names";

export const DNS_TTL = 3600;
/**
 * The only CA allowed by CAA. certbot's ACME directory in production is Let's Encrypt's
 * (topology LETS_ENCRYPT_DIRECTORY); any other CA would be refused at issuance.
 */
export const ACME_CA_DOMAIN = "letsencrypt.org";

export type SrvData = { priority: number; weight: number; port: number; target: string };
export type CaaData = { flags: number; tag: "issue" | "issuewild" | "iodef"; value: string };

export type DnsRecord<V = string> = {
  /** Stable, unique key: the Pulumi resource name and the sort key. */
  key: string;
  zone: string;
  zoneId: string;
  /** Fully qualified name without trailing dot. */
  name: string;
  ttl: number;
  comment: string;
} & (
  | { type: "A" | "AAAA"; content: V }
  | { type: "TXT"; content: string | V }
  | { type: "MX"; content: string; priority: number }
  | { type: "SRV"; data: SrvData }
  | { type: "CAA"; data: CaaData }
);

export interface DnsInputs<V> {
  ipv4: V;
  ipv6: V;
  /** The DKIM TXT content (see dkimTxtContent) for a domain. */
  dkimTxt: (domain: string) => V;
}

/** TXT content as DNS needs it: quoted strings of at most 255 bytes, joined by a space. */
export function txtContent(value: string): string {
  const chunks: string[] = [];
  for (let i = 0; i < value.length; i += 255) chunks.push(value.slice(i, i + 255));
  return chunks.map((c) => `"${c.replace(/["\\]/g, "\\$&")}"`).join(" ");
}

/** The DKIM key record for an RSA public key in PEM (SubjectPublicKeyInfo) form. */
export function dkimTxtContent(publicKeyPem: string): string {
  const der = publicKeyPem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
  return txtContent(`v=DKIM1; k=rsa; h=sha256; p=${der}`);
}

export function spfValue(cfg: MailConfig): string {
  const include = cfg.relay?.spfInclude ? ` include:${cfg.relay.spfInclude}` : "";
  return `v=spf1 mx${include} -all`;
}

export function dmarcValue(d: DomainConfig): string {
  const pct = d.dmarc.percent === 100 ? "" : `; pct=${d.dmarc.percent}`;
  return `v=DMARC1; p=${d.dmarc.policy}${pct}; rua=mailto:${d.dmarc.reportTo}; adkim=s; aspf=r`;
}

/** The MTA-STS policy file served at https://mta-sts.<domain>/.well-known/mta-sts.txt. */
export function mtaStsPolicy(cfg: MailConfig, d: DomainConfig): string {
  return [
    "version: STSv1",
    `mode: ${d.mtaSts.mode}`,
    `mx: ${cfg.hostname}`,
    `max_age: ${d.mtaSts.maxAgeDays * 86400}`,
    "",
  ].join("\r\n");
}

/** Changes exactly when the policy text changes, so receivers refetch only then. */
export function mtaStsId(policy: string): string {
  return createHash("sha256").update(policy).digest("hex").slice(0, 20);
}

/** Extra host names nginx serves per domain, each with A/AAAA, CAA and a certificate (web-<domain>). */
export function webHostNames(domain: string): string[] {
  return [`mta-sts.${domain}`, `autoconfig.${domain}`, `autodiscover.${domain}`];
}

export function dnsRecords<V>(cfg: MailConfig, inputs: DnsInputs<V>): DnsRecord<V>[] {
  const zones = cfg.domains.map((d) => d.zone);
  const zoneIdOf = (name: string) => {
    const zone = zoneOf(name, zones)!;
    return { zone, zoneId: cfg.domains.find((d) => d.zone === zone)!.zoneId };
  };
  const records: DnsRecord<V>[] = [];
  const base = (key: string, name: string, comment: string) => ({ key, name, ttl: DNS_TTL, comment, ...zoneIdOf(name) });
  const hostRecords = (name: string, what: string) => {
    records.push({ ...base(`${name}-a`, name, `${what} (IPv4)`), type: "A", content: inputs.ipv4 });
    records.push({ ...base(`${name}-aaaa`, name, `${what} (IPv6)`), type: "AAAA", content: inputs.ipv6 });
    records.push({
      ...base(`${name}-caa`, name, "only this CA may issue certificates"),
      type: "CAA",
      data: { flags: 0, tag: "issue", value: ACME_CA_DOMAIN },
    });
  };

  hostRecords(cfg.hostname, "mail host");
  const seen = new Set([cfg.hostname]);
  for (const d of cfg.domains) {
    const n = d.name;
    // Before the cutover (a domain moving here), mail still flows through the old provider: our
    // MX would divert it, our SPF would fail the old provider's outgoing mail, and an MTA-STS id
    // would make senders insist on our host. All three appear when cutover turns true.
    if (d.cutover) {
      records.push({ ...base(`${n}-mx`, n, "mail for the domain goes to the mail host"), type: "MX", content: cfg.hostname, priority: 10 });
      records.push({ ...base(`${n}-spf`, n, "SPF: only the mail host (and relay) may send"), type: "TXT", content: txtContent(spfValue(cfg)) });
    }
    records.push({
      ...base(`${n}-dkim`, `${cfg.dkimSelector}._domainkey.${n}`, "DKIM public key"),
      type: "TXT",
      content: inputs.dkimTxt(n),
    });
    records.push({ ...base(`${n}-dmarc`, `_dmarc.${n}`, "DMARC policy"), type: "TXT", content: txtContent(dmarcValue(d)) });
    if (d.cutover) {
      records.push({
        ...base(`${n}-mta-sts`, `_mta-sts.${n}`, "MTA-STS policy id"),
        type: "TXT",
        content: txtContent(`v=STSv1; id=${mtaStsId(mtaStsPolicy(cfg, d))}`),
      });
    }
    records.push({
      ...base(`${n}-tlsrpt`, `_smtp._tls.${n}`, "TLS-RPT report address"),
      type: "TXT",
      content: txtContent(`v=TLSRPTv1; rua=mailto:${d.tlsRptTo}`),
    });
    for (const w of webHostNames(n)) {
      if (!seen.has(w)) hostRecords(w, "MTA-STS policy and client autoconfiguration");
      seen.add(w);
    }
    const srv = (service: string, port: number) =>
      records.push({
        ...base(`${n}-srv-${service}`, `_${service}._tcp.${n}`, "RFC 6186 client autoconfiguration"),
        type: "SRV",
        data: port === 0 ? { priority: 0, weight: 0, port: 0, target: "." } : { priority: 0, weight: 1, port, target: cfg.hostname },
      });
    srv("submissions", 465);
    srv("submission", 587);
    srv("imaps", 993);
    srv("imap", 143);
    // "." says the service is not offered, so clients do not probe for POP3.
    srv("pop3", 0);
    srv("pop3s", 0);
    // A DMARC report address in another of our domains must authorise this domain (RFC 7489 7.1).
    const reportDomains = new Set([d.dmarc.reportTo, d.tlsRptTo].map((a) => a.slice(a.lastIndexOf("@") + 1)));
    for (const rd of reportDomains) {
      if (rd !== n && cfg.domains.some((o) => o.name === rd) && d.dmarc.reportTo.endsWith(`@${rd}`)) {
        records.push({
          ...base(`${n}-dmarc-report-auth`, `${n}._report._dmarc.${rd}`, `lets ${rd} receive DMARC reports for ${n}`),
          type: "TXT",
          content: txtContent("v=DMARC1"),
        });
      }
    }
  }
  return records.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
