// Restoring .pulumi-ssh/<stack>/ in a fresh clone, CI or the fleet tool: scripts/restore-ssh-access.sh
// run against a fake `pulumi` CLI (stack with outputs, stack without outputs, no stack at all),
// the fleet tool's Automation API variant on a fake output map, and both workflows calling the
// script before their Pulumi step.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { restoreSshAccess } from "../../tools/fleet/workspace";

const ROOT = join(__dirname, "..", "..");
const SCRIPT = join(ROOT, "scripts", "restore-ssh-access.sh");
const LABEL = "OPENSSH PRIVATE KEY";
const KEY = `-----BEGIN ${LABEL}-----\nb3BlbnNzaC1rZXktdjEAAAAAtestkeymaterial\n-----END ${LABEL}-----`;
const HOSTS = "203.0.113.10 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItest";

/** A copy of the repository layout the script expects, with a fake pulumi on PATH. */
function run(mode: "ok" | "no-outputs" | "no-stack", stack = "acme") {
  const repo = mkdtempSync(join(tmpdir(), "mailstack-restore-"));
  mkdirSync(join(repo, "scripts"));
  mkdirSync(join(repo, "bin"));
  copyFileSync(SCRIPT, join(repo, "scripts", "restore-ssh-access.sh"));
  const fake = join(repo, "bin", "pulumi");
  writeFileSync(
    fake,
    [
      "#!/bin/sh",
      `echo "$*" >> '${join(repo, "argv")}'`,
      `if [ "$FAKE_MODE" = no-stack ]; then echo "error: no stack named 'acme' found" >&2; exit 255; fi`,
      'case "$*" in',
      "  *--json*) echo '{}' ;;",
      `  *sshKnownHosts*) if [ "$FAKE_MODE" = no-outputs ]; then echo "error: current stack does not have output property 'sshKnownHosts'" >&2; exit 255; fi; echo '${HOSTS}' ;;`,
      `  *deployPrivateKey*) printf '%s\\n' "$FAKE_KEY" ;;`,
      "esac",
    ].join("\n") + "\n",
  );
  chmodSync(fake, 0o755);
  const r = spawnSync("bash", [join(repo, "scripts", "restore-ssh-access.sh"), stack], {
    encoding: "utf8",
    env: { PATH: `${join(repo, "bin")}:${process.env.PATH}`, FAKE_MODE: mode, FAKE_KEY: KEY },
  });
  return { repo, r };
}

describe("scripts/restore-ssh-access.sh", () => {
  it("passes shellcheck", () => {
    execFileSync("shellcheck", [SCRIPT]);
  });

  it("writes the deploy key and known_hosts 0600 from the stack outputs, never printing the key", () => {
    const { repo, r } = run("ok", "my-org/acme");
    assert.equal(r.status, 0, r.stderr);
    const dir = join(repo, ".pulumi-ssh", "acme");
    assert.equal(readFileSync(join(dir, "deploy_key"), "utf8"), `${KEY}\n`);
    assert.equal(readFileSync(join(dir, "known_hosts"), "utf8"), `${HOSTS}\n`);
    for (const f of ["deploy_key", "known_hosts"]) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.ok(!(r.stdout + r.stderr).includes("testkeymaterial"), "the key is never echoed");
    assert.ok(readFileSync(join(repo, "argv"), "utf8").includes("--stack my-org/acme --show-secrets deployPrivateKey"));
  });

  for (const mode of ["no-outputs", "no-stack"] as const) {
    it(`exits 0 and says so when there is nothing to restore (${mode}: first deploy)`, () => {
      const { repo, r } = run(mode);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /first deploy/);
      assert.equal(existsSync(join(repo, ".pulumi-ssh", "acme", "deploy_key")), false);
    });
  }

  it("refuses a stack name that is not a folder name", () => {
    assert.equal(run("ok", "my org/ac me").r.status, 2);
  });
});

describe("the fleet tool's restore from Automation API outputs", () => {
  it("writes both files 0600, or nothing when the outputs do not exist yet", () => {
    const work = mkdtempSync(join(tmpdir(), "mailstack-fleet-restore-"));
    assert.equal(restoreSshAccess(work, "beta", {}), false);
    assert.equal(existsSync(join(work, ".pulumi-ssh")), false);
    const ok = restoreSshAccess(work, "beta", { deployPrivateKey: { value: KEY, secret: true }, sshKnownHosts: { value: HOSTS, secret: false } });
    assert.equal(ok, true);
    const dir = join(work, ".pulumi-ssh", "beta");
    assert.equal(readFileSync(join(dir, "deploy_key"), "utf8"), `${KEY}\n`);
    assert.equal(readFileSync(join(dir, "known_hosts"), "utf8"), `${HOSTS}\n`);
    for (const f of ["deploy_key", "known_hosts"]) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
  });
});

describe("workflows", () => {
  for (const f of ["preview.yml", "deploy.yml"]) {
    it(`${f} restores the SSH files for the matrix stack before the Pulumi step`, () => {
      const wf = parse(readFileSync(join(ROOT, ".github", "workflows", f), "utf8")) as { jobs: Record<string, { steps?: { uses?: string; run?: string }[] }> };
      const steps = Object.values(wf.jobs).flatMap((j) => j.steps ?? []);
      const restore = steps.findIndex((s) => /bash scripts\/restore-ssh-access\.sh "\$STACK"/.test(s.run ?? ""));
      const pulumi = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
      assert.ok(restore >= 0 && restore < pulumi, `restore at ${restore}, pulumi at ${pulumi}`);
    });
  }
});
