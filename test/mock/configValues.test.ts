// `pulumi up` reads the stack file the way the tools do: a DKIM selector written as a number is
// the same selector in the program (DKIM key names) as in `npm run render`, a misspelt namespace
// stops the program instead of silently dropping settings, and a CIDR with host bits is
// normalised in the firewall rule it feeds.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "@jest/globals";
import { parseMailConfig } from "../../components/core/config/config";
import { parseStackYaml, stackFilePath } from "../../components/core/config/stackFile";
import { evaluate } from "./harness/types";
import { prodConfig, request } from "./fixtures";

describe("stack values under the engine", () => {
  it("a numeric DKIM selector names the same keys in pulumi up as in render", () => {
    const yaml = readFileSync(stackFilePath("prod"), "utf8").replace(/mailstack:dkimSelector: .*/, "mailstack:dkimSelector: 2026");
    const file = parseStackYaml(yaml, "Pulumi.prod.yaml");
    const rendered = parseMailConfig(file.raw, { hasRelayPassword: file.hasRelayPassword }).dkimSelector;
    // The engine gets the YAML number as Pulumi stores it: the text "2026".
    const cfg = prodConfig();
    cfg.dkimSelector = 2026;
    const ev = evaluate(request(cfg));
    assert.ok(ev.ok, ev.error);
    const keys = ev.resources.filter((r) => r.type === "tls:index/privateKey:PrivateKey" && r.name.startsWith("dkim-")).map((r) => r.name);
    assert.deepEqual(keys.sort(), [`dkim-${rendered}-example.com`, `dkim-${rendered}-example.org`]);
    assert.equal(rendered, "2026");
  });

  it("a misspelt namespace stops the program, naming the key", () => {
    const cfg: Record<string, unknown> = prodConfig();
    cfg["mailstak:mailboxes"] = cfg.mailboxes;
    const ev = evaluate(request(cfg));
    assert.equal(ev.ok, false);
    assert.match(ev.error ?? "", /mailstak:mailboxes: the namespace "mailstak" looks like a misspelling of "mailstack"/);
  });

  it("an SSH range with host bits reaches the firewall as its network", () => {
    const cfg = prodConfig();
    (cfg.ssh as { allowFrom: string[] }).allowFrom = ["203.0.113.77/24"];
    const ev = evaluate(request(cfg));
    assert.ok(ev.ok, ev.error);
    const fw = ev.resources.find((r) => r.type === "hcloud:index/firewall:Firewall")!;
    const ssh = (fw.inputs.rules as { port?: string; sourceIps: string[] }[]).find((r) => r.port === "22");
    assert.deepEqual(ssh?.sourceIps, ["203.0.113.0/24"]);
  });
});
