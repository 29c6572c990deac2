// The web front as a client, a receiving MTA and an operator see it: the MTA-STS policy Caddy
// serves, the autoconfiguration documents mail clients read, a Caddyfile Caddy 2.6 accepts with
// the right certificate issuer, and a Roundcube config PHP parses with the right endpoints.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "@jest/globals";
import { mtaStsPolicy } from "../../components/core/dns/dnsRecords";
import { renderWebFiles } from "../../components/core/render/renderWeb";
import { localTopology, productionTopology, type Topology } from "../../components/core/topology";
import type { RenderedFile } from "../../components/core/render/render";
import { tempDir, webTestConfig, webTestSecrets, writeRendered } from "./webFixture";

const cfg = webTestConfig();
const prodFiles = renderWebFiles(cfg, webTestSecrets, productionTopology);

function fileAt(files: RenderedFile[], service: string, path: string): RenderedFile {
  const f = files.find((x) => x.service === service && x.path === path);
  assert.ok(f, `no rendered ${service}/${path}; have ${files.map((x) => `${x.service}/${x.path}`).join(", ")}`);
  return f;
}

/** The folder a Caddy site block serves from, for the site named `site`. */
function siteRoot(files: RenderedFile[], site: string): string {
  const block = files.filter((f) => f.path.endsWith(".caddy")).map((f) => f.content).join("\n");
  const start = block.indexOf(`\n${site} {`);
  assert.notEqual(start, -1, `no site block for ${site}`);
  const root = /root \* (\S+)/.exec(block.slice(start));
  assert.ok(root);
  return root[1];
}

/** Every <tag> block of an XML document as {child: text} maps (enough for these flat documents). */
function blocks(xml: string, tag: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const m of xml.matchAll(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, "g"))) {
    const fields: Record<string, string> = {};
    const attr = /<[^ >]+ type="([^"]+)"/.exec(m[0]);
    if (attr) fields.type = attr[1];
    for (const c of m[1].matchAll(/<(\w+)>([^<]*)<\/\1>/g)) fields[c[1]] = c[2];
    out.push(fields);
  }
  return out;
}

describe("MTA-STS policy served by Caddy", () => {
  for (const d of cfg.domains) {
    it(`mta-sts.${d.name} serves exactly the policy whose id is in DNS`, () => {
      const root = siteRoot(prodFiles, `mta-sts.${d.name}`);
      const served = prodFiles.find((f) => f.service === "caddy" && `${productionTopology.configDirs.caddy}/${f.path}` === `${root}/mta-sts.txt`);
      assert.ok(served, `nothing rendered at ${root}/mta-sts.txt`);
      assert.equal(served.content, mtaStsPolicy(cfg, d));
    });
  }

  it("names the mail host as the only MX and carries each domain's mode and max_age (RFC 8461 3.2)", () => {
    const com = fileAt(prodFiles, "caddy", "sites/example.com/mta-sts.txt").content;
    const org = fileAt(prodFiles, "caddy", "sites/example.org/mta-sts.txt").content;
    assert.equal(com, "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 2592000\r\n");
    // Default: testing for 7 days (604800 s).
    assert.match(org, /^version: STSv1\r\nmode: testing\r\nmx: mail\.example\.com\r\nmax_age: 604800\r\n$/);
  });
});

describe("mail client autoconfiguration", () => {
  it("Thunderbird's config-v1.1.xml offers IMAP 993 SSL and 143 STARTTLS, SMTP 465 SSL and 587 STARTTLS on the mail host", () => {
    const xml = fileAt(prodFiles, "caddy", "sites/example.org/config-v1.1.xml").content;
    assert.match(xml, /<emailProvider id="example\.org">\s*<domain>example\.org<\/domain>/);
    const servers = [...blocks(xml, "incomingServer"), ...blocks(xml, "outgoingServer")];
    assert.deepEqual(
      servers.map((s) => [s.type, s.hostname, s.port, s.socketType, s.username, s.authentication]),
      [
        ["imap", "mail.example.com", "993", "SSL", "%EMAILADDRESS%", "password-cleartext"],
        ["imap", "mail.example.com", "143", "STARTTLS", "%EMAILADDRESS%", "password-cleartext"],
        ["smtp", "mail.example.com", "465", "SSL", "%EMAILADDRESS%", "password-cleartext"],
        ["smtp", "mail.example.com", "587", "STARTTLS", "%EMAILADDRESS%", "password-cleartext"],
      ],
    );
  });

  it("the local stack's autoconfig points clients at the local high ports", () => {
    const local = renderWebFiles(cfg, webTestSecrets, localTopology("/tmp/mailstack-state"));
    const xml = fileAt(local, "caddy", "sites/example.com/config-v1.1.xml").content;
    const ports = [...blocks(xml, "incomingServer"), ...blocks(xml, "outgoingServer")].map((s) => s.port);
    assert.deepEqual(ports, ["10993", "10143", "10465", "10587"]);
  });

  it("Outlook's autodiscover.xml (POX) answers IMAP 993 and SMTP 465 with SSL on", () => {
    const xml = fileAt(prodFiles, "caddy", "sites/example.com/autodiscover.xml").content;
    assert.match(xml, /<Autodiscover xmlns="http:\/\/schemas\.microsoft\.com\/exchange\/autodiscover\/responseschema\/2006">/);
    assert.match(xml, /<Response xmlns="http:\/\/schemas\.microsoft\.com\/exchange\/autodiscover\/outlook\/responseschema\/2006a">/);
    const protocols = blocks(xml, "Protocol").map((p) => [p.Type, p.Server, p.Port, p.SSL, p.AuthRequired]);
    assert.deepEqual(protocols, [
      ["IMAP", "mail.example.com", "993", "on", "on"],
      ["SMTP", "mail.example.com", "465", "on", "on"],
    ]);
  });
});

describe("Caddyfile", () => {
  function writeAll(topo: Topology): RenderedFile[] {
    const files = renderWebFiles(cfg, webTestSecrets, topo);
    writeRendered(files, topo);
    return files;
  }

  it("Caddy 2.6 validates the local Caddyfile (internal CA, loopback)", () => {
    const topo = localTopology(tempDir("mailstack-web-"));
    writeAll(topo);
    const r = spawnSync("caddy", ["validate", "--adapter", "caddyfile", "--config", join(topo.configDirs.caddy, "Caddyfile")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  });

  /** Caddy's own JSON for a Caddyfile (adapt parses every directive without starting anything). */
  function adapt(topo: Topology): { apps: { tls: { automation: { policies: { subjects?: string[]; issuers: Record<string, unknown>[] }[] } } } } {
    writeAll(topo);
    return JSON.parse(execFileSync("caddy", ["adapt", "--adapter", "caddyfile", "--config", join(topo.configDirs.caddy, "Caddyfile")], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }));
  }

  it("production: every name gets certificates from Let's Encrypt production only, with the ACME contact", () => {
    const dir = tempDir("mailstack-web-prod-");
    // Same files, production paths rewritten under a temp folder so nothing is written to /config.
    const topo: Topology = { ...productionTopology, configDirs: { ...productionTopology.configDirs, caddy: join(dir, "caddy") } };
    const json = adapt(topo);
    const issuers = json.apps.tls.automation.policies.flatMap((p) => p.issuers);
    assert.ok(issuers.length > 0, "no ACME issuer configured");
    for (const i of issuers) {
      assert.equal(i.module, "acme");
      assert.equal(i.ca, "https://acme-v02.api.letsencrypt.org/directory");
      assert.equal(i.email, "ops@example.com");
    }
    const servers = JSON.stringify(json);
    for (const name of ["mail.example.com", "mta-sts.example.com", "autoconfig.example.org", "autodiscover.example.org"]) {
      assert.ok(servers.includes(`"${name}"`), `${name} is not served`);
    }
  });

  it("local: certificates come from Caddy's internal CA, never from an ACME server", () => {
    const json = adapt(localTopology(tempDir("mailstack-web-")));
    const issuers = json.apps.tls.automation.policies.flatMap((p) => p.issuers);
    assert.deepEqual([...new Set(issuers.map((i) => i.module))], ["internal"]);
  });
});

describe("Roundcube config.inc.php", () => {
  function phpConfig(topo: Topology): { dsn: Record<string, string>; config: Record<string, unknown> } {
    const dir = tempDir("mailstack-rc-");
    const file = join(dir, "config.inc.php");
    writeFileSync(file, fileAt(renderWebFiles(cfg, webTestSecrets, topo), "roundcube", "config.inc.php").content, { mode: 0o600 });
    const lint = spawnSync("php", ["-l", file], { encoding: "utf8" });
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
    // Roundcube's own DSN parser, so quoting of the password is checked the way Roundcube reads it.
    const probe = join(dir, "probe.php");
    writeFileSync(
      probe,
      "<?php\nrequire '/usr/share/roundcube/program/lib/Roundcube/rcube_db.php';\ninclude $argv[1];\n" +
        "echo json_encode(['dsn' => rcube_db::parse_dsn($config['db_dsnw']), 'config' => $config]);\n",
    );
    return JSON.parse(execFileSync("php", [probe, file], { encoding: "utf8" }));
  }

  it("passes php -l and Roundcube reads the database password exactly, whatever its characters", () => {
    const { dsn } = phpConfig(productionTopology);
    assert.equal(dsn.phptype, "pgsql");
    assert.equal(dsn.hostspec, "postgres");
    assert.equal(dsn.port, "5432");
    assert.equal(dsn.username, "roundcube");
    assert.equal(dsn.database, "roundcube");
    assert.equal(dsn.password, webTestSecrets.roundcubeDbPassword);
  });

  it("production: IMAP, submission and ManageSieve over STARTTLS to the internal names, certificate checked for the mail host", () => {
    const { config } = phpConfig(productionTopology);
    assert.equal(config.imap_host, "tls://dovecot:143");
    assert.equal(config.smtp_host, "tls://postfix:587");
    assert.equal(config.managesieve_host, "tls://dovecot:4190");
    for (const k of ["imap_conn_options", "smtp_conn_options", "managesieve_conn_options"]) {
      assert.deepEqual(config[k], {
        ssl: { verify_peer: true, verify_peer_name: true, peer_name: "mail.example.com", cafile: "/etc/ssl/certs/ca-certificates.crt" },
      });
    }
    assert.deepEqual(config.plugins, ["archive", "managesieve"]);
    assert.equal(config.des_key, webTestSecrets.roundcubeDesKey);
    assert.equal(config.username_domain, "example.com");
    assert.equal(config.support_url, "mailto:ops@example.com");
  });

  it("local: loopback ports, and the certificate is checked against Caddy's local root", () => {
    const topo = localTopology("/tmp/mailstack-state");
    const { dsn, config } = phpConfig(topo);
    assert.equal(`${dsn.hostspec}:${dsn.port}`, "127.0.0.1:15432");
    assert.equal(config.imap_host, "tls://127.0.0.1:10143");
    assert.equal(config.smtp_host, "tls://127.0.0.1:10587");
    assert.equal(config.managesieve_host, "tls://127.0.0.1:14190");
    assert.equal((config.imap_conn_options as { ssl: { cafile: string } }).ssl.cafile, "/tmp/mailstack-state/caddy/local-root.crt");
  });

  it("is the only web file with secrets, marked secret and not world-readable", () => {
    for (const f of prodFiles) {
      const holdsSecret = [webTestSecrets.roundcubeDesKey, "rc'pa"].some((s) => f.content.includes(s));
      assert.equal(f.secret, holdsSecret, `${f.service}/${f.path} secret flag`);
      if (f.secret) assert.equal(f.mode & 0o007, 0, `${f.path} is world-readable`);
    }
    assert.equal(prodFiles.filter((f) => f.secret).length, 1);
  });

  it("refuses a des_key Roundcube would reject", () => {
    assert.throws(() => renderWebFiles(cfg, { ...webTestSecrets, roundcubeDesKey: "short" }, productionTopology), /exactly 24 characters/);
  });
});
