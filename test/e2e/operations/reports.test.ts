// DMARC and TLS reports on the local stack. Received: reports as receivers send them (a zipped
// DMARC aggregate report, a gzipped TLS-RPT report) delivered to the domain's rua address, then
// `npm run reports -- --local` reads them from the mailbox with doveadm and summarises them.
// Sent: Postfix's internal reports listener, reached from the Rspamd container as `rspamadm
// dmarc_report` reaches it, relays the report sender's mail (DKIM-signed) and refuses any other
// sender; it is not published on the host.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { strToU8, zipSync } from "fflate";
import { dmarcReportSender } from "../../../components/core/render/rspamd";
import nodemailer from "nodemailer";
import { containerSpecs } from "../../../components/core/containers/containerSpecs";
import { imagePlans } from "../../../components/core/containers/images";
import { reportsMain } from "../../../tools/reports/cli";
import type { DomainSummary } from "../../../tools/reports/summary";
import { LOOPBACK, startSink, type Sink } from "../helpers/smtp";
import { execInService, until, upLocalStack, type LocalStack } from "../helpers/stack";

let stack: LocalStack;
beforeAll(async () => {
  stack = await upLocalStack();
});

const day = 86400;
// Earlier runs left their reports in the mailbox: this run's failing source is one of its own.
const spoofer = `203.0.113.${100 + Math.floor(Math.random() * 150)}`;
const begin = Math.floor(Date.now() / 1000) - 2 * day;
const xml = `<?xml version="1.0" encoding="UTF-8" ?>
<feedback>
  <report_metadata><org_name>receiver.example</org_name><email>dmarc@receiver.example</email><report_id>e2e-${begin}</report_id>
    <date_range><begin>${begin}</begin><end>${begin + day - 1}</end></date_range></report_metadata>
  <policy_published><domain>e2e.test</domain><adkim>s</adkim><aspf>r</aspf><p>reject</p><sp>reject</sp><pct>100</pct></policy_published>
  <record><row><source_ip>198.18.7.1</source_ip><count>42</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row>
    <identifiers><header_from>e2e.test</header_from></identifiers><auth_results><dkim><domain>e2e.test</domain><result>pass</result></dkim><spf><domain>e2e.test</domain><result>pass</result></spf></auth_results></record>
  <record><row><source_ip>${spoofer}</source_ip><count>3</count><policy_evaluated><disposition>reject</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated></row>
    <identifiers><header_from>e2e.test</header_from></identifiers><auth_results><spf><domain>spoof.example</domain><result>pass</result></spf></auth_results></record>
</feedback>`;
const tls = JSON.stringify({
  "organization-name": "receiver.example",
  "date-range": { "start-datetime": new Date(begin * 1000).toISOString(), "end-datetime": new Date((begin + day - 1) * 1000).toISOString() },
  "contact-info": "tlsrpt@receiver.example",
  "report-id": `e2e-tls-${begin}`,
  policies: [{ policy: { "policy-type": "sts", "policy-domain": "e2e.test" }, summary: { "total-successful-session-count": 40, "total-failure-session-count": 2 }, "failure-details": [{ "result-type": "validation-failure", "sending-mta-ip": "203.0.113.9", "receiving-mx-hostname": "mail.e2e.test", "failed-session-count": 2 }] }],
});

describe("reports received", () => {
  const summaryOf = async (): Promise<DomainSummary> => {
    let out = "";
    await reportsMain(["--local", "--json"], (s) => (out += s));
    return (JSON.parse(out) as { summaries: DomainSummary[] }).summaries.find((x) => x.domain === "e2e.test")!;
  };

  it("npm run reports summarises the reports delivered to the rua address", async () => {
    const before = await summaryOf();
    const rua = stack.cfg.domains.find((d) => d.name === "e2e.test")!.dmarc.reportTo;
    // nodemailer's attachments go through sendMail's own options: the helper takes plain mails only.
    const inbound = nodemailer.createTransport({ host: LOOPBACK, port: stack.ep.smtp, name: "mx.receiver.example", tls: { servername: stack.ep.mailHost, ca: stack.ca } });
    await inbound.sendMail({
      from: "noreply-dmarc-support@receiver.example",
      to: rua,
      subject: "Report domain: e2e.test Submitter: receiver.example",
      text: "DMARC aggregate report.",
      attachments: [{ filename: `receiver.example!e2e.test!${begin}!${begin + day - 1}.zip`, content: Buffer.from(zipSync({ "report.xml": strToU8(xml) })), contentType: "application/zip" }],
    });
    await inbound.sendMail({
      from: "tlsrpt@receiver.example",
      to: stack.cfg.domains.find((d) => d.name === "e2e.test")!.tlsRptTo,
      subject: "Report Domain: e2e.test Submitter: receiver.example",
      text: "TLS report.",
      attachments: [{ filename: "receiver.example!e2e.test!report.json.gz", content: gzipSync(tls), contentType: "application/tlsrpt+gzip" }],
    });
    const summary = await until("both reports in the summary", async () => {
      const s = await summaryOf();
      return s.dmarc.reports > before.dmarc.reports && s.tls.reports > before.tls.reports ? s : undefined;
    }, 60_000);
    assert.equal(summary.dmarc.messages - before.dmarc.messages, 45);
    assert.equal(summary.dmarc.failed - before.dmarc.failed, 3);
    assert.equal(summary.dmarc.dkimAligned - before.dmarc.dkimAligned, 42);
    assert.ok(summary.dmarc.newFailing.some((l) => l.ip === spoofer && l.failed === 3), JSON.stringify(summary.dmarc.newFailing));
    assert.equal((summary.tls.failureTypes["validation-failure"] ?? 0) - (before.tls.failureTypes["validation-failure"] ?? 0), 2);
    let text = "";
    await reportsMain(["--local"], (s) => (text += `${s}\n`));
    assert.match(text, /NEW senders failing alignment/);
    assert.match(text, /TLS-RPT: \d+ reports? from receiver\.example; \d+ sessions succeeded, \d+ failed/);
  });
});

describe("reports sent", () => {
  let sink: Sink;
  beforeAll(async () => {
    sink = await startSink(stack);
  });
  afterAll(async () => {
    await sink.close();
  });

  /** An SMTP dialog from inside the Rspamd container to Postfix's reports listener. */
  const fromRspamd = async (sender: string, id: string) => {
    const script = [
      "exec 3<>/dev/tcp/postfix/10027",
      "say() { printf '%s\\r\\n' \"$1\" >&3; }",
      "read -r l <&3; echo \"$l\"",
      "say 'EHLO mail.e2e.test'; while read -r l <&3; do echo \"$l\"; case \"$l\" in 250\\ *) break;; esac; done",
      `say 'MAIL FROM:<${sender}>'; read -r l <&3; echo "$l"`,
      "say 'RCPT TO:<dmarc-rua@receiver.example>'; read -r l <&3; echo \"$l\"",
      "case \"$l\" in 250*) ;; *) exit 0;; esac",
      "say DATA; read -r l <&3; echo \"$l\"",
      `printf 'From: <${sender}>\\r\\nTo: <dmarc-rua@receiver.example>\\r\\nSubject: Report Domain: receiver.example\\r\\nMessage-ID: ${id}\\r\\n\\r\\nreport\\r\\n.\\r\\n' >&3; read -r l <&3; echo "$l"`,
      "say QUIT",
    ].join("\n");
    const r = await execInService(stack, "rspamd", ["bash", "-c", script]);
    return r.stdout;
  };

  it("relays the report sender's mail, DKIM-signed, and refuses any other sender", async () => {
    const id = `<dmarc-report.${Date.now()}@e2e.test>`;
    const ok = await fromRspamd(dmarcReportSender(stack.cfg), id);
    assert.match(ok, /^250 .*queued/m, ok);
    const msg = await sink.waitFor(id);
    assert.deepEqual(msg.to, ["dmarc-rua@receiver.example"]);
    assert.match(msg.raw, /^DKIM-Signature: .*d=e2e\.test/m);
    const other = await fromRspamd("alice@e2e.test", `<x.${Date.now()}@e2e.test>`);
    assert.match(other, /^554 5\.7\.1 .*(Access denied|Sender address rejected)/m, other);
  });

  it("is not published on the host", async () => {
    const postfix = containerSpecs(stack.cfg, stack.topo, imagePlans(stack.topo)).find((c) => c.service === "postfix")!;
    assert.deepEqual([...new Set(postfix.ports.map((p) => p.containerPort))], [25, 465, 587]);
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect({ host: LOOPBACK, port: stack.topo.internal.reportsSmtp.port }, () => (s.destroy(), resolve(false)));
      s.on("error", () => resolve(true));
    });
    assert.equal(refused, true, "nothing answers on the host");
  });
});
