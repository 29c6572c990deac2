// Dovecot's rendered files as an operator would check them: secrets only in the two secret files,
// with the modes the image relies on (the SQL connection root-only, the Rspamd controller password
// for root and the dovecot group), container names and standard ports from the topology, and the
// same maildir and Sieve layout as the 2.3 configuration. Dovecot itself validates the files in
// test/images/dovecot.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { parseMailConfig } from "../../components/core/config/config";
import { dovecotFiles } from "../../components/core/render/dovecot";
import type { ServiceSecrets } from "../../components/core/render/secrets";
import { localTopology, productionTopology } from "../../components/core/topology";

const cfg = parseMailConfig(
  {
    hostname: "mail.example.com",
    acmeEmail: "ops@example.com",
    ssh: { adminKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0u3Lk2Y0y1p0cM9xq3Yb2oQ1u2Jw4H2b6w0y8Zk9mP test"], allowFrom: ["203.0.113.0/24"] },
    domains: [{ name: "example.com", zoneId: "0".repeat(32), dmarc: { policy: "reject", reportTo: "dmarc@example.com" } }],
    mailboxes: [{ address: "alice@example.com" }],
    // The ACME contact, the DMARC address and postmaster must receive mail (config/deliverability.ts).
    aliases: [
      { from: "ops@example.com", to: ["alice@example.com"] },
      { from: "dmarc@example.com", to: ["alice@example.com"] },
      { from: "postmaster@example.com", to: ["alice@example.com"] },
    ],
  },
  { hasRelayPassword: false },
);
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
  dkimPrivateKeys: {},
};

describe("dovecotFiles", () => {
  const files = dovecotFiles(cfg, secrets, productionTopology);
  const file = (path: string) => {
    const f = files.find((x) => x.path === path);
    assert.ok(f, `no dovecot/${path}`);
    return f;
  };
  const conf = file("dovecot.conf").content;

  it("keeps the database password root-only and the controller password for root and the dovecot group", () => {
    for (const f of files) {
      const holds = ["mail-DB-secret-2", "rspamd-UI-secret-4"].filter((s) => f.content.includes(s));
      assert.equal(f.secret, holds.length > 0, `${f.path} secret flag`);
    }
    assert.deepEqual([file("dovecot-sql.conf.ext").mode, file("dovecot-sql.conf.ext").secret], [0o600, true]);
    assert.match(file("dovecot-sql.conf.ext").content, /^    password = "mail-DB-secret-2"$/m);
    assert.deepEqual([file("rspamd-controller.curlrc").mode, file("rspamd-controller.curlrc").secret], [0o640, true]);
    assert.match(conf, /^service rspamd-learn-spam \{\n  executable = script \/config\/sieve\/rspamd-learn.sh spam\n  user = dovecot$/m);
    assert.equal(file("sieve/rspamd-learn.sh").mode, 0o755);
  });

  it("starts with dovecot_config_version, listens on the client ports, and serves Postfix on sockets only", () => {
    assert.match(conf, /^(#[^\n]*\n|\n)*dovecot_config_version = 2\.4\.1\n/);
    const ports = [...conf.matchAll(/^ +port = (\d+)$/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
    assert.deepEqual(ports, [143, 993, 4190]);
    for (const s of ["lmtp", "auth", "quota-status"]) assert.match(conf, new RegExp(`^  unix_listener /run/dovecot-postfix/${s} \\{\n    group = postfix\n    mode = 0660\n  \\}$`, "m"));
    assert.match(file("dovecot-sql.conf.ext").content, /^pgsql postgres \{$/m);
    assert.match(file("sieve/rspamd-learn.sh").content, /"http:\/\/rspamd:11334\/learn\$1"/);
  });

  it("keeps the 2.3 layout: <root>/<domain>/<user>/Maildir and Sieve scripts beside it", () => {
    assert.match(conf, /^mail_home = \/var\/mail\/vmail\/%\{user \| domain\}\/%\{user \| username\}$/m);
    assert.match(conf, /^mail_driver = maildir\nmail_path = ~\/Maildir$/m);
    assert.match(conf, /^  path = \/var\/mail\/sieve\/%\{user \| domain\}\/%\{user \| username\}\/scripts$/m);
  });

  it("renders the same files for the local stack but for the webmail network's subnet: it runs the same containers", () => {
    const localTopo = localTopology("/tmp/state");
    const local = dovecotFiles(cfg, secrets, localTopo);
    const prodNet = productionTopology.networks.mailaccess.ipv4Subnet;
    assert.match(conf, new RegExp(`^login_trusted_networks = ${prodNet.replace(/\./g, "\\.")}$`, "m"));
    assert.deepEqual(
      local.map((f) => [f.path, f.content.split(localTopo.networks.mailaccess.ipv4Subnet).join(prodNet), f.mode]),
      files.map((f) => [f.path, f.content, f.mode]),
    );
  });

  it("checks passwords in PostgreSQL and caches what comes back, and exports failed logins for fail2ban", () => {
    assert.match(conf, /^auth_cache_size = 10M$/m);
    assert.match(conf, /^auth_cache_ttl = 5 mins$/m);
    assert.match(conf, /^  query = SELECT address AS user, mailstack_verified_password\(password, '%\{password\}'\) AS password FROM mailboxes WHERE address = '%\{user \| lower\}' AND active$/m);
    assert.match(conf, /^  filter = event=auth_passdb_request_finished AND \(result=password_mismatch OR result=user_unknown\)$/m);
    assert.match(conf, /^  file_path = \/var\/log\/mailstack-auth\/failures\.json$/m);
  });
});
