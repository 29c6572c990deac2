// Restoring .pulumi-ssh/<stack>/ in a fresh clone, CI or the fleet tool: scripts/restore-ssh-access.sh
// run against a fake `pulumi` CLI (stack with outputs, stack without outputs, no stack at all),
// the fleet tool's Automation API variant on a fake output map, and both workflows calling the
// script before their Pulumi step.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "@jest/globals";
import { parse } from "yaml";
import { restoreSshAccess } from "../../tools/fleet/workspace";

const ROOT = join(__dirname, "..", "..");
const SCRIPT = join(ROOT, "scripts", "restore-ssh-access.sh");
const LABEL = "OPENSSH PRIVATE KEY";
const KEY = `-----BEGIN ${LABEL}-----\nb3BlbnNzaC1rZXktdjEAAAAAtestkeymaterial\n-----END ${LABEL}-----`;
const HOSTS = "203.0.113.10 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItest";

/** A copy of the repository layout the script expects, with a fake pulumi on PATH. */
type Mode = "ok" | "no-outputs" | "no-stack" | "network" | "auth" | "old-outputs" | "no-cli";
function run(mode: Mode, stack = "acme") {
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
      `if [ "$FAKE_MODE" = network ]; then echo "error: could not reach https://api.pulumi.com: dial tcp: i/o timeout" >&2; exit 255; fi`,
      `if [ "$FAKE_MODE" = auth ]; then echo "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions" >&2; exit 255; fi`,
      'case "$*" in',
      `  *--json*) case "$FAKE_MODE" in no-outputs) echo '{}' ;; old-outputs) echo '{"ipv4": "203.0.113.10"}' ;; *) printf '{\n  "deployPrivateKey": "[secret]",\n  "sshKnownHosts": "${HOSTS}"\n}\n' ;; esac ;;`,
      `  *sshKnownHosts*) echo '${HOSTS}' ;;`,
      `  *deployPrivateKey*) printf '%s\\n' "$FAKE_KEY" ;;`,
      "esac",
    ].join("\n") + "\n",
  );
  chmodSync(fake, 0o755);
  // "no-cli": only the system folders on PATH, none of which holds pulumi.
  const path = mode === "no-cli" ? "/usr/sbin:/usr/bin:/sbin:/bin" : `${join(repo, "bin")}:${process.env.PATH}`;
  const r = spawnSync("bash", [join(repo, "scripts", "restore-ssh-access.sh"), stack], {
    encoding: "utf8",
    env: { PATH: path, FAKE_MODE: mode, FAKE_KEY: KEY },
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

  it("exits 0 and says so only for a stack with no outputs at all (first deploy)", () => {
    const { repo, r } = run("no-outputs");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /no outputs yet \(first deploy\)/);
    assert.equal(existsSync(join(repo, ".pulumi-ssh", "acme", "deploy_key")), false);
  });

  for (const [mode, message] of [
    ["no-stack", /no stack named 'acme' found.*pulumi stack init acme/],
    ["network", /i\/o timeout/],
    ["auth", /PULUMI_ACCESS_TOKEN must be set/],
    ["old-outputs", /has outputs but no sshKnownHosts/],
    ["no-cli", /the pulumi CLI is not on PATH/],
  ] as const) {
    it(`fails loudly, with the cause, on ${mode}`, () => {
      const { repo, r } = run(mode);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stderr, message);
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
    assert.throws(() => restoreSshAccess(work, "beta", { ipv4: { value: "203.0.113.10", secret: false } }), /has outputs but no deployPrivateKey\/sshKnownHosts/);
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
      const pulumi = steps.findIndex((s) => /^pulumi (preview|up) /m.test(s.run ?? ""));
      assert.ok(restore >= 0 && restore < pulumi, `restore at ${restore}, pulumi at ${pulumi}`);
    });
  }
});
