// `npm run customer -- list` and `remove` against a stand-in Pulumi CLI: list shows domains,
// mailboxes and the last deploy (or "unknown" without a CLI); remove explains everything and
// changes nothing without --yes, and with --yes destroys (never the protected volume), forgets the
// stack and deletes its file, in that order, stopping at the first failure.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "@jest/globals";
import { stackFilePath } from "../../components/core/config/stackFile";
import { customerMain } from "../../tools/customer/cli";
import { realIo } from "../../tools/customer/new";
import { systemPulumi } from "../../tools/pulumiCli";
import { fakePulumi, pathWithoutPulumi, type FakeRule } from "./fakePulumi";

function setup(rules: FakeRule[] = [], env?: NodeJS.ProcessEnv) {
  const root = mkdtempSync(join(tmpdir(), "customers-"));
  copyFileSync(stackFilePath("prod"), stackFilePath("acme", root));
  const fake = fakePulumi(rules);
  const lines: string[] = [];
  const run = (...argv: string[]) =>
    customerMain(argv, { io: { ...realIo(root), log: (l) => lines.push(l) }, pulumi: systemPulumi(root, env ?? fake.env) });
  return { root, run, lines, fake, text: () => lines.join("\n") };
}

const history = JSON.stringify([{ kind: "update", result: "succeeded", startTime: "2026-05-02T10:00:00.000Z", endTime: "2026-05-02T10:11:12.000Z", version: 7 }]);

describe("customer list", () => {
  it("shows each customer's domains, mailboxes and last deploy; a broken or misnamed file is a line, not a crash", () => {
    const s = setup([{ when: ["history", "acme"], stdout: history }, { when: ["history", "beta"], code: 255, stderr: "error: no stack named 'beta' found\n" }]);
    writeFileSync(stackFilePath("beta", s.root), "config:\n  mailstack:hostname: mail.beta.example\n");
    writeFileSync(join(s.root, "Pulumi.Gamma_Inc.yaml"), "config: {}\n");
    assert.equal(s.run("list"), 0);
    const text = s.text();
    assert.match(text, /^acme +example\.com, example\.org +5 \(1 disabled\) +2026-05-02 10:11:12Z update succeeded$/m);
    assert.match(text, /^beta +invalid config \(\d+ problem\(s\); npm run render -- --stack beta --out <dir> names them\) +never \(no such stack in the backend\)$/m);
    assert.match(text, /^misnamed: Pulumi\.Gamma_Inc\.yaml/m);
    assert.deepEqual(s.fake.calls().filter((c) => c[0] === "stack")[0], ["stack", "history", "--stack", "acme", "--json", "--page-size", "1"]);
  });

  it("says unknown when the Pulumi CLI is not installed", () => {
    const s = setup([], pathWithoutPulumi());
    assert.equal(s.run("list"), 0);
    assert.match(s.text(), /^acme .* unknown \(no Pulumi CLI\)$/m);
  });
});

describe("customer remove", () => {
  it("without --yes explains what happens to DNS, IPs and the volume, and runs nothing", () => {
    const s = setup();
    assert.equal(s.run("remove", "acme"), 0);
    const text = s.text();
    assert.match(text, /DNS: every record the stack wrote is deleted/);
    assert.match(text, /primary IPs mail\.example\.com-v4\/-v6 are released/);
    assert.match(text, /volume mail-example-com-data with all mail .* stays \(protected, retainOnDelete\)/);
    assert.match(text, /hcloud volume delete mail-example-com-data/);
    assert.match(text, /1\. pulumi destroy --stack acme --exclude-protected --yes\n {2}2\. pulumi stack rm --stack acme --force --preserve-config --yes/);
    assert.match(text, /Nothing was changed/);
    assert.deepEqual(s.fake.calls(), []);
    assert.ok(existsSync(stackFilePath("acme", s.root)));
  });

  it("with --yes destroys all but the protected volume, forgets the stack and deletes its file", () => {
    const s = setup();
    assert.equal(s.run("remove", "acme", "--yes", "--org", "ops"), 0);
    const calls = s.fake.calls().filter((c) => c[0] !== "version");
    assert.deepEqual(calls, [
      ["destroy", "--stack", "ops/acme", "--exclude-protected", "--yes"],
      ["stack", "rm", "--stack", "ops/acme", "--force", "--preserve-config", "--yes"],
    ]);
    assert.equal(existsSync(stackFilePath("acme", s.root)), false);
  });

  it("--keep-ips excludes both primary IPs from the destroy", () => {
    const s = setup();
    assert.equal(s.run("remove", "acme", "--yes", "--keep-ips"), 0);
    const destroy = s.fake.calls().find((c) => c[0] === "destroy")!;
    const excluded = destroy.filter((_, i) => destroy[i - 1] === "--exclude");
    assert.deepEqual(excluded, ["ipv4", "ipv6"].map((n) => `urn:pulumi:acme::mailstack::mailstack:index:MailStack$mailstack:index:MailServer$hcloud:index/primaryIp:PrimaryIp::${n}`));
  });

  it("stops at a failed destroy: the stack and its file stay", () => {
    const s = setup([{ when: ["destroy"], code: 255, stderr: "error: 1 resource failed\n" }]);
    assert.equal(s.run("remove", "acme", "--yes"), 1);
    assert.ok(!s.fake.calls().some((c) => c[0] === "stack"));
    assert.ok(existsSync(stackFilePath("acme", s.root)));
  });

  it("refuses an unknown customer and a reserved name", () => {
    const s = setup();
    assert.throws(() => s.run("remove", "nobody", "--yes"), /no customer "nobody"/);
    assert.throws(() => s.run("remove", "prod", "--yes"), /reserved/);
  });
});
