// DMARC aggregate reports (RFC 7489 appendix C) and TLS-RPT reports (RFC 8460) as receivers send
// them: XML zipped (Google), XML gzipped (Microsoft, Yahoo), JSON gzipped (TLS-RPT), attached to
// mails built here with nodemailer's MIME composer. Read back into a per-domain summary: volumes,
// pass/fail by mechanism, dispositions, sources, and the sources failing alignment that no earlier
// report had shown.
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { describe, it } from "@jest/globals";
import { strToU8, zipSync } from "fflate";
import MailComposer from "nodemailer/lib/mail-composer";
import { parseDmarcXml, reportsFromMessage, type Report } from "../../tools/reports/parse";
import { formatSummary, summarize } from "../../tools/reports/summary";

const DAY = 86400;
const now = Math.floor(Date.parse("2026-11-30T00:00:00Z") / 1000);

/** An aggregate report in the shape of RFC 7489 appendix C. */
function dmarcXml(o: { org: string; id: string; begin: number; domain: string; records: { ip: string; count: number; dkim: string; spf: string; disposition?: string; from?: string }[] }): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<feedback>
  <report_metadata>
    <org_name>${o.org}</org_name>
    <email>noreply-dmarc-support@${o.org}</email>
    <report_id>${o.id}</report_id>
    <date_range><begin>${o.begin}</begin><end>${o.begin + DAY - 1}</end></date_range>
  </report_metadata>
  <policy_published>
    <domain>${o.domain}</domain><adkim>s</adkim><aspf>r</aspf><p>quarantine</p><sp>quarantine</sp><pct>100</pct>
  </policy_published>
${o.records
  .map(
    (r) => `  <record>
    <row>
      <source_ip>${r.ip}</source_ip>
      <count>${r.count}</count>
      <policy_evaluated><disposition>${r.disposition ?? "none"}</disposition><dkim>${r.dkim}</dkim><spf>${r.spf}</spf></policy_evaluated>
    </row>
    <identifiers><header_from>${r.from ?? o.domain}</header_from></identifiers>
    <auth_results>
      <dkim><domain>${r.from ?? o.domain}</domain><result>${r.dkim}</result><selector>mail</selector></dkim>
      <spf><domain>${r.from ?? o.domain}</domain><result>${r.spf}</result></spf>
    </auth_results>
  </record>`,
  )
  .join("\n")}
</feedback>
`;
}

/** A TLS-RPT report as in RFC 8460 section 4.4. */
function tlsJson(o: { org: string; id: string; start: string; domain: string; ok: number; failed: number }): string {
  return JSON.stringify({
    "organization-name": o.org,
    "date-range": { "start-datetime": o.start, "end-datetime": o.start.replace("T00:00:00Z", "T23:59:59Z") },
    "contact-info": `smtp-tls-reporting@${o.org}`,
    "report-id": o.id,
    policies: [
      {
        policy: { "policy-type": "sts", "policy-string": ["version: STSv1", "mode: testing", `mx: mail.${o.domain}`, "max_age: 604800"], "policy-domain": o.domain, "mx-host": [`mail.${o.domain}`] },
        summary: { "total-successful-session-count": o.ok, "total-failure-session-count": o.failed },
        "failure-details": o.failed === 0 ? [] : [{ "result-type": "certificate-expired", "sending-mta-ip": "203.0.113.56", "receiving-mx-hostname": `mail.${o.domain}`, "failed-session-count": o.failed }],
      },
    ],
  });
}

async function mail(attachments: { filename: string; content: Buffer; contentType: string }[]): Promise<Buffer> {
  return new MailComposer({ from: "noreply-dmarc-support@google.com", to: "dmarc@example.com", subject: "Report domain: example.com Submitter: google.com", text: "This is an aggregate report.", attachments }).compile().build();
}

const sample = () => ({
  org: "google.com",
  id: "1735689600.1",
  begin: now - 2 * DAY,
  domain: "example.com",
  records: [
    { ip: "203.0.113.7", count: 120, dkim: "pass", spf: "pass" },
    { ip: "2001:db8::1", count: 30, dkim: "pass", spf: "fail" },
    { ip: "198.51.100.23", count: 4, dkim: "fail", spf: "fail", disposition: "quarantine" },
  ],
});

describe("reading reports out of mail", () => {
  it("a zipped DMARC report (as Google sends it)", async () => {
    const zip = Buffer.from(zipSync({ "google.com!example.com!1735689600!1735775999.xml": strToU8(dmarcXml(sample())) }));
    const { reports, problems } = await reportsFromMessage(await mail([{ filename: "google.com!example.com!1735689600!1735775999.zip", content: zip, contentType: "application/zip" }]));
    assert.deepEqual(problems, []);
    assert.equal(reports.length, 1);
    const r = reports[0];
    assert.equal(r.kind, "dmarc");
    if (r.kind !== "dmarc") return;
    assert.equal(r.orgName, "google.com");
    assert.equal(r.domain, "example.com");
    assert.deepEqual(r.records.map((x) => [x.sourceIp, x.count, x.dkim, x.spf, x.disposition]), [
      ["203.0.113.7", 120, "pass", "pass", "none"],
      ["2001:db8::1", 30, "pass", "fail", "none"],
      ["198.51.100.23", 4, "fail", "fail", "quarantine"],
    ]);
  });

  it("a gzipped DMARC report and a gzipped TLS-RPT report in one mail", async () => {
    const xml = gzipSync(dmarcXml({ ...sample(), org: "Outlook.com", id: "abc" }));
    const tls = gzipSync(tlsJson({ org: "Google Inc.", id: "2026-11-28T00:00:00Z_example.com", start: "2026-11-28T00:00:00Z", domain: "example.com", ok: 500, failed: 3 }));
    const { reports } = await reportsFromMessage(
      await mail([
        { filename: "enterprise.protection.outlook.com!example.com!1735689600!1735775999.xml.gz", content: xml, contentType: "application/gzip" },
        { filename: "google.com!example.com!20261128!001.json.gz", content: tls, contentType: "application/tlsrpt+gzip" },
      ]),
    );
    assert.deepEqual(reports.map((r) => r.kind), ["dmarc", "tls"]);
    const t = reports[1];
    if (t.kind !== "tls") return;
    assert.deepEqual(t.policies.map((p) => [p.policyDomain, p.success, p.failure, p.failures[0]?.resultType]), [["example.com", 500, 3, "certificate-expired"]]);
  });

  it("a mail without a report gives none; a damaged attachment is named, not fatal", async () => {
    assert.deepEqual((await reportsFromMessage(await mail([]))).reports, []);
    const broken = await reportsFromMessage(await mail([{ filename: "x.xml.gz", content: Buffer.from("not gzip"), contentType: "application/gzip" }]));
    assert.deepEqual(broken.reports, []);
    assert.match(broken.problems[0], /^x\.xml\.gz: /);
    assert.throws(() => parseDmarcXml("<html/>"), /not a DMARC aggregate report/);
  });
});

describe("the per-domain summary", () => {
  const reports = (): Report[] => [
    // Last month: the server and the newsletter service were already known.
    parseDmarcXml(dmarcXml({ org: "google.com", id: "old", begin: now - 30 * DAY, domain: "example.com", records: [{ ip: "203.0.113.7", count: 80, dkim: "pass", spf: "pass" }, { ip: "192.0.2.44", count: 5, dkim: "fail", spf: "fail" }] })),
    parseDmarcXml(dmarcXml(sample())),
    // The same report again (sent to two rua addresses): counted once.
    parseDmarcXml(dmarcXml(sample())),
    parseDmarcXml(dmarcXml({ org: "yahoo.com", id: "y1", begin: now - DAY, domain: "example.com", records: [{ ip: "192.0.2.44", count: 7, dkim: "fail", spf: "fail", disposition: "reject" }] })),
  ];

  it("counts volumes, pass and fail by mechanism and disposition, and names new failing senders", () => {
    const [s] = summarize(reports(), now - 7 * DAY, ["example.com"]);
    assert.equal(s.domain, "example.com");
    assert.equal(s.dmarc.reports, 2);
    assert.deepEqual(s.dmarc.reporters, ["google.com", "yahoo.com"]);
    assert.equal(s.dmarc.messages, 161);
    assert.equal(s.dmarc.passed, 150);
    assert.equal(s.dmarc.failed, 11);
    assert.equal(s.dmarc.dkimAligned, 150);
    assert.equal(s.dmarc.spfAligned, 120);
    assert.deepEqual(s.dmarc.dispositions, { none: 150, quarantine: 4, reject: 7 });
    assert.deepEqual(s.dmarc.sources.map((l) => [l.ip, l.messages, l.failed]), [["203.0.113.7", 120, 0], ["2001:db8::1", 30, 0], ["192.0.2.44", 7, 7], ["198.51.100.23", 4, 4]]);
    // 192.0.2.44 failed last month already; 198.51.100.23 is new.
    assert.deepEqual(s.dmarc.newFailing.map((l) => l.ip), ["198.51.100.23"]);
  });

  it("prints what an operator reads, including domains nobody reported on", () => {
    const text = formatSummary(summarize(reports(), now - 7 * DAY, ["example.com", "example.org"]), 7);
    assert.match(text, /^example\.com\n {2}DMARC: 2 reports from google\.com, yahoo\.com; 161 messages, 150 passed \(93\.2%\), 11 failed$/m);
    assert.match(text, /NEW senders failing alignment .*\n {4}198\.51\.100\.23 {2}4 messages {2}From: example\.com/);
    assert.match(text, /^example\.org\n {2}DMARC: no aggregate report in the last 7 days\n {2}TLS-RPT: no report in the last 7 days$/m);
  });
});
