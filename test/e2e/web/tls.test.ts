// TLS everywhere, as receivers, mail clients and the operator see it on the running local stack:
// Caddy serves the MTA-STS policy and client autoconfiguration over HTTPS with a certificate for
// each name; every mail port presents the configured certificate, offers STARTTLS where it
// should and refuses TLS 1.0/1.1; and a renewed certificate reaches Postfix and Dovecot through
// the sync hook without restarting either daemon.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { SYNC_CERTS, mailHostOf, syncCertsEnv } from "../../local/services/caddy";
import { readPid } from "../../local/proc";
import {
  bringUpLocalStack,
  fingerprintOfPem,
  httpsTo,
  LOOPBACK,
  presentedCertificate,
  REMOTE_CLIENT,
  startTlsNegotiation,
  STATE_DIR,
  TLS_PORTS,
  type LocalStack,
} from "./tlsStack";

let stack: LocalStack;
beforeAll(() => {
  stack = bringUpLocalStack();
});

describe("HTTPS front (Caddy, local CA)", () => {
  it("serves each domain's MTA-STS policy as text/plain, matching the config and the id published in DNS", async () => {
    const zone = readFileSync(join(STATE_DIR, "dns.zone"), "utf8");
    for (const d of stack.cfg.domains) {
      const r = await httpsTo(stack, `mta-sts.${d.name}`, "/.well-known/mta-sts.txt");
      assert.equal(r.status, 200, `mta-sts.${d.name}`);
      assert.match(String(r.headers["content-type"]), /^text\/plain/);
      const lines = r.body.split("\r\n");
      assert.deepEqual(lines, ["version: STSv1", `mode: ${d.mtaSts.mode}`, `mx: ${stack.cfg.hostname}`, `max_age: ${d.mtaSts.maxAgeDays * 24 * 60 * 60}`, ""]);
      // Receivers refetch the policy only when the TXT id changes: it must be derived from this text.
      const id = createHash("sha256").update(r.body).digest("hex").slice(0, 20);
      assert.ok(zone.includes(`"v=STSv1; id=${id}"`), `_mta-sts.${d.name} TXT does not carry id=${id}`);
    }
  });

  it("answers Thunderbird's autoconfig request with the mail host and the local ports", async () => {
    const d = stack.cfg.domains[1];
    const r = await httpsTo(stack, `autoconfig.${d.name}`, `/mail/config-v1.1.xml?emailaddress=carol%40${d.name}`);
    assert.equal(r.status, 200);
    assert.match(String(r.headers["content-type"]), /xml/);
    const servers = [...r.body.matchAll(/<(incoming|outgoing)Server type="(\w+)">([\s\S]*?)<\/\1Server>/g)].map((m) => {
      const v = (tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(m[3])?.[1];
      return `${m[2]} ${v("hostname")}:${v("port")} ${v("socketType")} ${v("username")}`;
    });
    const t = stack.topo.ports;
    const h = stack.cfg.hostname;
    assert.deepEqual(servers, [
      `imap ${h}:${t.imaps} SSL %EMAILADDRESS%`,
      `imap ${h}:${t.imap} STARTTLS %EMAILADDRESS%`,
      `smtp ${h}:${t.submissions} SSL %EMAILADDRESS%`,
      `smtp ${h}:${t.submission} STARTTLS %EMAILADDRESS%`,
    ]);
  });

  it("answers Outlook's autodiscover POST (any path case) with IMAP and SMTP over SSL", async () => {
    const d = stack.cfg.domains[0];
    const ask = `<?xml version="1.0"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>alice@${d.name}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`;
    for (const path of ["/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"]) {
      const r = await httpsTo(stack, `autodiscover.${d.name}`, path, { method: "POST", body: ask });
      assert.equal(r.status, 200, path);
      assert.match(r.body, new RegExp(`<Type>IMAP</Type>\\s*<Server>${stack.cfg.hostname}</Server>\\s*<Port>${stack.topo.ports.imaps}</Port>`));
      assert.match(r.body, new RegExp(`<Type>SMTP</Type>\\s*<Server>${stack.cfg.hostname}</Server>\\s*<Port>${stack.topo.ports.submissions}</Port>`));
    }
  });

  it("serves webmail on the mail host and never Roundcube's config, logs or temp files", async () => {
    const page = await httpsTo(stack, stack.cfg.hostname, "/");
    assert.equal(page.status, 200);
    assert.match(page.body, /rcmloginuser/);
    assert.match(String(page.headers["strict-transport-security"]), /max-age=\d+/);
    for (const path of ["/config/config.inc.php", "/config/defaults.inc.php", "/logs/errors.log", "/temp/", "/SQL/postgres.initial.sql", "/program/include/iniset.php"]) {
      const r = await httpsTo(stack, stack.cfg.hostname, path);
      assert.equal(r.status, 404, `${path} answered ${r.status}`);
    }
  });

  it("redirects plain HTTP to HTTPS", async () => {
    const r = await new Promise<{ status: number; location: string }>((resolve, reject) => {
      request({ host: LOOPBACK, port: stack.topo.ports.http, path: "/some/page", headers: { host: stack.cfg.hostname } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: String(res.headers.location) });
      })
        .on("error", reject)
        .end();
    });
    assert.equal(r.status, 308);
    assert.match(r.location, new RegExp(`^https://${stack.cfg.hostname.replace(/\./g, "\\.")}(:\\d+)?/some/page$`));
  });
});

describe("mail ports", () => {
  it("every TLS port presents the configured certificate for the mail host, valid under Caddy's CA", async () => {
    const configured = fingerprintOfPem(stack.topo.paths.tlsCert);
    for (const p of TLS_PORTS(stack.topo)) {
      const c = await presentedCertificate(stack, p.port, p.starttls);
      assert.equal(c.fingerprint, configured, `${p.name} presents another certificate`);
      assert.ok(c.authorized, `${p.name}: certificate not valid for ${stack.cfg.hostname}`);
    }
  });

  it("offers STARTTLS on SMTP 25, submission 587 and IMAP 143 to a remote client before any login", async () => {
    for (const p of TLS_PORTS(stack.topo).filter((x) => x.starttls === "smtp" || x.starttls === "imap")) {
      const { offered, socket } = await startTlsNegotiation(p.port, p.starttls!, REMOTE_CLIENT);
      socket.destroy();
      assert.match(offered, /STARTTLS/, `${p.name} does not offer STARTTLS`);
      if (p.starttls === "imap") assert.match(offered, /LOGINDISABLED/, "IMAP must refuse plain-text login before TLS");
    }
  });

  it("refuses TLS 1.0 and 1.1 on every port (the refusal is the server's) and accepts TLS 1.2", async () => {
    // SECLEVEL=0 so that this client's OpenSSL would itself still speak TLS 1.0/1.1.
    const old = { minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" } as const;
    for (const p of TLS_PORTS(stack.topo)) {
      await assert.rejects(presentedCertificate(stack, p.port, p.starttls, old), (e: NodeJS.ErrnoException) => {
        assert.notEqual(e.code, "ERR_SSL_NO_PROTOCOLS_AVAILABLE", "the client refused by itself; the test proves nothing");
        return true;
      }, `${p.name} accepted TLS 1.1`);
      const ok = await presentedCertificate(stack, p.port, p.starttls, { maxVersion: "TLSv1.2" });
      assert.equal(ok.protocol, "TLSv1.2", p.name);
    }
  });
});

describe("certificate renewal", () => {
  const masterPids = () => ({
    postfix: readPid(join(stack.topo.paths.postfixQueue, "pid", "master.pid")),
    dovecot: readPid(join(stack.topo.paths.dovecotBase, "master.pid")),
  });
  const runSync = (env: NodeJS.ProcessEnv) => {
    const r = spawnSync("bash", [SYNC_CERTS], { env, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  };
  afterAll(() => {
    // Back to Caddy's own certificate, whatever happened above.
    spawnSync("bash", [SYNC_CERTS], { env: syncCertsEnv(stack.topo, mailHostOf(stack.topo)), encoding: "utf8" });
  });

  it("a renewed certificate reaches Postfix and Dovecot through the hook, with no restart", async () => {
    const host = mailHostOf(stack.topo);
    const pidsBefore = masterPids();
    assert.ok(pidsBefore.postfix && pidsBefore.dovecot, "Postfix and Dovecot master pids not found");
    const serialBefore = (await presentedCertificate(stack, stack.topo.ports.imaps, undefined)).serial;

    // A stand-in for Caddy's storage holding a renewed certificate (new key, new serial).
    const caddyData = join(tmpdir(), `mailstack-renewal-${process.pid}`);
    const dir = join(caddyData, "certificates", "local", host);
    mkdirSync(dir, { recursive: true });
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", `/CN=${host}`, "-addext", `subjectAltName=DNS:${host}`, "-keyout", join(dir, `${host}.key`), "-out", join(dir, `${host}.crt`)], { stdio: "ignore" });
    const renewed = fingerprintOfPem(join(dir, `${host}.crt`));

    runSync({ ...syncCertsEnv(stack.topo, host), CADDY_DATA: caddyData });

    // Postfix hands the new certificate to smtpd processes started after the reload.
    const deadline = Date.now() + 10_000;
    for (const p of TLS_PORTS(stack.topo)) {
      for (;;) {
        const c = await presentedCertificate(stack, p.port, p.starttls);
        if (c.fingerprint === renewed) break;
        assert.ok(Date.now() < deadline, `${p.name} still presents the old certificate (serial ${c.serial}, before ${serialBefore})`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    assert.deepEqual(masterPids(), pidsBefore, "a daemon was restarted instead of reloaded");
  });
});
