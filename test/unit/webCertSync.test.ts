// The certificate hook (files/tls/sync-certs.sh) as the operator relies on it, run for real with
// fake reload commands: a new server gets a temporary certificate for every name so Postfix,
// Dovecot and nginx can start; certbot's certificate replaces it on the next run with one reload
// of exactly the daemons that use it (Dovecot before Postfix for the mail host's, nginx for any);
// an unchanged certificate reloads nothing; a mismatched pair is never installed; a failed reload
// is retried.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, it } from "@jest/globals";

import { webCertificates } from "../../components/core/containers/certificates";
import { FILES_DIR } from "../../components/core/paths";
import { certHookEnv, certificatesEnv, engineReloads } from "../../components/core/remote/certSync";
import { localTopology, productionTopology } from "../../components/core/topology";
import { tempDir, webTestConfig } from "./webFixture";

const SCRIPT = join(FILES_DIR, "tls", "sync-certs.sh");
const certs = webCertificates(webTestConfig());
const MAIL = certs[0];
const WEB = certs[1];

/** Writes a new certificate and key the way certbot lays them out (live/<name>/ links into archive/). */
function issue(letsencrypt: string, name: string, names: string[], n: number): { cert: string; key: string } {
  const archive = join(letsencrypt, "archive", name);
  const live = join(letsencrypt, "live", name);
  mkdirSync(archive, { recursive: true });
  mkdirSync(live, { recursive: true });
  const cert = join(archive, `fullchain${n}.pem`);
  const key = join(archive, `privkey${n}.pem`);
  const san = names.map((x) => `DNS:${x}`).join(",");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", `/CN=${names[0]}`, "-addext", `subjectAltName=${san}`, "-keyout", key, "-out", cert], { stdio: "ignore" });
  for (const [link, target] of [["fullchain.pem", `fullchain${n}.pem`], ["privkey.pem", `privkey${n}.pem`]]) {
    spawnSync("ln", ["-sfn", `../../archive/${name}/${target}`, join(live, link)]);
  }
  return { cert, key };
}

function serialOf(certFile: string): string {
  return execFileSync("openssl", ["x509", "-in", certFile, "-noout", "-serial"], { encoding: "utf8" }).trim();
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const dir = tempDir("mailstack-certsync-");
  dirs.push(dir);
  const reloads = join(dir, "reloads.log");
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    CERTIFICATES: certificatesEnv(certs),
    LETSENCRYPT_DIR: join(dir, "letsencrypt"),
    TLS_DIR: join(dir, "tls"),
    RELOAD_DOVECOT: `echo dovecot >> '${reloads}'`,
    RELOAD_POSTFIX: `echo postfix >> '${reloads}'`,
    RELOAD_NGINX: `echo nginx >> '${reloads}'`,
  };
  let n = 0;
  const run = (extra: Record<string, string> = {}) => spawnSync("bash", [SCRIPT], { env: { ...env, ...extra }, encoding: "utf8" });
  const reloadLog = () => (existsSync(reloads) ? readFileSync(reloads, "utf8") : "");
  const installed = (name: string) => ({ cert: join(env.TLS_DIR, name, "fullchain.pem"), key: join(env.TLS_DIR, name, "privkey.pem") });
  const issueFor = (c: { name: string; names: string[] }) => issue(env.LETSENCRYPT_DIR, c.name, c.names, ++n);
  return { env, run, reloadLog, installed, issueFor };
}

describe("files/tls/sync-certs.sh", () => {
  it("is shellcheck-clean", () => {
    const r = spawnSync("shellcheck", ["-x", SCRIPT], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it("first boot: a temporary self-signed certificate for every name, key readable by root only, nothing reloaded", () => {
    const t = setup();
    const r = t.run();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.match(/TEMPORARY SELF-SIGNED/g)?.length, certs.length);
    for (const c of certs) {
      const text = execFileSync("openssl", ["x509", "-in", t.installed(c.name).cert, "-noout", "-subject", "-ext", "subjectAltName"], { encoding: "utf8" });
      assert.match(text, new RegExp(`CN ?= ?${c.names[0].replace(/\./g, "\\.")}`));
      for (const name of c.names) assert.ok(text.includes(`DNS:${name}`), `${c.name} lacks ${name}`);
      assert.equal(execFileSync("stat", ["-L", "-c", "%a", t.installed(c.name).key], { encoding: "utf8" }).trim(), "600");
    }
    assert.equal(t.reloadLog(), "", "nothing to reload before the daemons start");
  });

  it("lays each certificate out as relative links, so the containers resolve them under their own mount point", () => {
    const t = setup();
    t.run();
    assert.equal(readlinkSync(t.installed("mail").cert), "current/fullchain.pem");
    assert.match(readlinkSync(join(t.env.TLS_DIR, "mail", "current")), /^sets\/[^/]+$/);
  });

  it("switches to certbot's mail certificate on the next run and reloads Dovecot, then Postfix, then nginx, once each", () => {
    const t = setup();
    t.run();
    const issued = t.issueFor(MAIL);
    const r = t.run();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(serialOf(t.installed("mail").cert), serialOf(issued.cert));
    assert.equal(readFileSync(t.installed("mail").key, "utf8"), readFileSync(issued.key, "utf8"));
    assert.equal(t.reloadLog(), "dovecot\npostfix\nnginx\n");

    const again = t.run();
    assert.equal(again.status, 0, again.stderr);
    assert.equal(t.reloadLog(), "dovecot\npostfix\nnginx\n", "an unchanged certificate must not reload anything");

    const renewed = t.issueFor(MAIL);
    assert.equal(t.run().status, 0);
    assert.equal(serialOf(t.installed("mail").cert), serialOf(renewed.cert));
    assert.equal(t.reloadLog(), "dovecot\npostfix\nnginx\n".repeat(2));
  });

  it("a domain's web certificate reloads nginx only, and leaves the other names alone", () => {
    const t = setup();
    t.run();
    const mailBefore = serialOf(t.installed("mail").cert);
    const issued = t.issueFor(WEB);
    const r = t.run();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(serialOf(t.installed(WEB.name).cert), serialOf(issued.cert));
    assert.equal(serialOf(t.installed("mail").cert), mailBefore);
    assert.equal(t.reloadLog(), "nginx\n");
  });

  it("never installs a certificate whose key does not match, and still handles the other names", () => {
    const t = setup();
    const first = t.issueFor(MAIL);
    t.run();
    const other = issue(join(t.env.LETSENCRYPT_DIR, "..", "elsewhere"), "x", MAIL.names, 1);
    writeFileSync(first.cert, readFileSync(other.cert));
    const web = t.issueFor(WEB);
    const r = t.run();
    assert.equal(r.status, 1);
    assert.match(r.stderr, /mail: certificate and key in .* do not match/);
    assert.notEqual(serialOf(t.installed("mail").cert), serialOf(other.cert), "the working certificate stays");
    assert.equal(serialOf(t.installed(WEB.name).cert), serialOf(web.cert));
  });

  it("retries a failed reload on the next run even though the files no longer change", () => {
    const t = setup();
    t.run();
    t.issueFor(MAIL);
    const failed = t.run({ RELOAD_DOVECOT: "exit 3" });
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /Dovecot reload failed/);
    // Postfix and nginx were still reloaded; Dovecot and then Postfix again on the retry.
    const retried = t.run();
    assert.equal(retried.status, 0, retried.stderr);
    assert.equal(t.reloadLog(), "postfix\nnginx\ndovecot\npostfix\n");
  });

  it("keeps the current certificate and says where to look while certbot has none", () => {
    const t = setup();
    t.run();
    const before = serialOf(t.installed("mail").cert);
    const r = t.run();
    assert.equal(r.status, 0);
    assert.match(r.stdout, /mail: no certificate from certbot yet .*check certbot's log/);
    assert.equal(serialOf(t.installed("mail").cert), before);
  });

  it("defaults to the VM's folders and containers, which certHookEnv gives for the production topology", () => {
    const script = readFileSync(SCRIPT, "utf8");
    const defaults = Object.fromEntries([...script.matchAll(/^([A-Z_]+)="\$\{\1:-([^}]*)\}"$/gm)].map((m) => [m[1], m[2]]));
    const cfg = webTestConfig();
    const { CERTIFICATES, ...rest } = certHookEnv(cfg, productionTopology, engineReloads(productionTopology));
    assert.equal(CERTIFICATES, certificatesEnv(webCertificates(cfg, productionTopology)));
    for (const [k, v] of Object.entries(rest)) assert.equal(defaults[k], v, k);
    // The local stack: its own folders and container names.
    const local = certHookEnv(cfg, localTopology("/x/.local"), engineReloads(localTopology("/x/.local"), "podman"));
    assert.equal(local.TLS_DIR, "/x/.local/data/tls");
    assert.equal(local.RELOAD_NGINX, "podman kill --signal HUP mailstack-nginx");
    assert.match(local.CERTIFICATES, /^mail=mail\.example\.com,mail\.example\.com\.localhost /);
  });

  it("refuses a CERTIFICATES value that is not names (no path or word injection)", () => {
    const t = setup();
    for (const bad of ["../etc=mail.example.com", "mail=mail.example.com;reboot", "mail"]) {
      const r = t.run({ CERTIFICATES: bad });
      assert.equal(r.status, 1, bad);
      assert.match(r.stderr, /CERTIFICATES/);
    }
    assert.equal(existsSync(join(t.env.TLS_DIR, "..", "etc")), false);
  });
});
