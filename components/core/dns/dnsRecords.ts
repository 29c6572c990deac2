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
/** RFC 6698 TLSA: usage 2 (DANE-TA), selector 1 (SPKI), matching type 1 (SHA-256). */
export type TlsaData = { usage: number; selector: number; matchingType: number; certificate: string };
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
  | { type: "TLSA"; data: TlsaData }
);

export interface DnsInputs<V> {
  ipv4: V;
  ipv6: V;
  /** The DKIM TXT content (see dkimTxtContent) of a domain's key for a selector. */
  dkimTxt: (domain: string, selector: string) => V;
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

/**
 * Inbound DANE for the mail host: DANE-TA(2) SPKI(1) SHA-256(1) of the root Let's Encrypt issues
 * our RSA certificates under (ISRG Root X1), which Postfix presents at the end of its chain
 * (main.cf smtpd_tls_chain_files: a DANE-TA record matches only a certificate the server sends). A root pin survives
 * every renewal and every change of Let's Encrypt's rotating intermediates (R10-R14, E5-E9), where
 * "3 1 1" would need the same key at every renewal and a key known to the program, and "2 1 1" on
 * an intermediate would break whenever Let's Encrypt picks another one. The trade-off: the pin is
 * Let's Encrypt's roots; a move of issuance to a new root (announced a year ahead) needs its hash
 * here first. Checked against the system's CA store in test/unit/dnsRecords.test.ts.
 */
export const DANE_TRUST_ANCHORS = [
  { name: "ISRG Root X1", file: "/etc/ssl/certs/ISRG_Root_X1.pem", spkiSha256: "0b9fa5a59eed715c26c1020c711b4f6ec42d58b0015e14337a39dad301c5afc3" },
] as const;

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
  for (const [i, ta] of DANE_TRUST_ANCHORS.entries()) {
    records.push({
      ...base(`${cfg.hostname}-tlsa-${i + 1}`, `_25._tcp.${cfg.hostname}`, `DANE: mail host certificates chain to ${ta.name}`),
      type: "TLSA",
      data: { usage: 2, selector: 1, matchingType: 1, certificate: ta.spkiSha256 },
    });
  }
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
    // One record per selector, keyed by it: a new selector's record is created beside the old
    // one, which stays while dkimPrevious lists it (rotation with overlap, README "Rotate DKIM").
    records.push({
      ...base(`${n}-dkim-${cfg.dkimSelector}`, `${cfg.dkimSelector}._domainkey.${n}`, "DKIM public key"),
      type: "TXT",
      content: inputs.dkimTxt(n, cfg.dkimSelector),
    });
    for (const prev of cfg.dkimPrevious) {
      records.push({
        // The same comment as while it signed: retiring a key changes nothing about its record.
        ...base(`${n}-dkim-${prev.selector}`, `${prev.selector}._domainkey.${n}`, "DKIM public key"),
        type: "TXT",
        content: inputs.dkimTxt(n, prev.selector),
      });
    }
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
