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
  dkimPublicKeys: Readonly<Record<string, pulumi.Output<string>>>;
}

export type DnsRecordOutput = DnsRecord<pulumi.Output<string>>;

export class MailDns extends pulumi.ComponentResource {
  /** The records as data, for stack outputs and reviewers. */
  readonly records: DnsRecordOutput[];

  constructor(name: string, args: MailDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:MailDns", name, {}, opts);
    const dkim = (domain: string): pulumi.Output<string> => {
      const pem = args.dkimPublicKeys[domain];
      if (pem === undefined) throw new Error(`no DKIM key for ${domain}`);
      return pem.apply(dkimTxtContent);
    };
    const ipv6 = args.ipv6;
    this.records = dnsRecords<pulumi.Output<string>>(args.cfg, { ipv4: args.ipv4, ipv6: ipv6 ?? pulumi.output(""), dkimTxt: dkim }).filter(
      (r) => ipv6 !== undefined || r.type !== "AAAA",
    );
    // No record is sent to Cloudflare before the zone was checked for conflicting records.
    const checked = zoneChecked(args.cfg, this.records, this);
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
      }
      new cloudflare.DnsRecord(`dns-${r.key}`, { ...common, ...content }, { parent: this, import: adoptionImportId(args.cfg, r) });
    }
    this.registerOutputs({});
  }
}
