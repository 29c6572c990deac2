// The example stack file is a complete customer that validates: operators copy it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "@jest/globals";
import { loadStackConfig, stackFilePath } from "../../components/core/config/stackFile";

it("Pulumi.prod.yaml parses into two domains with mailboxes, aliases and a relay", () => {
  const cfg = loadStackConfig("prod");
  assert.deepEqual(cfg.domains.map((d) => d.name), ["example.com", "example.org"]);
  assert.ok(cfg.mailboxes.length >= 3);
  assert.ok(cfg.aliases.length >= 2);
  assert.equal(cfg.relay?.host, "smtp.relay.example.net");
  const text = readFileSync(stackFilePath("prod"), "utf8");
  for (const k of ["hcloud:token", "cloudflare:apiToken", "mailstack:relayPassword"]) {
    assert.match(text, new RegExp(`${k}:\\n\\s+secure: `), `${k} is a secure placeholder`);
  }
});
