// The certificate sync hook as the operator relies on it: a new server gets a temporary
// certificate so Postfix and Dovecot can start, Caddy's certificate replaces it on the next run
// with one reload of each daemon, an unchanged certificate reloads nothing, a half-written pair
// is never installed, and a failed reload is retried.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "@jest/globals";

import { tempDir } from "./webFixture";
import { FILES_DIR } from "../../components/core/paths";

const SCRIPT = join(FILES_DIR, "tls", "sync-certs.sh");
const HOST = "mail.example.com";

function newPair(dir: string, cn = HOST): { cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, `${HOST}.crt`);
  const key = join(dir, `${HOST}.key`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", `/CN=${cn}`, "-keyout", key, "-out", cert], { stdio: "ignore" });
  return { cert, key };
}

function serialOf(certFile: string): string {
  return execFileSync("openssl", ["x509", "-in", certFile, "-noout", "-serial"], { encoding: "utf8" }).trim();
}

function setup() {
  const dir = tempDir("mailstack-certsync-");
  const reloads = join(dir, "reloads.log");
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    MAIL_HOST: HOST,
    CADDY_DATA: join(dir, "caddy"),
    CADDY_ISSUER: "acme-v02.api.letsencrypt.org-directory",
    TLS_CERT: join(dir, "tls", "fullchain.pem"),
    TLS_KEY: join(dir, "tls", "privkey.pem"),
    RELOAD_POSTFIX: `echo postfix >> '${reloads}'`,
    RELOAD_DOVECOT: `echo dovecot >> '${reloads}'`,
  };
  const caddyDir = join(env.CADDY_DATA, "certificates", env.CADDY_ISSUER, HOST);
  const run = (extra: Record<string, string> = {}) => spawnSync("bash", [SCRIPT], { env: { ...env, ...extra }, encoding: "utf8" });
  const reloadLog = () => (existsSync(reloads) ? readFileSync(reloads, "utf8") : "");
  return { env, caddyDir, run, reloadLog };
}

describe("files/tls/sync-certs.sh", () => {
  it("is shellcheck-clean", () => {
    const r = spawnSync("shellcheck", ["-x", SCRIPT], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it("first boot: installs a temporary self-signed certificate for the mail host, key readable by root only", () => {
    const t = setup();
    const r = t.run();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /TEMPORARY SELF-SIGNED/);
    const subject = execFileSync("openssl", ["x509", "-in", t.env.TLS_CERT, "-noout", "-subject", "-ext", "subjectAltName"], { encoding: "utf8" });
    assert.match(subject, /CN ?= ?mail\.example\.com/);
    assert.match(subject, /DNS:mail\.example\.com/);
    const mode = execFileSync("stat", ["-L", "-c", "%a", t.env.TLS_KEY], { encoding: "utf8" }).trim();
    assert.equal(mode, "600");
    assert.equal(t.reloadLog(), "", "nothing to reload before the daemons start");
  });

  it("switches to Caddy's certificate on the next run and reloads Dovecot, then Postfix, once each", () => {
    const t = setup();
    t.run();
    const issued = newPair(t.caddyDir);
    const r = t.run();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(serialOf(t.env.TLS_CERT), serialOf(issued.cert));
    assert.equal(readFileSync(t.env.TLS_KEY, "utf8"), readFileSync(issued.key, "utf8"));
    assert.equal(t.reloadLog(), "dovecot\npostfix\n");

    const again = t.run();
    assert.equal(again.status, 0, again.stderr);
    assert.equal(t.reloadLog(), "dovecot\npostfix\n", "an unchanged certificate must not reload the daemons");

    const renewed = newPair(t.caddyDir);
    assert.equal(t.run().status, 0);
    assert.equal(serialOf(t.env.TLS_CERT), serialOf(renewed.cert));
    assert.equal(t.reloadLog(), "dovecot\npostfix\n".repeat(2));
  });

  it("never installs a certificate whose key does not match (Caddy mid-write)", () => {
    const t = setup();
    const firstSerial = serialOf(newPair(t.caddyDir).cert);
    t.run();
    const other = newPair(join(t.caddyDir, "..", "other"));
    writeFileSync(join(t.caddyDir, `${HOST}.crt`), readFileSync(other.cert));
    const r = t.run();
    assert.equal(r.status, 1);
    assert.match(r.stderr, /do not match/);
    assert.equal(serialOf(t.env.TLS_CERT), firstSerial, "the working certificate stays");
  });

  it("retries a failed reload on the next run even though the files no longer change", () => {
    const t = setup();
    t.run();
    newPair(t.caddyDir);
    const failed = t.run({ RELOAD_DOVECOT: "exit 3" });
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /Dovecot reload failed/);
    const retried = t.run();
    assert.equal(retried.status, 0, retried.stderr);
    assert.equal(t.reloadLog(), "postfix\ndovecot\npostfix\n");
  });

  it("keeps the current certificate and says where to look while Caddy has none", () => {
    const t = setup();
    t.run();
    const before = serialOf(t.env.TLS_CERT);
    const r = t.run();
    assert.equal(r.status, 0);
    assert.match(r.stdout, /no certificate from Caddy yet .*check Caddy's log/);
    assert.equal(serialOf(t.env.TLS_CERT), before);
  });
});
