// TLS everywhere, as receivers, mail clients and the operator see it on the running local stack:
// nginx serves the MTA-STS policy and client autoconfiguration over HTTPS, each web name with its
// own certificate from pebble (the local stand-in for Let's Encrypt); every mail port presents the
// mail host's certificate, offers STARTTLS where it should and refuses TLS 1.0/1.1; and a renewed
// certificate reaches Postfix, Dovecot and nginx through the certificate hook without restarting
// any of them.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { localWebmailHost } from "../../../components/core/containers/certificates";
import { sleep } from "../../../local/proc";
import { startOutside, type Outside } from "../helpers/outside";
import { execOkInService, mailCertificateFile, runCertHook, serviceState, upLocalStack, type LocalStack } from "../helpers/stack";
import { fingerprintOfPem, httpsTo, httpTo, presentedCertificate, renewedMailCertificate, startTlsNegotiation, tlsPorts } from "../helpers/tls";

let stack: LocalStack;
beforeAll(async () => {
  stack = await upLocalStack();
});

describe("HTTPS front (nginx, certificates from pebble)", () => {
  it("serves each domain's MTA-STS policy as text/plain, matching the config and the id published in DNS", async () => {
    const zone = readFileSync(stack.ep.zone, "utf8");
    for (const d of stack.cfg.domains) {
      const r = await httpsTo(stack, `mta-sts.${d.name}`, "/.well-known/mta-sts.txt");
      assert.equal(r.status, 200, `mta-sts.${d.name}`);
      assert.match(String(r.headers["content-type"]), /^text\/plain/);
      const lines = r.body.split("\r\n");
      const maxAge = d.mtaSts.maxAgeDays * 24 * 60 * 60;
      assert.deepEqual(lines, ["version: STSv1", `mode: ${d.mtaSts.mode}`, `mx: ${stack.cfg.hostname}`, `max_age: ${maxAge}`, ""]);
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
    const { ep } = stack;
    const h = ep.mailHost;
    assert.deepEqual(servers, [
      `imap ${h}:${ep.imaps} SSL %EMAILADDRESS%`,
      `imap ${h}:${ep.imap} STARTTLS %EMAILADDRESS%`,
      `smtp ${h}:${ep.submissions} SSL %EMAILADDRESS%`,
      `smtp ${h}:${ep.submission} STARTTLS %EMAILADDRESS%`,
    ]);
  });

  it("answers Outlook's autodiscover POST (any path case) with IMAP and SMTP over SSL", async () => {
    const d = stack.cfg.domains[0];
    const schema = "http://schemas.microsoft.com/exchange/autodiscover/outlook";
    const ask =
      `<?xml version="1.0"?><Autodiscover xmlns="${schema}/requestschema/2006"><Request><EMailAddress>alice@${d.name}</EMailAddress>` +
      `<AcceptableResponseSchema>${schema}/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`;
    for (const path of ["/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"]) {
      const r = await httpsTo(stack, `autodiscover.${d.name}`, path, { method: "POST", body: ask });
      assert.equal(r.status, 200, path);
      assert.match(r.body, new RegExp(`<Type>IMAP</Type>\\s*<Server>${stack.ep.mailHost}</Server>\\s*<Port>${stack.ep.imaps}</Port>`));
      assert.match(r.body, new RegExp(`<Type>SMTP</Type>\\s*<Server>${stack.ep.mailHost}</Server>\\s*<Port>${stack.ep.submissions}</Port>`));
    }
  });

  it("serves webmail on the mail host (and its .localhost name) and never Roundcube's config, logs or temp files", async () => {
    for (const name of [stack.ep.mailHost, localWebmailHost(stack.cfg)]) {
      const page = await httpsTo(stack, name, "/");
      assert.equal(page.status, 200, name);
      assert.match(page.body, /rcmloginuser/);
      assert.match(String(page.headers["strict-transport-security"]), /max-age=\d+/);
    }
    const internals = ["/config/config.inc.php", "/config/defaults.inc.php", "/logs/errors.log", "/temp/", "/SQL/postgres.initial.sql", "/program/include/iniset.php"];
    for (const path of internals) {
      const r = await httpsTo(stack, stack.ep.mailHost, path);
      assert.equal(r.status, 404, `${path} answered ${r.status}`);
    }
  });

  it("redirects plain HTTP to HTTPS", async () => {
    const r = await httpTo(stack, stack.ep.mailHost, "/some/page");
    assert.equal(r.status, 308);
    assert.match(String(r.headers.location), new RegExp(`^https://${stack.ep.mailHost.replace(/\./g, "\\.")}(:\\d+)?/some/page$`));
  });
});

describe("mail ports", () => {
  let outside: Outside;
  beforeAll(async () => {
    outside = await startOutside(stack);
  });
  afterAll(async () => {
    await outside?.stop();
  });

  it("every TLS port presents the mail host's certificate, valid under pebble's root", async () => {
    const installed = fingerprintOfPem(mailCertificateFile(stack));
    for (const p of tlsPorts(stack)) {
      const c = await presentedCertificate(stack, p);
      assert.equal(c.fingerprint, installed, `${p.name} presents another certificate`);
      assert.ok(c.authorized, `${p.name}: certificate not valid for ${stack.ep.mailHost}`);
    }
  });

  it("offers STARTTLS on SMTP 25, submission 587 and IMAP 143 to a client on the internet before any login", async () => {
    for (const p of tlsPorts(stack).filter((x) => x.starttls === "smtp" || x.starttls === "imap")) {
      const { offered, socket } = await startTlsNegotiation(stack, p.port, p.starttls ?? "smtp", outside.client());
      socket.destroy();
      assert.match(offered, /STARTTLS/, `${p.name} does not offer STARTTLS`);
      if (p.starttls === "imap") assert.match(offered, /LOGINDISABLED/, "IMAP must refuse plain-text login before TLS");
    }
  });

  it("refuses TLS 1.0 and 1.1 on every port (the refusal is the server's) and accepts TLS 1.2", async () => {
    // SECLEVEL=0 so that this client's OpenSSL would itself still speak TLS 1.0/1.1.
    const old = { minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" } as const;
    for (const p of tlsPorts(stack)) {
      await assert.rejects(
        presentedCertificate(stack, p, old),
        (e: NodeJS.ErrnoException) => {
          assert.notEqual(e.code, "ERR_SSL_NO_PROTOCOLS_AVAILABLE", "the client refused by itself; the test proves nothing");
          return true;
        },
        `${p.name} accepted TLS 1.1`,
      );
      const ok = await presentedCertificate(stack, p, { maxVersion: "TLSv1.2" });
      assert.equal(ok.protocol, "TLSv1.2", p.name);
    }
  });
});

describe("certificate renewal", () => {
  let renewal: ReturnType<typeof renewedMailCertificate> | undefined;
  afterAll(async () => {
    // Cleanup: back to certbot's own certificate (the hook sees it differs and reloads), whatever happened.
    if (stack !== undefined) await runCertHook(stack);
    if (renewal !== undefined) rmSync(renewal.letsencryptDir, { recursive: true, force: true });
  });

  /** Master processes as each daemon records them, and each container's start time. */
  const pidFile = async (service: "postfix" | "dovecot", file: string) => (await execOkInService(stack, service, `read ${file}`, ["cat", file])).stdout.trim();
  const daemons = async () => ({
    postfixMaster: await pidFile("postfix", `${stack.topo.paths.postfixQueue}/pid/master.pid`),
    dovecotMaster: await pidFile("dovecot", `${stack.topo.paths.dovecotBase}/master.pid`),
    containers: await Promise.all(
      (["postfix", "dovecot", "nginx"] as const).map(async (s) => {
        const { pid, startedAt, restartCount } = await serviceState(stack, s);
        return `${s}: main pid ${pid}, started ${startedAt}, restarts ${restartCount}`;
      }),
    ),
  });

  it("a renewed certificate reaches Postfix, Dovecot and nginx through the hook, with no restart", async () => {
    // Prepare: certbot's folder as it looks after a renewal (new key, new CA, same names).
    const before = await daemons();
    assert.match(before.postfixMaster, /^\d+$/);
    assert.match(before.dovecotMaster, /^\d+$/);
    const imaps = tlsPorts(stack).find((p) => p.port === stack.ep.imaps);
    assert.ok(imaps !== undefined);
    const serialBefore = (await presentedCertificate(stack, imaps)).serial;
    renewal = renewedMailCertificate([stack.ep.mailHost, localWebmailHost(stack.cfg)]);

    // Actual
    await runCertHook(stack, { LETSENCRYPT_DIR: renewal.letsencryptDir });
    // Postfix hands the new certificate to smtpd processes started after the reload.
    const deadline = Date.now() + 15_000;
    for (const p of tlsPorts(stack)) {
      for (;;) {
        const c = await presentedCertificate(stack, p);
        if (c.fingerprint === renewal.fingerprint) break;
        assert.ok(Date.now() < deadline, `${p.name} still presents the old certificate (serial ${c.serial}, before ${serialBefore})`);
        await sleep(250);
      }
    }
    // nginx too (it serves the webmail with the mail certificate): the page verifies under the new CA only.
    const renewedCa = { ...stack, ca: Buffer.from(renewal.caPem) };
    for (;;) {
      const page = await httpsTo(renewedCa, localWebmailHost(stack.cfg), "/").catch((e: Error) => e);
      if (!(page instanceof Error) && page.status === 200) break;
      assert.ok(Date.now() < deadline, `nginx does not present the renewed certificate: ${page instanceof Error ? page.message : page.status}`);
      await sleep(250);
    }
    assert.deepEqual(await daemons(), before, "a daemon was restarted instead of reloaded");
  });
});
