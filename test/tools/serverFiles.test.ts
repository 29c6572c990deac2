// The files the VM runs, checked with the real tools: cloud-init's schema validator, shellcheck
// for every shell script (including the generated push, build, database setup and certificate
// hook scripts), the push script, the image entrypoints' config copy, the database setup and the
// hook installer run for real in a temp folder (with stub docker/systemctl/daemons), the hook's
// systemd units through systemd-analyze, and the image Dockerfiles: built only from our own base,
// never pinning a package revision, and every package they install recorded in packages.lock.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "@jest/globals";
import { cloudInitUserData } from "../../components/core/host/cloudInit";
import { loadStackConfig } from "../../components/core/config/stackFile";

import { productionTopology } from "../../components/core/topology";
import { dockerfilePackages } from "../../components/core/containers/debianIndex";
import { IMAGES_DIR, imagePlans, PACKAGE_LOCK_FILE, SERVICE_IMAGES, TEST_IMAGES, vmImageBuildScript } from "../../components/core/containers/images";
import { parsePackageLock } from "../../components/core/containers/packageLock";
import { pushScript } from "../../components/core/remote/pushScript";
import { databaseSetupScript } from "../../components/core/remote/databaseSetup";
import { CERT_SYNC_UNIT, certSyncFiles } from "../../components/core/remote/certSync";
import { FILES_DIR } from "../../components/core/paths";

const tmp = mkdtempSync(join(tmpdir(), "mailstack-server-files-"));

function hostKey(): { priv: string; pub: string } {
  const file = join(tmp, "host_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", file]);
  return { priv: readFileSync(file, "utf8"), pub: readFileSync(`${file}.pub`, "utf8") };
}

function shellcheck(file: string): void {
  // As the script's own first line says: most are POSIX sh, the backup image's are bash.
  const shell = readFileSync(file, "utf8").startsWith("#!/bin/bash") ? "bash" : "sh";
  const r = spawnSync("shellcheck", ["-s", shell, file], { encoding: "utf8" });
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
    const images = [...readdirSync(IMAGES_DIR)].filter((d) => existsSync(join(IMAGES_DIR, d, "entrypoint.sh")));
    // Every image but the base runs our entrypoint; a missing one would fall back to the package's.
    assert.deepEqual(images.sort(), [...SERVICE_IMAGES, ...TEST_IMAGES].sort());
    for (const svc of images) shellcheck(join(IMAGES_DIR, svc, "entrypoint.sh"));
    const plans = imagePlans(productionTopology);
    for (const svc of ["base" as const, ...SERVICE_IMAGES]) {
      const f = join(tmp, `build-${svc}.sh`);
      writeFileSync(f, vmImageBuildScript(plans, svc, "/srv/mail/build"));
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
    writeFileSync(first, pushScript("postfix", files, { uid: 0, gid: 0 }, { dir }));
    shellcheck(first);
    execFileSync("sh", [first]);
    assert.equal(readFileSync(join(dir, "pgsql/recipients.cf"), "utf8"), files[1].content);
    assert.equal(statSync(join(dir, "pgsql/recipients.cf")).mode & 0o777, 0o640);
    assert.equal(statSync(join(dir, "main.cf")).mode & 0o777, 0o644);
    execFileSync("sh", ["-s"], { input: pushScript("postfix", [files[0]], { uid: 0, gid: 0 }, { dir }) });
    assert.throws(() => statSync(join(dir, "pgsql/recipients.cf")), /ENOENT/);
    // Copied into this file's realm: Jest runs tests in a vm context, so an array from Node's own
    // fs has another Array prototype, which node:assert's strict deepEqual would call a difference.
    assert.deepEqual([...readdirSync(dir)].filter((f) => f.startsWith(".")), [], "no temp file left behind");
  });

  it("push script installs nothing when the daemon's checker rejects the new files", () => {
    const dir = join(tmp, "config-dovecot");
    const old = { service: "dovecot" as const, path: "dovecot.conf", content: "# the running configuration\n", mode: 0o644, secret: false };
    execFileSync("sh", ["-s"], { input: pushScript("dovecot", [old], { uid: 0, gid: 0 }, { dir }) });
    // A stand-in docker whose `run ... check` fails as doveconf would, naming the line.
    const bin = stubs({ docker: 'echo "doveconf: Fatal: Error in configuration file /config/dovecot.conf line 1: Unknown setting: bogus" >&2; exit 89' });
    const next = { ...old, content: "bogus = yes\n" };
    const script = pushScript("dovecot", [next], { uid: 0, gid: 0 }, { dir, check: { imageTag: "mailstack/dovecot:0123456789ab", configDir: "/config" } });
    const r = spawnSync("sh", ["-s"], { input: script, encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Unknown setting: bogus/);
    assert.match(r.stderr, /dovecot rejects the new configuration .*the running configuration is unchanged/);
    assert.equal(readFileSync(join(dir, "dovecot.conf"), "utf8"), old.content);
    assert.equal(existsSync(`${dir}.staging`), true, "the rejected files stay staged for the operator to read");
  });
});

describe("image Dockerfiles", () => {
  it("build only FROM our own base (no registry image) and pin no Debian package revision", () => {
    for (const image of ["base", ...SERVICE_IMAGES, ...TEST_IMAGES]) {
      const dockerfile = readFileSync(join(IMAGES_DIR, image, "Dockerfile"), "utf8");
      const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
      assert.deepEqual(froms, [image === "base" ? "${ROOTFS}" : "${BASE}"], `${image}/Dockerfile FROM`);
      // "pkg=1.2-3" in an install line, or a *_VERSION build arg with a value.
      assert.doesNotMatch(dockerfile.replace(/\\\n/g, " "), /apt-get\s+install[^;&|]*\s[a-z0-9.+-]+=\S/, `${image}/Dockerfile pins a package version`);
      assert.doesNotMatch(dockerfile, /^ARG\s+\w*VERSION=/m, `${image}/Dockerfile pins a version`);
    }
    // Every ARG a Dockerfile declares is provided: imagePlans throws otherwise.
    assert.doesNotThrow(() => imagePlans(productionTopology));
  });

  it("record every package they install in packages.lock (run npm run images -- update after changing one)", () => {
    const lock = parsePackageLock(readFileSync(PACKAGE_LOCK_FILE, "utf8"));
    const base = new Set(Object.keys(lock.packages.base ?? {}));
    for (const image of ["base", ...SERVICE_IMAGES, ...TEST_IMAGES]) {
      const section = lock.packages[image];
      assert.ok(section !== undefined, `packages.lock has no [${image}] section`);
      const named = dockerfilePackages(readFileSync(join(IMAGES_DIR, image, "Dockerfile"), "utf8"));
      const missing = named.filter((p) => section[p] === undefined && !base.has(p));
      assert.deepEqual(missing, [], `${image}/Dockerfile installs packages packages.lock does not record`);
    }
  });
});

/** A folder of executables that stand in for docker, systemctl or a daemon: each logs its argv. */
function stubs(names: Record<string, string>): string {
  const dir = mkdtempSync(join(tmp, "bin-"));
  for (const [name, body] of Object.entries(names)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}


/** `it`, or, when this machine cannot run the test, `it.skip` with the reason in the test's name. */
const itUnless = (reason: string | false) => (name: string, fn: () => void) =>
  reason === false ? it(name, fn) : it.skip(`${name} [skipped: ${reason}]`, fn);

describe("database setup command", () => {
  function setup(readyAfter: number, timeoutSeconds: number) {
    const root = mkdtempSync(join(tmp, "db-"));
    // roles.sql without a final newline: the \connect must still be a line of its own.
    writeFileSync(join(root, "roles.sql"), "-- roles\nALTER ROLE mailserver PASSWORD 'x';");
    writeFileSync(join(root, "schema.sql"), "CREATE TABLE IF NOT EXISTS domains (name text);\n");
    const bin = stubs({
      docker: [
        `case "$*" in`,
        `  *pg_isready*) n=$(cat '${root}/tries' 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > '${root}/tries'; [ "$n" -ge ${readyAfter} ] ;;`,
        `  *psql*) echo "$*" > '${root}/psql-args'; cat > '${root}/psql-stdin' ;;`,
        `esac`,
      ].join("\n"),
    });
    const script = databaseSetupScript(productionTopology, { container: "postgres", configDir: root, timeoutSeconds, pollSeconds: 1 });
    const file = join(root, "setup.sh");
    writeFileSync(file, script);
    shellcheck(file);
    const r = spawnSync("sh", [file], { input: "BEGIN;\nINSERT INTO domains VALUES ('example.com');\nCOMMIT;\n", encoding: "utf8", env: { PATH: `${bin}:${process.env.PATH}` } });
    return { root, r };
  }

  it("waits until PostgreSQL answers, then feeds roles, \\connect mail, schema and the sync SQL to psql as postgres", () => {
    const { root, r } = setup(2, 30);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(root, "tries"), "utf8").trim(), "2");
    assert.match(readFileSync(join(root, "psql-args"), "utf8"), /^exec -i -u postgres postgres psql .*-v ON_ERROR_STOP=1 -d postgres$/m);
    assert.equal(
      readFileSync(join(root, "psql-stdin"), "utf8"),
      "-- roles\nALTER ROLE mailserver PASSWORD 'x';\n\\connect mail\nCREATE TABLE IF NOT EXISTS domains (name text);\n\nBEGIN;\nINSERT INTO domains VALUES ('example.com');\nCOMMIT;\n",
    );
  });

  it("gives up after the timeout with a message, without running psql", () => {
    const { root, r } = setup(1000, 2);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /did not accept connections within 2s/);
    assert.equal(existsSync(join(root, "psql-args")), false);
  });
});

describe("certificate hook units", () => {
  const certs = [
    { name: "mail", names: ["mail.example.com"] },
    { name: "web-example.com", names: ["mta-sts.example.com", "autoconfig.example.com", "autodiscover.example.com"] },
  ];

  it("install the script, service and timer, enable the timer and run the hook once", () => {
    const root = mkdtempSync(join(tmp, "certsync-"));
    const units = join(root, "units");
    const scriptPath = join(root, "bin", "sync-certs.sh");
    const plan = certSyncFiles(certs, { unitDir: units, scriptPath, tlsDir: join(root, "tls") });
    const file = join(root, "install.sh");
    writeFileSync(file, plan.script);
    shellcheck(file);
    const bin = stubs({ systemctl: `echo "$*" >> '${join(root, "calls")}'` });
    execFileSync("sh", [file], { env: { PATH: `${bin}:${process.env.PATH}` } });
    assert.equal(readFileSync(scriptPath, "utf8"), readFileSync(join(FILES_DIR, "tls", "sync-certs.sh"), "utf8"));
    assert.equal(statSync(scriptPath).mode & 0o777, 0o755);
    assert.deepEqual(readFileSync(join(root, "calls"), "utf8").trim().split("\n"), [
      "daemon-reload",
      `enable --now ${CERT_SYNC_UNIT}.timer`,
      `start ${CERT_SYNC_UNIT}.service`,
    ]);
    const service = readFileSync(join(units, `${CERT_SYNC_UNIT}.service`), "utf8");
    assert.match(service, /^Environment="CERTIFICATES=mail=mail\.example\.com web-example\.com=mta-sts\.example\.com,autoconfig\.example\.com,autodiscover\.example\.com"$/m);
    assert.match(service, /^ExecStart=\/bin\/bash \/srv\/mail\/bin\/sync-certs\.sh$/m);
    assert.match(service, /^Type=oneshot$/m);
    assert.match(readFileSync(join(units, `${CERT_SYNC_UNIT}.timer`), "utf8"), /^OnUnitActiveSec=5min$/m);
    // Another certificate list is a different hash: the command reruns and rewrites the service.
    assert.notEqual(certSyncFiles(certs.slice(0, 1), { unitDir: units, scriptPath }).contentHash, plan.contentHash);
  });

  it("fail the deploy when the first run leaves a certificate missing, not when only a reload failed", () => {
    const root = mkdtempSync(join(tmp, "certsync-fail-"));
    const tls = join(root, "tls");
    const file = join(root, "install.sh");
    writeFileSync(file, certSyncFiles(certs, { unitDir: join(root, "units"), scriptPath: join(root, "sync-certs.sh"), tlsDir: tls }).script);
    const bin = stubs({ systemctl: 'case "$1" in start) exit 1 ;; esac' });
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const none = spawnSync("sh", [file], { env, encoding: "utf8" });
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /lacks a certificate/);
    mkdirSync(join(tls, "mail"), { recursive: true });
    writeFileSync(join(tls, "mail", "fullchain.pem"), "cert");
    writeFileSync(join(tls, "mail", "privkey.pem"), "key");
    const oneMissing = spawnSync("sh", [file], { env, encoding: "utf8" });
    assert.notEqual(oneMissing.status, 0, "the domain's certificate is still missing");
    mkdirSync(join(tls, "web-example.com"));
    writeFileSync(join(tls, "web-example.com", "fullchain.pem"), "cert");
    writeFileSync(join(tls, "web-example.com", "privkey.pem"), "key");
    const reloadOnly = spawnSync("sh", [file], { env, encoding: "utf8" });
    assert.equal(reloadOnly.status, 0, reloadOnly.stderr);
    assert.match(reloadOnly.stderr, /every certificate is in place/);
  });

  itUnless(spawnSync("systemd-analyze", ["--version"]).status !== 0 && "systemd-analyze not installed")("pass systemd-analyze verify", () => {
    const units = mkdtempSync(join(tmp, "units-"));
    const plan = certSyncFiles(certs, { unitDir: units });
    for (const f of plan.files.filter((x) => x.path.startsWith(units))) writeFileSync(f.path, f.content);
    const r = spawnSync("systemd-analyze", ["verify", join(units, `${CERT_SYNC_UNIT}.service`), join(units, `${CERT_SYNC_UNIT}.timer`)], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stderr.trim(), "", "no warnings (unknown keys are only warnings)");
  });

  it("refuse a name that could inject into the unit file or the script", () => {
    assert.throws(() => certSyncFiles([{ name: "mail", names: ["mail.example.com\nExecStartPre=/bin/false"] }]), /not a host name/);
    assert.throws(() => certSyncFiles([{ name: "mail\"; reboot", names: ["mail.example.com"] }]), /not a certificate name/);
    assert.throws(() => certSyncFiles([]), /at least one certificate/);
  });
});
