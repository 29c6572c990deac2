// `npm run mailbox -- reset-password`: names the right resource, checks the mailbox exists, runs
// pulumi only when asked to, and reports a failed pulumi up as a failure.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "@jest/globals";
import { stackFilePath } from "../../components/core/config/stackFile";
import { mailboxMain } from "../../tools/mailbox/cli";
import { systemPulumi } from "../../tools/pulumiCli";
import { fakePulumi } from "./fakePulumi";

const URN = "urn:pulumi:acme::mailstack::mailstack:index:MailStack$mailstack:index:Mailboxes$random:index/randomPassword:RandomPassword::mailbox-password-alice@example.com";

function setup(rules: Parameters<typeof fakePulumi>[0] = []) {
  const root = mkdtempSync(join(tmpdir(), "mailbox-"));
  copyFileSync(stackFilePath("prod"), stackFilePath("acme", root));
  const fake = fakePulumi(rules);
  const lines: string[] = [];
  const run = (...argv: string[]) => mailboxMain(argv, { root, pulumi: systemPulumi(root, fake.env), out: (l) => lines.push(l) });
  return { run, lines, fake };
}

describe("npm run mailbox -- reset-password", () => {
  it("prints the pulumi up --replace of the mailbox's password and runs nothing", () => {
    const { run, lines, fake } = setup();
    assert.equal(run("reset-password", "Alice@Example.com", "--stack", "acme"), 0);
    const text = lines.join("\n");
    assert.ok(text.includes(`pulumi up --stack acme --policy-pack policy --replace '${URN}'`), text);
    assert.match(text, /pulumi stack output --stack acme --show-secrets mailboxPasswords/);
    assert.deepEqual(fake.calls(), []);
  });

  it("with --run, runs exactly that pulumi up (org-qualified) and fails when it fails", () => {
    const ok = setup();
    assert.equal(ok.run("reset-password", "alice@example.com", "--stack", "acme", "--org", "ops", "--run"), 0);
    assert.deepEqual(ok.fake.calls().filter((c) => c[0] === "up"), [["up", "--stack", "ops/acme", "--policy-pack", "policy", "--replace", URN]]);
    const bad = setup([{ when: ["up"], code: 255, stderr: "error: update failed\n" }]);
    assert.equal(bad.run("reset-password", "alice@example.com", "--stack", "acme", "--run"), 1);
    assert.match(bad.lines.join("\n"), /was not reset/);
  });

  it("refuses an alias, an unknown address and an unknown stack, naming the fix", () => {
    const { run } = setup();
    assert.throws(() => run("reset-password", "a.example@example.com", "--stack", "acme"), /alias of the mailbox alice@example\.com/);
    assert.throws(() => run("reset-password", "nobody@example.com", "--stack", "acme"), /not a mailbox of stack acme; its mailboxes are alice@example\.com/);
    assert.throws(() => run("reset-password", "alice@example.com", "--stack", "beta"), /no stack file .*Pulumi\.beta\.yaml/);
    assert.throws(() => run("reset", "alice@example.com", "--stack", "acme"), /unknown command "reset"/);
  });
});
