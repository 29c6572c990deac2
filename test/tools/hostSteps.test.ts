// The host-level steps run over SSH (components/core/host/hostSteps.ts), checked with the real
// tools: shellcheck, and the cloud-init wait run for real against stub commands, so a failed
// first boot shows its cause in the error instead of a bare exit status. Also the user data's
// sshd MaxStartups and the absence of admin keys from it.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "@jest/globals";
import { loadStackConfig } from "../../components/core/config/stackFile";
import { cloudInitUserData } from "../../components/core/host/cloudInit";
import { checkedVolumeSize, cloudInitReadyScript, growFilesystemScript } from "../../components/core/host/hostSteps";

const tmp = mkdtempSync(join(tmpdir(), "mailstack-host-steps-"));

function shellcheck(name: string, text: string): void {
  const file = join(tmp, name);
  writeFileSync(file, text);
  const r = spawnSync("shellcheck", ["-s", "sh", file], { encoding: "utf8" });
  assert.equal(r.status, 0, `${name}:\n${r.stdout}${r.stderr}`);
}

/** A PATH with stub commands: each prints its canned output and exits with its code. */
function stubs(name: string, commands: Record<string, string>): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [cmd, body] of Object.entries(commands)) {
    writeFileSync(join(dir, cmd), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, cmd), 0o755);
  }
  return dir;
}

const readyBoot = {
  "cloud-init": 'if [ "$1 $2" = "status --wait" ]; then exit 0; fi; echo "status: done"',
  mountpoint: "exit 0",
  docker: "exit 0",
};

describe("cloud-init wait", () => {
  it("passes shellcheck", () => shellcheck("ready.sh", cloudInitReadyScript("/srv/mail")));

  it("succeeds quietly once cloud-init is done, the volume mounted and Docker answering", () => {
    const path = stubs("ready", readyBoot);
    const r = spawnSync("sh", ["-s"], { input: cloudInitReadyScript("/srv/mail"), encoding: "utf8", env: { PATH: `${path}:/usr/bin:/bin` } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "");
  });

  it("fails with cloud-init's long status and the end of its output log when the first boot failed", () => {
    const path = stubs("failed", {
      ...readyBoot,
      "cloud-init": [
        'if [ "$1 $2" = "status --wait" ]; then exit 1; fi',
        'if [ "$1 $2" = "status --long" ]; then echo "status: error"; echo "errors: package_update_upgrade_install failed"; exit 1; fi',
        'echo "status: error"; exit 1',
      ].join("\n"),
      tail: 'echo "E: Unable to locate package docker.io"',
    });
    const r = spawnSync("sh", ["-s"], { input: cloudInitReadyScript("/srv/mail"), encoding: "utf8", env: { PATH: `${path}:/usr/bin:/bin` } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cloud-init did not finish cleanly/);
    assert.match(r.stderr, /errors: package_update_upgrade_install failed/);
    assert.match(r.stderr, /E: Unable to locate package docker\.io/);
  });

  it("says which of the volume or Docker is missing", () => {
    const noVolume = stubs("no-volume", { ...readyBoot, mountpoint: "exit 1", lsblk: 'echo "sdb 50G"' });
    const r1 = spawnSync("sh", ["-s"], { input: cloudInitReadyScript("/srv/mail"), encoding: "utf8", env: { PATH: `${noVolume}:/usr/bin:/bin` } });
    assert.equal(r1.status, 1);
    assert.match(r1.stderr, /\/srv\/mail is not mounted; block devices:\nsdb 50G/);
    const noDocker = stubs("no-docker", { ...readyBoot, docker: "exit 1", systemctl: 'echo "docker.service: failed"' });
    const r2 = spawnSync("sh", ["-s"], { input: cloudInitReadyScript("/srv/mail"), encoding: "utf8", env: { PATH: `${noDocker}:/usr/bin:/bin` } });
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /Docker does not answer:\ndocker\.service: failed/);
  });
});

describe("volume growth", () => {
  it("grows the filesystem on the volume's stable device path (shellcheck-clean)", () => {
    const script = growFilesystemScript(4242);
    shellcheck("grow.sh", script);
    assert.match(script, /readlink -f '\/dev\/disk\/by-id\/scsi-0HC_Volume_4242'/);
    assert.match(script, /resize2fs "\$dev"/);
    assert.throws(() => growFilesystemScript("42; rm -rf /"), /not numeric/);
  });

  it("accepts the same or a larger size and refuses a smaller one with the current size", () => {
    assert.equal(checkedVolumeSize(50, undefined), 50, "no volume yet");
    assert.equal(checkedVolumeSize(50, 50), 50);
    assert.equal(checkedVolumeSize(80, 50), 80);
    assert.throws(() => checkedVolumeSize(40, 50), /mailstack:server\.volumeSizeGb: 40 is smaller than the mail volume's current 50 GB; Hetzner volumes can only grow/);
  });
});

describe("user data", () => {
  const key = (() => {
    const file = join(tmp, "host_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", file]);
    return { priv: readFileSync(file, "utf8"), pub: readFileSync(`${file}.pub`, "utf8") };
  })();
  const text = cloudInitUserData(loadStackConfig("prod"), { hostKeyPrivateOpenssh: key.priv, hostKeyPublicOpenssh: key.pub, volumeId: 4242, ipv6Address: "2001:db8:4:5::1" });

  it("lets sshd accept the burst of connections after cloud-init, and reloads it", () => {
    assert.match(text, /path: \/etc\/ssh\/sshd_config\.d\/mailstack\.conf\n(?:.*\n){3}\s+MaxStartups 50:30:100\n/);
    assert.match(text, /- \[systemctl, try-reload-or-restart, ssh\.service\]/);
  });

  it("carries no admin key: a rebuilt server boots with the first deploy's user data", () => {
    for (const k of loadStackConfig("prod").ssh.adminKeys) assert.ok(!text.includes(k.split(" ")[1]), k);
    assert.doesNotMatch(text, /ssh_authorized_keys/);
  });
});
