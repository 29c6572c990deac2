// What the real Pulumi CLI makes of our stack files, offline (file backend, passphrase secrets):
// the example customer's config as the program receives it equals what the YAML-reading tools and
// the mock-engine tests use; the placeholder secrets must be set before anything can read the
// config; secrets set the README's way (stdin) never appear in plain text; and `pulumi stack init`
// keeps every comment of a file written by `npm run customer`.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe } from "@jest/globals";
import { parseMailConfig } from "../../components/core/config/config";
import { parseStackYaml } from "../../components/core/config/stackFile";
import { REPO_ROOT } from "../../components/core/paths";
import { offlineProject, PULUMI_BIN } from "../../tools/engine/offlineCli";
import { customerStackFile } from "../../tools/customer/stackFile";
import { engineIt, scratchDir, FAKE_CLOUDFLARE_TOKEN, FAKE_HCLOUD_TOKEN, FAKE_RELAY_PASSWORD } from "./guard";

const FAKES = [FAKE_HCLOUD_TOKEN, FAKE_CLOUDFLARE_TOKEN, FAKE_RELAY_PASSWORD];
// index.ts reads these with config.get, every other mailstack key with config.getObject.
const STRING_KEYS = new Set(["hostname", "acmeEmail", "dkimSelector"]);

interface CliConfigValue {
  value?: string;
  objectValue?: unknown;
  secret: boolean;
}

/** The mailstack: keys as index.ts's readRawConfig sees them, from `pulumi config --json`. */
function programView(json: Record<string, CliConfigValue>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) {
    if (!k.startsWith("mailstack:") || k === "mailstack:relayPassword") continue;
    const key = k.slice("mailstack:".length);
    raw[key] = STRING_KEYS.has(key) ? v.value : JSON.parse(v.value ?? "null");
  }
  return raw;
}

const commentLines = (text: string) => text.split("\n").filter((l) => /^\s*#/.test(l));

describe(`the real Pulumi CLI (${PULUMI_BIN}) on our stack files`, () => {
  engineIt("is the version that package-lock.json pins for @pulumi/pulumi", () => {
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version: string }>;
    };
    const p = offlineProject(scratchDir(), []);
    const r = p.run(["version"]);
    assert.equal(r.stdout.trim(), `v${lock.packages["node_modules/@pulumi/pulumi"]?.version}`);
  });

  engineIt("gives the program exactly the example customer's config once its placeholder secrets are set", () => {
    const committed = readFileSync(join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8");
    const p = offlineProject(scratchDir(), ["prod"]);
    const init = p.run(["stack", "init", "prod", "--secrets-provider", "passphrase"]);
    assert.equal(init.status, 0, init.stderr);

    // The example's `secure: v1:REPLACE-…` values are not ciphertext: nothing reads the config
    // until `pulumi config set --secret` has replaced all three.
    const before = p.run(["config", "--json", "--show-secrets", "--stack", "prod"]);
    assert.notEqual(before.status, 0);
    assert.match(before.stderr, /could not decrypt configuration values?: .*bad value/);

    p.setSecret("prod", "hcloud:token", FAKE_HCLOUD_TOKEN);
    p.setSecret("prod", "cloudflare:apiToken", FAKE_CLOUDFLARE_TOKEN);
    p.setSecret("prod", "mailstack:relayPassword", FAKE_RELAY_PASSWORD);

    const shown = p.run(["config", "--json", "--show-secrets", "--stack", "prod"]);
    assert.equal(shown.status, 0, shown.stderr);
    const json = JSON.parse(shown.stdout) as Record<string, CliConfigValue>;
    assert.equal(json["hcloud:token"]?.value, FAKE_HCLOUD_TOKEN);
    assert.equal(json["mailstack:relayPassword"]?.secret, true);

    const ours = parseStackYaml(committed, "Pulumi.prod.yaml");
    assert.deepEqual(programView(json), ours.raw);
    assert.doesNotThrow(() => parseMailConfig(programView(json), { hasRelayPassword: json["mailstack:relayPassword"] !== undefined }));

    // Without --show-secrets, and in the stack file, the fake credentials never appear.
    const hidden = p.run(["config", "--json", "--stack", "prod"]);
    const stackFile = readFileSync(join(p.dir, "Pulumi.prod.yaml"), "utf8");
    for (const fake of FAKES) {
      assert.doesNotMatch(hidden.stdout + hidden.stderr, new RegExp(fake));
      assert.doesNotMatch(stackFile, new RegExp(fake));
    }
    assert.equal(readFileSync(join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8"), committed, "the committed example is never touched");
  });

  engineIt("keeps every comment and value of a file from `npm run customer` through stack init and secret set", () => {
    const scratch = scratchDir();
    const { text } = customerStackFile({
      name: "acme",
      domain: "example.com",
      zoneId: "0123456789abcdef0123456789abcdef",
      sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0u3Lk2Y0y1p0cM9xq3Yb2oQ1u2Jw4H2b6w0y8Zk9mP ops@example.com"],
      sshFrom: ["203.0.113.0/24"],
      mailboxes: ["alice@example.com"],
    });
    const file = join(scratch, "Pulumi.acme.yaml");
    writeFileSync(file, text);
    const p = offlineProject(scratch, ["acme"], { acme: file });
    assert.equal(p.run(["stack", "init", "acme", "--secrets-provider", "passphrase"]).status, 0);
    p.setSecret("acme", "hcloud:token", FAKE_HCLOUD_TOKEN);
    p.setSecret("acme", "cloudflare:apiToken", FAKE_CLOUDFLARE_TOKEN);

    const after = readFileSync(join(p.dir, "Pulumi.acme.yaml"), "utf8");
    assert.deepEqual(commentLines(after), commentLines(text));
    assert.deepEqual(parseStackYaml(after, "after").raw, parseStackYaml(text, "before").raw);
    assert.match(after, /^encryptionsalt: v1:/m);
    for (const fake of FAKES) assert.doesNotMatch(after, new RegExp(fake));
  });
});
