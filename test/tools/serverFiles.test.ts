// The files the VM runs, checked with the real tools: cloud-init's schema validator, shellcheck
// for every shell script (including the generated push and build scripts), the push script run
// for real in a temp folder, and the image Dockerfiles pinned to the package versions these
// tests run.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cloudInitUserData } from "../../components/core/cloudInit";
import { loadStackConfig } from "../../components/core/stackFile";
import { FILES_DIR } from "../../components/core/template";
import { productionTopology } from "../../components/core/topology";
import { BUILT_IMAGES, imageBuildPlan } from "../../components/core/imageBuild";
import { pushScript } from "../../components/core/pushScript";

const tmp = mkdtempSync(join(tmpdir(), "mailstack-server-files-"));

function hostKey(): { priv: string; pub: string } {
  const file = join(tmp, "host_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", file]);
  return { priv: readFileSync(file, "utf8"), pub: readFileSync(`${file}.pub`, "utf8") };
}

function shellcheck(file: string): void {
  const r = spawnSync("shellcheck", ["-s", "sh", file], { encoding: "utf8" });
  assert.equal(r.status, 0, `${file}:\n${r.stdout}${r.stderr}`);
}

describe("cloud-init user data", () => {
  it("passes cloud-init schema and sets up Docker without the userland proxy on the volume", () => {
    const key = hostKey();
    const text = cloudInitUserData(loadStackConfig("prod"), { hostKeyPrivateOpenssh: key.priv, hostKeyPublicOpenssh: key.pub, volumeId: 4242, ipv6Address: "2001:db8:4:5::1" });
    const file = join(tmp, "user-data.yaml");
    writeFileSync(file, text);
    const r = spawnSync("cloud-init", ["schema", "-c", file], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(text, /"userland-proxy": false/);
    assert.match(text, /\/dev\/disk\/by-id\/scsi-0HC_Volume_4242/);
    assert.match(text, /ed25519_public: ssh-ed25519 /);
  });
});

describe("shell scripts", () => {
  it("pass shellcheck: cloud-init helper, image entrypoints, generated build scripts", () => {
    shellcheck(join(FILES_DIR, "cloud-init", "ipv6-egress.sh"));
    for (const svc of readdirSync(join(FILES_DIR, "images"))) shellcheck(join(FILES_DIR, "images", svc, "entrypoint.sh"));
    for (const svc of BUILT_IMAGES) {
      const f = join(tmp, `build-${svc}.sh`);
      writeFileSync(f, imageBuildPlan(svc, productionTopology).script);
      shellcheck(f);
    }
  });

  it("push script writes files byte-exact with their modes and removes files no longer rendered", () => {
    const dir = join(tmp, "config-postfix");
    const files = [
      { service: "postfix" as const, path: "main.cf", content: "myhostname = mail.example.com\n", mode: 0o644, secret: false },
      { service: "postfix" as const, path: "pgsql/recipients.cf", content: "password = x'y\"z\nno newline", mode: 0o640, secret: true },
    ];
    const first = join(tmp, "push1.sh");
    writeFileSync(first, pushScript("postfix", files, { uid: 0, gid: 0 }, dir));
    shellcheck(first);
    execFileSync("sh", [first]);
    assert.equal(readFileSync(join(dir, "pgsql/recipients.cf"), "utf8"), files[1].content);
    assert.equal(statSync(join(dir, "pgsql/recipients.cf")).mode & 0o777, 0o640);
    assert.equal(statSync(join(dir, "main.cf")).mode & 0o777, 0o644);
    execFileSync("sh", ["-s"], { input: pushScript("postfix", [files[0]], { uid: 0, gid: 0 }, dir) });
    assert.throws(() => statSync(join(dir, "pgsql/recipients.cf")), /ENOENT/);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith(".")), [], "no temp file left behind");
  });
});

describe("image Dockerfiles", () => {
  it("pin the Debian package versions the end-to-end tests run", () => {
    const pins: [string, string, string][] = [
      ["postfix", "POSTFIX_VERSION", "postfix"],
      ["dovecot", "DOVECOT_VERSION", "dovecot-core"],
      ["rspamd", "RSPAMD_VERSION", "rspamd"],
    ];
    for (const [image, arg, pkg] of pins) {
      const dockerfile = readFileSync(join(FILES_DIR, "images", image, "Dockerfile"), "utf8");
      const pinned = new RegExp(`^ARG ${arg}=(\\S+)$`, "m").exec(dockerfile)?.[1];
      const installed = execFileSync("dpkg-query", ["-W", "-f=${Version}", pkg], { encoding: "utf8" });
      assert.equal(pinned, installed, `${image}/Dockerfile ${arg} vs installed ${pkg}`);
      assert.match(dockerfile, /^FROM debian:bookworm-slim$/m);
    }
  });
});
