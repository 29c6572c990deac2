// Reads the reports that receivers send to a domain's `rua` (DMARC aggregate reports, RFC 7489
// section 7.2 and appendix C: XML, usually zipped or gzipped) and TLS-RPT address (RFC 8460: JSON,
// gzipped) out of the mails that carry them. Well-kept parsers do the formats: postal-mime for
// MIME, fflate for zip, Node's zlib for gzip, fast-xml-parser for XML. A mail that carries no
// report is skipped, a broken attachment is reported by name, never fatal. Pure: bytes in, data out.
import { gunzipSync } from "node:zlib";
import { XMLParser } from "fast-xml-parser";
import { unzipSync } from "fflate";
import PostalMime from "postal-mime";

export interface DmarcRecord {
  sourceIp: string;
  count: number;
  /** The receiver's DMARC evaluation of the aligned identifiers. */
  dkim: "pass" | "fail";
  spf: "pass" | "fail";
  disposition: string;
  headerFrom: string;
  /** Raw authentication results (not necessarily aligned). */
  dkimResults: { domain: string; result: string }[];
  spfResults: { domain: string; result: string }[];
}

export interface DmarcReport {
  kind: "dmarc";
  orgName: string;
  reportId: string;
  /** Seconds since the epoch. */
  begin: number;
  end: number;
  domain: string;
  policy: string;
  records: DmarcRecord[];
}

export interface TlsPolicyResult {
  policyType: string;
  policyDomain: string;
  success: number;
  failure: number;
  failures: { resultType: string; sendingMta: string; receivingMx: string; count: number }[];
}

export interface TlsReport {
  kind: "tls";
  orgName: string;
  reportId: string;
  begin: number;
  end: number;
  policies: TlsPolicyResult[];
}

export type Report = DmarcReport | TlsReport;

// Lists wherever a report may repeat an element (records; several DKIM or SPF results per record);
// policy_evaluated's single dkim/spf stay values.
const REPEATED = ["feedback.record", "feedback.record.auth_results.dkim", "feedback.record.auth_results.spf"];
const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true, isArray: (_name, jpath) => REPEATED.includes(String(jpath)) });

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const num = (v: unknown) => Number(typeof v === "string" || typeof v === "number" ? v : 0);
const str = (v: unknown) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");
const passFail = (v: unknown): "pass" | "fail" => (str(v).toLowerCase() === "pass" ? "pass" : "fail");

type Node = Record<string, unknown>;

export function parseDmarcXml(text: string): DmarcReport {
  const doc = xml.parse(text) as { feedback?: Node };
  const f = doc.feedback;
  if (f === undefined) throw new Error("not a DMARC aggregate report (no <feedback>)");
  const meta = (f.report_metadata ?? {}) as Node;
  const range = (meta.date_range ?? {}) as Node;
  const policy = (f.policy_published ?? {}) as Node;
  const records = asList(f.record as Node[] | Node | undefined).map((r): DmarcRecord => {
    const row = (r.row ?? {}) as Node;
    const evald = (row.policy_evaluated ?? {}) as Node;
    const ids = (r.identifiers ?? {}) as Node;
    const auth = (r.auth_results ?? {}) as Node;
    return {
      sourceIp: str(row.source_ip),
      count: num(row.count),
      dkim: passFail(evald.dkim),
      spf: passFail(evald.spf),
      disposition: str(evald.disposition) || "none",
      headerFrom: str(ids.header_from).toLowerCase(),
      dkimResults: asList(auth.dkim as Node[] | undefined).map((d) => ({ domain: str(d.domain).toLowerCase(), result: str(d.result) })),
      spfResults: asList(auth.spf as Node[] | undefined).map((d) => ({ domain: str(d.domain).toLowerCase(), result: str(d.result) })),
    };
  });
  return {
    kind: "dmarc",
    orgName: str(meta.org_name),
    reportId: str(meta.report_id),
    begin: num(range.begin),
    end: num(range.end),
    domain: str(policy.domain).toLowerCase(),
    policy: str(policy.p),
    records,
  };
}

interface TlsJson {
  "organization-name"?: string;
  "report-id"?: string;
  "date-range"?: { "start-datetime"?: string; "end-datetime"?: string };
  policies?: {
    policy?: { "policy-type"?: string; "policy-domain"?: string };
    summary?: { "total-successful-session-count"?: number; "total-failure-session-count"?: number };
    "failure-details"?: { "result-type"?: string; "sending-mta-ip"?: string; "receiving-mx-hostname"?: string; "failed-session-count"?: number }[];
  }[];
}

export function parseTlsJson(text: string): TlsReport {
  const j = JSON.parse(text) as TlsJson;
  if (j.policies === undefined || j["report-id"] === undefined) throw new Error("not a TLS-RPT report (no report-id and policies)");
  const t = (s: string | undefined) => (s === undefined ? 0 : Math.floor(Date.parse(s) / 1000));
  return {
    kind: "tls",
    orgName: j["organization-name"] ?? "",
    reportId: j["report-id"],
    begin: t(j["date-range"]?.["start-datetime"]),
    end: t(j["date-range"]?.["end-datetime"]),
    policies: j.policies.map((p) => ({
      policyType: p.policy?.["policy-type"] ?? "",
      policyDomain: (p.policy?.["policy-domain"] ?? "").toLowerCase(),
      success: p.summary?.["total-successful-session-count"] ?? 0,
      failure: p.summary?.["total-failure-session-count"] ?? 0,
      failures: (p["failure-details"] ?? []).map((d) => ({
        resultType: d["result-type"] ?? "",
        sendingMta: d["sending-mta-ip"] ?? "",
        receivingMx: d["receiving-mx-hostname"] ?? "",
        count: d["failed-session-count"] ?? 0,
      })),
    })),
  };
}

/** The report(s) in one attachment, by its name and type: zip, gzip, XML or JSON. */
export function reportsFromAttachment(name: string, mimeType: string, data: Uint8Array): Report[] {
  const lower = name.toLowerCase();
  const type = mimeType.toLowerCase();
  const decode = (bytes: Uint8Array, inner: string): Report[] => {
    const text = Buffer.from(bytes).toString("utf8").trim();
    if (inner.endsWith(".json") || type.includes("tlsrpt") || text.startsWith("{")) return [parseTlsJson(text)];
    return [parseDmarcXml(text)];
  };
  if (lower.endsWith(".zip") || type === "application/zip" || type === "application/x-zip-compressed") {
    return Object.entries(unzipSync(data)).flatMap(([entry, bytes]) => decode(bytes, entry.toLowerCase()));
  }
  if (lower.endsWith(".gz") || lower.endsWith(".gzip") || type.includes("gzip")) {
    return decode(gunzipSync(Buffer.from(data)), lower.replace(/\.gz(ip)?$/, ""));
  }
  if (lower.endsWith(".xml") || lower.endsWith(".json") || type.includes("xml") || type.includes("json")) return decode(data, lower);
  return [];
}

export interface MessageReports {
  reports: Report[];
  /** Attachments that looked like reports but could not be read. */
  problems: string[];
}

export async function reportsFromMessage(raw: Buffer | string): Promise<MessageReports> {
  const mail = await PostalMime.parse(raw);
  const reports: Report[] = [];
  const problems: string[] = [];
  for (const a of mail.attachments) {
    const name = a.filename ?? "";
    const content = typeof a.content === "string" ? Buffer.from(a.content) : new Uint8Array(a.content);
    try {
      reports.push(...reportsFromAttachment(name, a.mimeType ?? "", content));
    } catch (e) {
      problems.push(`${name || a.mimeType}: ${(e as Error).message}`);
    }
  }
  return { reports, problems };
}
