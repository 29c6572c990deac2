// Cloudflare records for every mail domain, one DnsRecord per entry of dnsRecords() in the core:
// never proxied (mail and ACME need the real address), fixed TTL, TXT content exactly as the
// core writes it (quoted 255-byte chunks, so previews stay empty), SRV and CAA through `data`.
// It never decides what the records are; that is components/core/dnsRecords.ts.
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import type { MailConfig } from "./core/config/config";
import { dkimTxtContent, dnsRecords, type DnsRecord } from "./core/dns/dnsRecords";
import { adoptionImportId, zoneChecked } from "./zoneCheck";

export interface MailDnsArgs {
  cfg: MailConfig;
  ipv4: pulumi.Output<string>;
  /** undefined: no AAAA records (an existing host without IPv6). */
  ipv6: pulumi.Output<string> | undefined;
  /** DKIM public keys (PEM) by "<domain> <selector>": the signing selector's and earlier ones'. */
  dkimPublicKeys: Readonly<Record<string, pulumi.Output<string>>>;
}

export type DnsRecordOutput = DnsRecord<pulumi.Output<string>>;

export class MailDns extends pulumi.ComponentResource {
  /** The records as data, for stack outputs and reviewers. */
  readonly records: DnsRecordOutput[];
  /** The signing selector's DKIM records: Rspamd switches to a new selector only after these exist. */
  readonly signingKeyRecords: pulumi.Resource[];
  /** Per zone with `dnssec: true`: the DS record to give the registrar. */
  readonly dsRecords: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: MailDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:MailDns", name, {}, opts);
    const dkim = (domain: string, selector: string): pulumi.Output<string> => {
      const pem = args.dkimPublicKeys[`${domain} ${selector}`];
      if (pem === undefined) throw new Error(`no DKIM key for ${domain} (selector ${selector})`);
      return pem.apply(dkimTxtContent);
    };
    const ipv6 = args.ipv6;
    this.records = dnsRecords<pulumi.Output<string>>(args.cfg, { ipv4: args.ipv4, ipv6: ipv6 ?? pulumi.output(""), dkimTxt: dkim }).filter(
      (r) => ipv6 !== undefined || r.type !== "AAAA",
    );
    // No record is sent to Cloudflare before the zone was checked for conflicting records.
    const checked = zoneChecked(args.cfg, this.records, this);
    const signing: pulumi.Resource[] = [];
    for (const r of this.records) {
      const common = { zoneId: checked.apply(() => r.zoneId), name: r.name, type: r.type, ttl: r.ttl, comment: r.comment, proxied: false };
      let content: Pick<cloudflare.DnsRecordArgs, "content" | "priority" | "data">;
      switch (r.type) {
        case "A":
        case "AAAA":
        case "TXT":
          content = { content: r.content };
          break;
        case "MX":
          content = { content: r.content, priority: r.priority };
          break;
        case "SRV":
          // Cloudflare wants the priority both in data and at the top level for SRV.
          content = { data: { ...r.data }, priority: r.data.priority };
          break;
        case "CAA":
          content = { data: { flags: r.data.flags, tag: r.data.tag, value: r.data.value } };
          break;
        case "TLSA":
          content = { data: { usage: r.data.usage, selector: r.data.selector, matchingType: r.data.matchingType, certificate: r.data.certificate } };
          break;
      }
      // Until 2026 the signing key's record was "dns-<domain>-dkim"; the alias keeps that record
      // (now keyed by its selector) instead of deleting and re-creating it.
      const signingKey = r.key.endsWith(`-dkim-${args.cfg.dkimSelector}`);
      const aliases = signingKey ? [{ name: `dns-${r.key.slice(0, -(args.cfg.dkimSelector.length + 1))}` }] : [];
      const rec = new cloudflare.DnsRecord(`dns-${r.key}`, { ...common, ...content }, { parent: this, import: adoptionImportId(args.cfg, r), aliases });
      if (signingKey) signing.push(rec);
    }
    this.signingKeyRecords = signing;
    // DNSSEC per zone (a zone may hold several of the customer's domains; the config makes them agree).
    const zones = [...new Map(args.cfg.domains.filter((d) => d.dnssec).map((d) => [d.zone, d.zoneId])).entries()].sort();
    const ds = zones.map(([zone, zoneId]) => {
      // The API reports "pending" until the registrar has the DS record, then "active": the desired
      // state is set once; what it reports later is not a change to make.
      const z = new cloudflare.ZoneDnssec(`dnssec-${zone}`, { zoneId, status: "active" }, { parent: this, ignoreChanges: ["status"] });
      return z.ds.apply((d): [string, string] => [zone, d]);
    });
    this.dsRecords = pulumi.all(ds).apply((pairs) => Object.fromEntries(pairs));
    this.registerOutputs({});
  }
}
