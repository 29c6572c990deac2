// The mail daemons' rendered files (Postfix, Dovecot, Rspamd, Valkey, PostgreSQL), as an operator
// reading them would check: secrets only in files flagged secret (and never world-readable), no
// local address leaking into production, relay credentials only with a relay, greylisting on in
// production, each datastore open only to its own roles on the service network. The daemons' own
// checkers read these files in their images in test/images/mail.test.ts.
import assert from "node:assert/strict";
import { placeholderPem } from "../../tools/dev/placeholderPem";
import { describe, it } from "@jest/globals";
import { parseMailConfig } from "../../components/core/config/config";
import { renderServiceFiles, type RenderedFile } from "../../components/core/render/render";
import type { ServiceSecrets } from "../../components/core/render/secrets";
import { localTopology, productionTopology } from "../../components/core/topology";

const raw = {
  hostname: "mail.example.com",
  acmeEmail: "ops@example.com",
  ssh: { adminKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0u3Lk2Y0y1p0cM9xq3Yb2oQ1u2Jw4H2b6w0y8Zk9mP test"], allowFrom: ["203.0.113.0/24"] },
  domains: [
    { name: "example.com", zoneId: "0".repeat(32), dmarc: { policy: "reject", reportTo: "dmarc@example.com" } },
    { name: "example.org", zoneId: "1".repeat(32), dmarc: { policy: "none", reportTo: "dmarc@example.com" } },
  ],
  mailboxes: [{ address: "alice@example.com" }],
  aliases: [
    { from: "dmarc@example.com", to: ["alice@example.com"] },
    // The ACME contact and each domain's postmaster must receive mail (config/deliverability.ts).
    { from: "ops@example.com", to: ["alice@example.com"] },
    { from: "postmaster@example.com", to: ["alice@example.com"] },
    { from: "postmaster@example.org", to: ["alice@example.com"] },
  ],
};
const cfg = parseMailConfig(raw, { hasRelayPassword: false });
const relayCfg = parseMailConfig({ ...raw, relay: { host: "smtp.relay.example", username: "acct" } }, { hasRelayPassword: true });
/** A key-shaped fake: PEM armour built at run time, so no key-like literal sits in the repository. */
const fakeKey = (body: string, label = "PRIVATE KEY") => placeholderPem(label, body);
const secrets: ServiceSecrets = {
  postgresPassword: "pg-SUPER-secret-1",
  mailDbPassword: "mail-DB-secret-2",
  roundcubeDbPassword: "rc-DB-secret-3",
  mailPasswordDbPassword: "mp-DB-secret-7",
  roundcubeDesKey: "abcdefghijklmnopqrstuvwx",
  rspamdControllerPassword: "rspamd-UI-secret-4",
  rspamdControllerSalt: "salt-5",
  valkeyPassword: "valkeyTestPassword5",
  backupDbPassword: "backup-db",
  dkimPrivateKeys: { "example.com": fakeKey("DKIMCOM"), "example.org": fakeKey("DKIMORG") },
  relayPassword: "relay-secret-6",
};
const secretValues = ["pg-SUPER-secret-1", "mail-DB-secret-2", "rc-DB-secret-3", "mp-DB-secret-7", "rspamd-UI-secret-4", "valkeyTestPassword5", "DKIMCOM", "DKIMORG", "relay-secret-6"];
const MAIL_SERVICES = ["postfix", "dovecot", "rspamd", "valkey", "postgres"];
const renderMailFiles = (...args: Parameters<typeof renderServiceFiles>) => renderServiceFiles(...args).filter((f) => MAIL_SERVICES.includes(f.service));
const file = (files: RenderedFile[], service: string, path: string) => {
  const f = files.find((x) => x.service === service && x.path === path);
  assert.ok(f, `no ${service}/${path}`);
  return f;
};

describe("the mail daemons' rendered files", () => {
  const prod = renderMailFiles(relayCfg, secrets, productionTopology);

  it("keeps every secret in files flagged secret, readable by owner (and group at most)", () => {
    for (const f of prod) {
      const holds = secretValues.some((s) => f.content.includes(s));
      if (holds) {
        assert.ok(f.secret, `${f.service}/${f.path} holds a secret but is not flagged`);
        assert.equal(f.mode & 0o007, 0, `${f.service}/${f.path} is world-readable`);
      }
    }
    assert.doesNotMatch(file(prod, "rspamd", "local.d/worker-controller.inc").content, /rspamd-UI-secret-4/);
  });

  it("uses production names and ports, no loopback service address", () => {
    const main = file(prod, "postfix", "main.cf").content;
    assert.match(main, /^virtual_transport = lmtp:unix:\/run\/dovecot-postfix\/lmtp$/m);
    assert.match(main, /^smtpd_sasl_path = \/run\/dovecot-postfix\/auth$/m);
    assert.match(main, /^    check_policy_service unix:\/run\/dovecot-postfix\/quota-status$/m);
    assert.match(main, /^smtpd_milters = inet:rspamd:11332$/m);
    assert.match(main, /^milter_default_action = tempfail$/m);
    assert.match(main, /^mynetworks = 127\.0\.0\.0\/8 \[::1\]\/128$/m);
    // postsrsd and the MTA-STS resolver are the loopback services: they run inside the Postfix
    // container itself.
    const srs = /^((sender|recipient)_canonical_maps|lmtp_generic_maps) = tcp:127\.0\.0\.1:1000[12]$|^smtp_tls_policy_maps = socketmap:inet:127\.0\.0\.1:8461:postfix$/gm;
    for (const f of prod) assert.doesNotMatch(f.content.replace(srs, ""), /127\.0\.0\.1:\d{4,5}/, `${f.service}/${f.path}`);
    // Port 25: postscreen first, which hands each client it lets through to an smtpd.
    assert.match(file(prod, "postfix", "master.cf").content, /^25 +inet .*postscreen$/m);
    assert.match(file(prod, "postfix", "master.cf").content, /^smtpd +pass .*smtpd$/m);
  });

  it("sends through the relay with SASL over mandatory TLS only when a relay is configured", () => {
    const main = file(prod, "postfix", "main.cf").content;
    assert.match(main, /^relayhost = \[smtp\.relay\.example\]:587$/m);
    // The relay gets our password: its certificate must verify (system CAs, its host name).
    assert.match(main, /^smtp_tls_security_level = secure$/m);
    assert.match(main, /^smtp_tls_CAfile = \/etc\/ssl\/certs\/ca-certificates\.crt$/m);
    const pw = file(prod, "postfix", "relay-password");
    assert.equal(pw.mode, 0o600);
    assert.match(pw.content, /^\[smtp\.relay\.example\]:587 acct:relay-secret-6$/m);
    const direct = renderMailFiles(cfg, secrets, productionTopology);
    assert.match(file(direct, "postfix", "main.cf").content, /^relayhost = $/m);
    // Direct delivery: DANE where the recipient publishes TLSA, on DNSSEC answers from our Unbound.
    assert.match(file(direct, "postfix", "main.cf").content, /^smtp_tls_security_level = dane$/m);
    assert.match(file(direct, "postfix", "main.cf").content, /^smtp_dns_support_level = dnssec$/m);
    assert.ok(!direct.some((f) => f.path === "relay-password"));
  });

  it("signs DKIM/ARC only for the configured domains, one key file each", () => {
    const dkim = file(prod, "rspamd", "local.d/dkim_signing.conf").content;
    assert.match(dkim, /example\.com \{\n\s+selector = "mail";\n\s+path = "\/config\/dkim\/example\.com\.mail\.key";/);
    assert.match(dkim, /try_fallback = false;/);
    assert.equal(file(prod, "rspamd", "dkim/example.org.mail.key").content.includes("DKIMORG"), true);
  });

  it("greylists in production; the local stack turns it off only when asked", () => {
    assert.match(file(prod, "rspamd", "local.d/greylist.conf").content, /^enabled = true;$/m);
    const local = renderMailFiles(cfg, secrets, localTopology("/tmp/state", { greylisting: false }));
    assert.match(file(local, "rspamd", "local.d/greylist.conf").content, /^enabled = false;$/m);
    assert.match(file(local, "rspamd", "local.d/greylist.conf").content, /GREYLISTING OFF/);
    const localDefault = renderMailFiles(cfg, secrets, localTopology("/tmp/state"));
    assert.match(file(localDefault, "rspamd", "local.d/greylist.conf").content, /^enabled = true;$/m);
  });

  it("refuses a secret with a line break instead of writing it into a config file", () => {
    assert.throws(() => renderMailFiles(cfg, { ...secrets, mailDbPassword: "a\nquery = DROP" }, productionTopology), /line break/);
  });

  it("opens PostgreSQL to each role's own database from its users' network only, and Valkey to Rspamd with a password", () => {
    const hba = file(prod, "postgres", "pg_hba.conf").content;
    const rules = hba.split("\n").filter((l) => /^(local|host)/.test(l)).map((l) => l.split(/\s+/).slice(0, 4).join(" "));
    assert.deepEqual(rules, [
      "local all postgres peer",
      `host mail mailserver ${productionTopology.networks.maildb.ipv4Subnet}`,
      `host mail mailpassword ${productionTopology.networks.webmaildb.ipv4Subnet}`,
      `host roundcube roundcube ${productionTopology.networks.webmaildb.ipv4Subnet}`,
      `host mail,roundcube mailbackup ${productionTopology.networks.backupdata.ipv4Subnet}`,
    ]);
    assert.notEqual(productionTopology.networks.maildb.ipv4Subnet, productionTopology.networks.webmaildb.ipv4Subnet);
    assert.doesNotMatch(hba, /0\.0\.0\.0\/0|::\/0/);
    const valkey = file(prod, "valkey", "valkey.conf");
    assert.match(valkey.content, /^port 6379$/m);
    assert.match(valkey.content, /^dir \/var\/lib\/valkey$/m);
    assert.match(valkey.content, new RegExp(`^requirepass "${secrets.valkeyPassword}"$`, "m"));
    assert.deepEqual([valkey.secret, valkey.mode], [true, 0o640]);
    const redis = file(prod, "rspamd", "local.d/redis.conf");
    assert.match(redis.content, new RegExp(`^password = "${secrets.valkeyPassword}";$`, "m"));
    assert.deepEqual([redis.secret, redis.mode], [true, 0o640]);
    // The superuser's initial password is a secret file for initdb, readable by postgres's group only.
    const su = file(prod, "postgres", "superuser-password");
    assert.equal(su.secret, true);
    assert.equal(su.mode, 0o640);
  });
});
