// `npm run check -- --local`: the post-deploy proof against the running local stack, with a DNS
// server on loopback that serves the stack's zone (and the reverse DNS Hetzner would). Everything
// passes on the stack as deployed; a record changed by hand, a second SPF record, a missing PTR and
// blocked outbound port 25 each fail with the fix the operator needs, and the exit code says so.
import assert from "node:assert/strict";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { checkMain } from "../../../tools/check/cli";
import { outboundCheck } from "../../../tools/check/outbound";
import type { CheckResult } from "../../../tools/check/report";
import { localTarget } from "../../../tools/ops/target";
import { upLocalStack, type LocalStack } from "../helpers/stack";
import { startZoneServer, type ZoneServer } from "../helpers/dnsServer";

let stack: LocalStack;
let dns: ZoneServer;

async function check(extra: string[] = []): Promise<{ code: number; results: CheckResult[]; text: string }> {
  let text = "";
  const code = await checkMain(["--local", "--dns", dns.address, ...extra], (s) => (text += s));
  const results = extra.includes("--json") ? (JSON.parse(text) as { results: CheckResult[] }).results : [];
  return { code, results, text };
}
const failed = (rs: CheckResult[]) => rs.filter((r) => r.verdict === "fail");

beforeAll(async () => {
  stack = await upLocalStack();
  dns = await startZoneServer(stack.ep.zone, { "127.0.0.1": stack.cfg.hostname, "::1": stack.cfg.hostname });
});
afterAll(async () => {
  await dns.close();
});

describe("npm run check against the local stack", () => {
  it("passes every check on the stack as deployed", async () => {
    const { code, results } = await check(["--json"]);
    assert.deepEqual(failed(results).map((r) => `${r.id}: ${r.detail}`), []);
    assert.equal(code, 0);
    const ids = results.map((r) => r.id);
    for (const want of ["dns e2e.test MX", "dns e2e.test TXT", "dns _dmarc.e2e.test TXT", "dns e2e._domainkey.e2e.test TXT", "dns _mta-sts.e2e.test TXT", "dns _smtp._tls.e2e.test TXT", "dns _submissions._tcp.e2e.test SRV", "dns mail.e2e.test CAA", "ptr 127.0.0.1", "ptr ::1", "mta-sts e2e.test", "mta-sts other.test", "no open relay on 25"]) {
      assert.ok(ids.includes(want), `no check ${want} in ${ids.join(", ")}`);
    }
    assert.equal(results.filter((r) => r.group === "TLS").length, 7);
    assert.deepEqual(results.filter((r) => r.group === "Probe").map((r) => r.detail), ["SPF pass", "DKIM pass", "DMARC pass"]);
  });

  it("fails a record changed by hand and a second SPF record, naming the fix", async () => {
    dns.set("e2e.test", "MX", ["10 mx.old-provider.example."]);
    dns.set("other.test", "TXT", ['"v=spf1 mx -all"', '"v=spf1 include:old-provider.example -all"']);
    try {
      const { code, results } = await check(["--json"]);
      assert.equal(code, 1);
      const f = failed(results);
      const mx = f.find((r) => r.id === "dns e2e.test MX");
      assert.ok(mx, f.map((r) => r.id).join(", "));
      assert.match(mx.detail, /expected 10 mail\.e2e\.test; found 10 mx\.old-provider\.example/);
      assert.match(mx.fix ?? "", /pulumi up/);
      assert.match(f.find((r) => r.id === "dns other.test TXT")?.fix ?? "", /two SPF or DMARC records make both fail/);
    } finally {
      dns.set("e2e.test", "MX", ["10 mail.e2e.test."]);
      dns.set("other.test", "TXT", ['"v=spf1 mx -all"']);
    }
  });

  it("fails a missing PTR record, and prints a table with the fixes", async () => {
    const rev = "1.0.0.127.in-addr.arpa";
    dns.set(rev, "PTR", []);
    try {
      const { code, text } = await check();
      assert.equal(code, 1);
      assert.match(text, /^ {2}FAIL {2}ptr 127\.0\.0\.1 +no PTR record/m);
      assert.match(text, /^To fix:\n {2}- ptr 127\.0\.0\.1: set the reverse DNS of 127\.0\.0\.1 to mail\.e2e\.test/m);
      assert.match(text, /^\d+ passed, 1 failed, 0 warnings$/m);
    } finally {
      dns.set(rev, "PTR", [`${stack.cfg.hostname}.`]);
    }
  });

  it("says what to do when the server cannot reach port 25 elsewhere", async () => {
    // Nothing listens there: what a blocked port 25 looks like from inside the server.
    const r = await outboundCheck(stack.cfg, localTarget(), { host: stack.ep.sink.host, port: stack.ep.sink.port + 1 }, false);
    assert.equal(r.verdict, "fail");
    assert.match(r.fix ?? "", /Hetzner blocks outbound port 25 on new accounts: file a limit request/);
  });
});
