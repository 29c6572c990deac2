// Restoring .pulumi-ssh/<stack>/ from a stack's outputs against the real Pulumi CLI, offline:
// scripts/restore-ssh-access.sh (what CI runs before every preview and up) and the fleet tool's
// Automation API path, for a stack that does not exist (an error), one without outputs, and one whose
// outputs were imported as a deployment (the secret key given in plain text, which the CLI
// encrypts on import: the same state a first `pulumi up` leaves). test/tools/restoreSshAccess
// runs the same script against a fake CLI; this checks that fake's messages and formats.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe } from "@jest/globals";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { REPO_ROOT } from "../../components/core/paths";
import { offlineProject, PULUMI_CACHE, type OfflineProject } from "../../tools/engine/offlineCli";
import { restoreSshAccess } from "../../tools/fleet/workspace";
import { engineIt, scratchDir } from "./guard";

const LABEL = "OPENSSH PRIVATE KEY";
const KEY = `-----BEGIN ${LABEL}-----\nb3BlbnNzaC1rZXktdjEAAAAAofflinetestkey\n-----END ${LABEL}-----\n`;
const HOSTS = "203.0.113.10 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIofflinetesthostkey";
// The sentinel "secret" marker of Pulumi's state format; `plaintext` is encrypted by the import.
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270";

function project(): OfflineProject {
  const p = offlineProject(scratchDir(), []);
  // The script works in the folder above its own: here, the scratch project.
  mkdirSync(join(p.dir, "scripts"));
  copyFileSync(join(REPO_ROOT, "scripts", "restore-ssh-access.sh"), join(p.dir, "scripts", "restore-ssh-access.sh"));
  return p;
}

function initWithOutputs(p: OfflineProject, stack: string): void {
  assert.equal(p.run(["stack", "init", stack, "--secrets-provider", "passphrase"]).status, 0);
  const exported = JSON.parse(p.run(["stack", "export", "--stack", stack]).stdout) as {
    deployment: Record<string, unknown>;
  };
  exported.deployment.resources = [
    {
      urn: `urn:pulumi:${stack}::mailstack::pulumi:pulumi:Stack::mailstack-${stack}`,
      custom: false,
      type: "pulumi:pulumi:Stack",
      outputs: {
        sshKnownHosts: HOSTS,
        deployPrivateKey: { [SECRET_SIG]: SECRET_VALUE_SIG, plaintext: JSON.stringify(KEY) },
      },
    },
  ];
  const file = join(p.dir, "..", "deployment.json");
  writeFileSync(file, JSON.stringify(exported), { mode: 0o600 });
  const r = p.run(["stack", "import", "--stack", stack, "--file", file]);
  assert.equal(r.status, 0, r.stderr);
}

function restore(p: OfflineProject, stack: string) {
  return spawnSync("bash", [join(p.dir, "scripts", "restore-ssh-access.sh"), stack], { env: p.env, encoding: "utf8" });
}

describe("restoring SSH access from the real CLI's stack outputs", () => {
  // A missing stack is an error, not a first deploy (the script's rule since "only a stack with no
  // outputs at all is a first deploy"): the CLI's own message and how to create the stack.
  engineIt("fails loudly, with the CLI's message, for a stack that does not exist", () => {
    const p = project();
    const r = restore(p, "acme");
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /cannot read the outputs of stack acme: error: no stack named 'acme' found.*pulumi stack init acme/);
    assert.equal(existsSync(join(p.dir, ".pulumi-ssh", "acme")), false);
  });

  engineIt("is nothing to do for a stack without outputs (before its first up)", () => {
    const p = project();
    assert.equal(p.run(["stack", "init", "acme", "--secrets-provider", "passphrase"]).status, 0);
    const r = restore(p, "acme");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /stack acme has no outputs yet \(first deploy\)/);
    assert.equal(existsSync(join(p.dir, ".pulumi-ssh", "acme")), false);
  });

  engineIt("writes the deploy key and known_hosts 0600 from a deployed stack, never printing the key", () => {
    const p = project();
    initWithOutputs(p, "acme");
    const shown = p.run(["stack", "output", "--stack", "acme", "--json"]);
    assert.match(shown.stdout, /"deployPrivateKey": "\[secret\]"/, "the import stored the key as a secret");
    const r = restore(p, "acme");
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /offlinetestkey/);
    const dir = join(p.dir, ".pulumi-ssh", "acme");
    // `pulumi stack output` ends the value with a newline of its own, so a key that ends in one
    // (tls.PrivateKey's does) is followed by a blank line; OpenSSH reads such a file (checked with
    // ssh-keygen -y). The fleet path below writes the key exactly.
    assert.equal(readFileSync(join(dir, "deploy_key"), "utf8"), `${KEY}\n`);
    assert.equal(readFileSync(join(dir, "known_hosts"), "utf8"), `${HOSTS}\n`);
    for (const f of ["deploy_key", "known_hosts"]) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
  });

  engineIt("gives the fleet tool's Automation API path the same files", async () => {
    const p = project();
    initWithOutputs(p, "acme");
    const pulumiCommand = await PulumiCommand.get({ root: PULUMI_CACHE });
    const stack = await LocalWorkspace.selectStack({ stackName: "acme", workDir: p.dir }, { pulumiCommand, envVars: p.env });
    const outputs = await stack.outputs();
    assert.equal(outputs.deployPrivateKey?.secret, true);
    const work = scratchDir();
    assert.equal(restoreSshAccess(work, "acme", outputs), true);
    assert.equal(readFileSync(join(work, ".pulumi-ssh", "acme", "deploy_key"), "utf8"), KEY);
    assert.equal(readFileSync(join(work, ".pulumi-ssh", "acme", "known_hosts"), "utf8"), `${HOSTS}\n`);
  });
});
