// What an existing zone already has at the names the stack writes, and which of it would break
// mail if the stack simply added its own records: a second SPF record (SPF permerror for the whole
// domain, RFC 7208 4.5), a second DMARC or MTA-STS or TLS-RPT record (receivers ignore both), an MX
// or A/AAAA elsewhere (part of the mail or traffic goes to another host), a CNAME at a name we
// write (RFC 1034 3.6.2: a CNAME shares its name with nothing; Cloudflare refuses the create), or
// an identical record (Cloudflare refuses the duplicate). Records this stack created (same name,
// type and our comment) and records the config adopts (`domains[].adopt`) are not conflicts.
// Also checks `adopt` entries against the records the stack plans. Pure: the Pulumi component
// fetches the zone (provider invoke) and hands the list in; the report is text.
import type { MailConfig } from "../config/config";
import { dnsRecords, type DnsRecord } from "./dnsRecords";

/** A record as Cloudflare lists it (cloudflare.getDnsRecords results; names fully qualified). */
export interface ExistingRecord {
  id: string;
  zoneId: string;
  name: string;
  type: string;
  content: string;
  comment?: string | null;
}

export interface PlannedRecord {
  key: string;
  zoneId: string;
  name: string;
  type: string;
  comment: string;
  /** `v=` tag of a TXT record whose content is known ("spf1", "DMARC1"); undefined: any TXT conflicts. */
  txtTag?: string;
  /** CAA content as Cloudflare writes it, for the duplicate check. */
  caa?: string;
}

export interface Conflict {
  existing: ExistingRecord;
  why: string;
  /** Whether adopting (importing and updating in place) can resolve it; a CNAME must be removed. */
  adoptKey?: string;
}

/** `"v=spf1 mx" "-all"` -> "spf1": the quoted strings joined, then the version tag. */
export function txtTag(content: string): string | undefined {
  const joined = content.trim().startsWith('"') ? [...content.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).join("") : content;
  return /^\s*v=([A-Za-z0-9]+)/.exec(joined)?.[1].toLowerCase();
}

const caaText = (flags: number, tag: string, value: string) => `${flags} ${tag} ${value}`.toLowerCase();
const normalCaa = (content: string) => content.replace(/"/g, "").replace(/\s+/g, " ").trim().toLowerCase();

export function plannedRecords(records: readonly DnsRecord<unknown>[]): PlannedRecord[] {
  return records.map((r) => ({
    key: r.key,
    zoneId: r.zoneId,
    name: r.name,
    type: r.type,
    comment: r.comment,
    ...(r.type === "TXT" && typeof r.content === "string" ? { txtTag: txtTag(r.content) } : {}),
    ...(r.type === "CAA" ? { caa: caaText(r.data.flags, r.data.tag, r.data.value) } : {}),
  }));
}

/** The planned records of a config, for checks that need names and types only. */
export function plannedRecordsOf(cfg: MailConfig): PlannedRecord[] {
  // The DKIM stand-in "" has no v= tag, so like the real (unknown) key it conflicts with any TXT.
  return plannedRecords(dnsRecords<string>(cfg, { ipv4: "", ipv6: "", dkimTxt: () => "" }));
}

const adoptKeyOf = (name: string, type: string) => `${name} ${type}`;

/** `adopt` entries that name no record the stack writes in that domain's zone. */
export function adoptionProblems(cfg: MailConfig): { domain: string; key: string; message: string }[] {
  const planned = plannedRecordsOf(cfg);
  const out: { domain: string; key: string; message: string }[] = [];
  for (const d of cfg.domains) {
    for (const key of Object.keys(d.adopt)) {
      const p = planned.find((r) => adoptKeyOf(r.name, r.type) === key);
      if (p === undefined) {
        const here = planned.filter((r) => r.zoneId === d.zoneId).map((r) => `"${adoptKeyOf(r.name, r.type)}"`);
        out.push({ domain: d.name, key, message: `the stack writes no record "${key}"; it writes ${here.join(", ")}` });
      } else if (p.zoneId !== d.zoneId) {
        out.push({ domain: d.name, key, message: `"${key}" lives in another zone (id ${p.zoneId}); list it under the domain of that zone` });
      }
    }
  }
  return out;
}

function why(p: PlannedRecord, e: ExistingRecord): string | undefined {
  if (e.type === "CNAME") return `a CNAME cannot share its name with the stack's ${p.type} record; remove it`;
  if (e.type !== p.type) return undefined;
  switch (p.type) {
    case "MX":
      return "a second MX would send part of the domain's mail to another server";
    case "A":
    case "AAAA":
      return `a second ${p.type} record would send part of the traffic for ${p.name} to another host`;
    case "SRV":
      return "clients would be pointed at two different servers";
    case "CAA":
      return p.caa !== undefined && normalCaa(e.content) === p.caa ? "an identical record exists; Cloudflare refuses a duplicate" : undefined;
    case "TXT": {
      const tag = txtTag(e.content);
      if (p.txtTag === undefined) return `a TXT record already holds ${p.name} (the DKIM key for the stack's selector)`;
      if (tag !== p.txtTag) return undefined;
      if (tag === "spf1") return "a second SPF record makes SPF fail for the whole domain (RFC 7208 4.5)";
      if (tag === "dmarc1") return "two DMARC records make receivers ignore DMARC for the domain (RFC 7489 6.6.3)";
      return `two v=${tag} records make receivers ignore both`;
    }
    default:
      return undefined;
  }
}

export function zoneConflicts(
  planned: readonly PlannedRecord[],
  existing: readonly ExistingRecord[],
  adopt: ReadonlyMap<string, string>,
): { conflicts: Conflict[]; missingAdoptions: { key: string; id: string; present: ExistingRecord[] }[] } {
  const conflicts: Conflict[] = [];
  const adoptedIds = new Set(adopt.values());
  for (const e of existing) {
    const name = e.name.toLowerCase().replace(/\.$/, "");
    if (adoptedIds.has(e.id)) continue;
    const here = planned.filter((p) => p.name === name);
    // Created by this stack earlier: same name, type and the comment the stack writes.
    if (here.some((p) => p.type === e.type && p.comment === (e.comment ?? ""))) continue;
    for (const p of here) {
      const reason = why(p, e);
      if (reason === undefined) continue;
      conflicts.push({ existing: e, why: reason, ...(e.type === p.type ? { adoptKey: adoptKeyOf(p.name, p.type) } : {}) });
      break;
    }
  }
  const missingAdoptions = [...adopt.entries()]
    .filter(([, id]) => !existing.some((e) => e.id === id))
    .map(([key, id]) => ({ key, id, present: existing.filter((e) => adoptKeyOf(e.name.toLowerCase(), e.type) === key) }));
  return { conflicts, missingAdoptions };
}

/** The operator-facing refusal: every conflicting record, then the two ways forward. */
export function conflictReport(
  stack: string,
  cfg: MailConfig,
  result: ReturnType<typeof zoneConflicts>,
): string | undefined {
  const { conflicts, missingAdoptions } = result;
  if (conflicts.length === 0 && missingAdoptions.length === 0) return undefined;
  const show = (e: ExistingRecord) => `${e.name} ${e.type} ${JSON.stringify(e.content.length > 80 ? `${e.content.slice(0, 77)}...` : e.content)} (id ${e.id})`;
  const lines: string[] = [];
  if (conflicts.length > 0) {
    lines.push("DNS records already in the zone conflict with the records this stack writes:");
    for (const c of conflicts) lines.push(`  - ${show(c.existing)}: ${c.why}`);
    const adoptable = conflicts.filter((c) => c.adoptKey !== undefined);
    lines.push("Two ways forward:", "  1. remove them in Cloudflare, or");
    if (adoptable.length > 0) {
      lines.push(`  2. let the stack adopt them (import, then update in place): add to Pulumi.${stack}.yaml`);
      const byDomain = new Map<string, string[]>();
      for (const c of adoptable) {
        const d = cfg.domains.find((x) => x.zoneId === c.existing.zoneId && (c.existing.name === x.name || c.existing.name.endsWith(`.${x.name}`))) ?? cfg.domains.find((x) => x.zoneId === c.existing.zoneId);
        const list = byDomain.get(d?.name ?? "?") ?? [];
        list.push(`           "${c.adoptKey}": ${c.existing.id}`);
        byDomain.set(d?.name ?? "?", list);
      }
      for (const [domain, entries] of byDomain) lines.push(`       mailstack:domains, the entry "${domain}":`, "         adopt:", ...entries);
      lines.push("     A second record of the same name and type that is not adopted still has to be removed.");
    } else lines.push("  2. (adopting is not possible for these: a CNAME must be removed)");
    lines.push('  See the README section "Moving an existing domain\'s mail".');
  }
  for (const m of missingAdoptions) {
    lines.push(
      `adopt "${m.key}": no record with id ${m.id} in the zone` +
        (m.present.length > 0 ? `; the zone has ${m.present.map((e) => e.id).join(", ")} there` : "; there is no such record (already removed?): drop the adopt entry"),
    );
  }
  return lines.join("\n");
}
