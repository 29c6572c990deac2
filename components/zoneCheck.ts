// Before the stack writes a single DNS record, reads what each Cloudflare zone already holds
// (the provider's getDnsRecords invoke: it runs in `pulumi preview` too, with the stack's token,
// and under the mock engine through its `call` hook) and stops the program with the list of
// conflicting records and both ways forward when adding ours would break mail
// (core/dns/zoneConflicts.ts decides). Also maps `domains[].adopt` entries to the `import` ids
// Pulumi needs. Never creates or changes a record itself.
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import type { MailConfig } from "./core/config/config";
import type { DnsRecord } from "./core/dns/dnsRecords";
import { conflictReport, plannedRecords, zoneConflicts, type ExistingRecord } from "./core/dns/zoneConflicts";

/** Records listed per zone; a zone with more is refused rather than half-checked. */
const MAX_RECORDS_PER_ZONE = 10_000;

/**
 * Resolves (to true) once every zone was read and nothing conflicts; rejects with the report
 * otherwise. Feed it into each record's inputs so no record is created before the check passed.
 */
export function zoneChecked(cfg: MailConfig, records: readonly DnsRecord<unknown>[], parent: pulumi.Resource): pulumi.Output<true> {
  const zoneIds = [...new Set(records.map((r) => r.zoneId))].sort();
  const listed = zoneIds.map((zoneId) =>
    cloudflare.getDnsRecordsOutput({ zoneId, maxItems: MAX_RECORDS_PER_ZONE }, { parent }).apply((res) => {
      if (res.results.length >= MAX_RECORDS_PER_ZONE) {
        throw new pulumi.RunError(`zone ${zoneId} has ${MAX_RECORDS_PER_ZONE} or more records; the conflict check cannot read them all`);
      }
      return res.results.map((r): ExistingRecord => ({ id: r.id, zoneId, name: r.name, type: r.type, content: r.content ?? "", comment: r.comment }));
    }),
  );
  const adopt = new Map(cfg.domains.flatMap((d) => Object.entries(d.adopt)));
  const planned = plannedRecords(records);
  const report = pulumi.all(listed).apply((lists) => conflictReport(pulumi.getStack(), cfg, zoneConflicts(planned, lists.flat(), adopt)));
  // The refusal is thrown from an output nothing consumes, so it reaches the engine as itself (a
  // RunError: printed alone, no stack trace) rather than wrapped in every record's input error.
  report.apply((r) => {
    if (r !== undefined) throw new pulumi.RunError(r);
  });
  // ...and the records wait on this, which never resolves after a refusal: none is written.
  return report.apply((r) => (r === undefined ? Promise.resolve(true as const) : new Promise<true>(() => undefined)));
}

/** The `import` id for a record the config adopts: Cloudflare's "<zone id>/<record id>". */
export function adoptionImportId(cfg: MailConfig, r: DnsRecord<unknown>): string | undefined {
  for (const d of cfg.domains) {
    const id = d.adopt[`${r.name} ${r.type}`];
    if (id !== undefined && d.zoneId === r.zoneId) return `${r.zoneId}/${id}`;
  }
  return undefined;
}
