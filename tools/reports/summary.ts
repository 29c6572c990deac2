// Turns parsed DMARC and TLS-RPT reports into what an operator reads each week, per domain: who
// reported, how many messages claimed the domain, how many passed DMARC and by which mechanism
// (DKIM aligned, SPF aligned), what the receivers did with the rest, each sending source with its
// volume and result, and the sources failing alignment that no earlier report had shown (a new
// mailing service someone forgot to authorise, or someone spoofing the domain); and for TLS-RPT,
// successful and failed TLS sessions by failure type. Pure.
import type { DmarcReport, Report, TlsReport } from "./parse";

export interface SourceLine {
  ip: string;
  messages: number;
  passed: number;
  failed: number;
  /** The From domains seen from this source. */
  headerFrom: string[];
}

export interface DomainSummary {
  domain: string;
  dmarc: {
    reports: number;
    reporters: string[];
    messages: number;
    /** DMARC pass: DKIM or SPF aligned and passing. */
    passed: number;
    dkimAligned: number;
    spfAligned: number;
    failed: number;
    dispositions: Record<string, number>;
    sources: SourceLine[];
    /** Failing sources first seen in this period. */
    newFailing: SourceLine[];
  };
  tls: { reports: number; reporters: string[]; successful: number; failed: number; failureTypes: Record<string, number> };
}

const empty = (domain: string): DomainSummary => ({
  domain,
  dmarc: { reports: 0, reporters: [], messages: 0, passed: 0, dkimAligned: 0, spfAligned: 0, failed: 0, dispositions: {}, sources: [], newFailing: [] },
  tls: { reports: 0, reporters: [], successful: 0, failed: 0, failureTypes: {} },
});

/** Duplicates (one report sent twice, or to two addresses) count once: by reporter and report id. */
function unique(reports: readonly Report[]): Report[] {
  const seen = new Set<string>();
  return reports.filter((r) => {
    const k = `${r.kind} ${r.orgName} ${r.reportId}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Summaries per domain for reports whose period ends after `since` (seconds); earlier reports only
 * tell which sources are known. Domains come from the reports; `domains` adds ours with no report.
 */
export function summarize(all: readonly Report[], since: number, domains: readonly string[] = []): DomainSummary[] {
  const reports = unique(all);
  const out = new Map<string, DomainSummary>(domains.map((d) => [d, empty(d)]));
  const of = (d: string) => {
    if (!out.has(d)) out.set(d, empty(d));
    return out.get(d)!;
  };
  const known = new Set<string>();
  for (const r of reports.filter((x): x is DmarcReport => x.kind === "dmarc" && x.end < since)) for (const rec of r.records) known.add(`${r.domain} ${rec.sourceIp}`);
  const sources = new Map<string, Map<string, SourceLine>>();
  for (const r of reports) {
    if (r.end < since) continue;
    if (r.kind === "dmarc") {
      const s = of(r.domain);
      s.dmarc.reports++;
      if (!s.dmarc.reporters.includes(r.orgName)) s.dmarc.reporters.push(r.orgName);
      const bySource = sources.get(r.domain) ?? new Map<string, SourceLine>();
      sources.set(r.domain, bySource);
      for (const rec of r.records) {
        const pass = rec.dkim === "pass" || rec.spf === "pass";
        s.dmarc.messages += rec.count;
        if (pass) s.dmarc.passed += rec.count;
        else s.dmarc.failed += rec.count;
        if (rec.dkim === "pass") s.dmarc.dkimAligned += rec.count;
        if (rec.spf === "pass") s.dmarc.spfAligned += rec.count;
        s.dmarc.dispositions[rec.disposition] = (s.dmarc.dispositions[rec.disposition] ?? 0) + rec.count;
        const line = bySource.get(rec.sourceIp) ?? { ip: rec.sourceIp, messages: 0, passed: 0, failed: 0, headerFrom: [] };
        line.messages += rec.count;
        if (pass) line.passed += rec.count;
        else line.failed += rec.count;
        if (rec.headerFrom !== "" && !line.headerFrom.includes(rec.headerFrom)) line.headerFrom.push(rec.headerFrom);
        bySource.set(rec.sourceIp, line);
      }
    } else {
      for (const p of (r as TlsReport).policies) {
        const s = of(p.policyDomain);
        s.tls.reports++;
        if (!s.tls.reporters.includes(r.orgName)) s.tls.reporters.push(r.orgName);
        s.tls.successful += p.success;
        s.tls.failed += p.failure;
        for (const f of p.failures) s.tls.failureTypes[f.resultType] = (s.tls.failureTypes[f.resultType] ?? 0) + f.count;
      }
    }
  }
  for (const [domain, bySource] of sources) {
    const s = of(domain);
    s.dmarc.sources = [...bySource.values()].sort((a, b) => b.messages - a.messages || (a.ip < b.ip ? -1 : 1));
    s.dmarc.newFailing = s.dmarc.sources.filter((l) => l.failed > 0 && !known.has(`${domain} ${l.ip}`));
  }
  return [...out.values()].sort((a, b) => (a.domain < b.domain ? -1 : 1));
}

const pct = (part: number, whole: number) => (whole === 0 ? "-" : `${((100 * part) / whole).toFixed(1)}%`);

export function formatSummary(summaries: readonly DomainSummary[], days: number): string {
  const lines: string[] = [];
  for (const s of summaries) {
    const d = s.dmarc;
    lines.push(`${s.domain}`);
    if (d.reports === 0) lines.push(`  DMARC: no aggregate report in the last ${days} days`);
    else {
      lines.push(
        `  DMARC: ${d.reports} report${d.reports === 1 ? "" : "s"} from ${d.reporters.join(", ")}; ${d.messages} messages, ${d.passed} passed (${pct(d.passed, d.messages)}), ${d.failed} failed`,
        `         DKIM aligned ${d.dkimAligned} (${pct(d.dkimAligned, d.messages)}), SPF aligned ${d.spfAligned} (${pct(d.spfAligned, d.messages)}); receivers' disposition: ${Object.entries(d.dispositions).map(([k, v]) => `${k} ${v}`).join(", ")}`,
        "  sources:",
        ...d.sources.slice(0, 15).map((l) => `    ${l.ip.padEnd(39)} ${String(l.messages).padStart(7)} messages  ${l.failed === 0 ? "pass" : l.passed === 0 ? "FAIL" : `${l.failed} failed`}  ${l.headerFrom.join(", ")}`),
        ...(d.sources.length > 15 ? [`    ... and ${d.sources.length - 15} more`] : []),
      );
      if (d.newFailing.length > 0) {
        lines.push("  NEW senders failing alignment (authorise them in SPF/DKIM if they send for you; otherwise someone is spoofing the domain):");
        for (const l of d.newFailing) lines.push(`    ${l.ip}  ${l.failed} messages  From: ${l.headerFrom.join(", ")}`);
      }
    }
    const t = s.tls;
    if (t.reports === 0) lines.push(`  TLS-RPT: no report in the last ${days} days`);
    else {
      lines.push(`  TLS-RPT: ${t.reports} report${t.reports === 1 ? "" : "s"} from ${t.reporters.join(", ")}; ${t.successful} sessions succeeded, ${t.failed} failed`);
      for (const [type, n] of Object.entries(t.failureTypes)) lines.push(`    ${type}: ${n}`);
    }
    lines.push("");
  }
  return lines.join("\n");
}
