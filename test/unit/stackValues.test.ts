// A stack file means the same to `npm run render`, the local runner and `pulumi up`: the YAML
// reader hands on exactly the strings Pulumi gives the program (scalars as written, objects as
// JSON), and both go through one rawMailConfig. Misspelt namespaces and keys Pulumi would refuse
// are errors, and a YAML syntax error names the file, line and column.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "@jest/globals";
import { parseMailConfig } from "../../components/core/config/config";
import { parseStackYaml, pulumiConfigValues, StackFileError, stackFilePath } from "../../components/core/config/stackFile";
import { rawMailConfig } from "../../components/core/config/stackValues";

const prod = readFileSync(stackFilePath("prod"), "utf8");
const withSelector = (v: string) => prod.replace(/mailstack:dkimSelector: .*/, `mailstack:dkimSelector: ${v}`);

describe("stack values", () => {
  it("hands on scalars exactly as written and objects as JSON, as the Pulumi CLI does", () => {
    const { values } = pulumiConfigValues("config:\n  mailstack:dkimSelector: 2026\n  mailstack:hostname: 0x1F\n  mailstack:server: {volumeSizeGb: 50}\n  hcloud:token:\n    secure: v1:abc\n", "f.yaml");
    assert.deepEqual(values, {
      "mailstack:dkimSelector": "2026",
      "mailstack:hostname": "0x1F",
      "mailstack:server": '{"volumeSizeGb":50}',
      "hcloud:token": "[secure]",
    });
  });

  it("a numeric DKIM selector is the same selector in render and in pulumi up", () => {
    const yaml = parseStackYaml(withSelector("2026"), "Pulumi.prod.yaml");
    assert.equal(parseMailConfig(yaml.raw, { hasRelayPassword: yaml.hasRelayPassword }).dkimSelector, "2026");
    // What `pulumi up` sees: every value a string, objects JSON-encoded (pulumi.runtime.allConfig()).
    const asPulumi = Object.fromEntries(
      Object.entries(yaml.raw).map(([k, v]) => [`mailstack:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
    );
    const fromPulumi = rawMailConfig({ ...asPulumi, "mailstack:relayPassword": "[secret]" });
    assert.deepEqual(fromPulumi.raw, yaml.raw);
    assert.equal(fromPulumi.hasRelayPassword, yaml.hasRelayPassword);
  });

  it("a value Pulumi reads as a string but the schema wants as an object is named, not thrown", () => {
    const { raw } = rawMailConfig({ "mailstack:mailboxes": "alice@example.com", "mailstack:domains": "" });
    assert.equal(raw.mailboxes, "alice@example.com");
    assert.equal("domains" in raw, false, "an empty value counts as not set");
  });

  it("a namespace that looks like ours is an error, not an ignored setting", () => {
    const text = prod.replace("mailstack:mailboxes:", "mailstak:mailboxes:");
    const { raw, hasRelayPassword, keyProblems } = parseStackYaml(text, "Pulumi.prod.yaml");
    assert.deepEqual(keyProblems.length, 1);
    assert.match(keyProblems[0], /^mailstak:mailboxes: the namespace "mailstak" looks like a misspelling of "mailstack".*rename the key to mailstack:mailboxes$/);
    assert.throws(() => parseMailConfig(raw, { hasRelayPassword, keyProblems }), /mailstak:mailboxes/);
    // Other tools' namespaces are not ours to judge.
    assert.deepEqual(parseStackYaml(`${prod}\n  aws:region: eu-central-1\n`, "f").keyProblems, []);
    assert.match(parseStackYaml(`${prod}\n  cloudflar:apiToken: x\n`, "f").keyProblems.join(), /misspelling of "cloudflare"/);
  });

  it("a key without a namespace is named, since Pulumi refuses it", () => {
    const { keyProblems } = parseStackYaml("config:\n  hostname: mail.example.com\n", "f.yaml");
    assert.match(keyProblems.join(), /^hostname: a stack config key needs its namespace; write mailstack:hostname/);
  });

  it("a YAML syntax error names the file, line and column", () => {
    assert.throws(
      () => parseStackYaml("config:\n  mailstack:hostname: mail.example.com\n  mailstack:aliases: [a, b\n", "Pulumi.acme.yaml"),
      (e: Error) => e instanceof StackFileError && /^Pulumi\.acme\.yaml:\d+:\d+: not valid YAML: /.test(e.message) && !e.message.includes("\n"),
    );
    assert.throws(() => parseStackYaml("config:\n  a:b: 1\n  a:b: 2\n", "x.yaml"), /x\.yaml:3:3: not valid YAML: Map keys must be unique$/);
  });
});
