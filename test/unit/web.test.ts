// The web front as a client, a receiving MTA and an operator see it in the rendered files: the
// MTA-STS policy nginx serves is the one whose id is in DNS, the autoconfiguration documents
// name the ports clients dial, every web name is answered with its own certificate, Roundcube's
// config, logs and PHP sources are never served, certbot asks the right CA for exactly the
// certificates the stack needs, and Roundcube's config carries the right endpoints and limits.
// The daemons' own checkers run on these files in test/images/web.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { localWebmailHost, localWebmailUrl, webCertificates } from "../../components/core/containers/certificates";
import { containerSpecs } from "../../components/core/containers/containerSpecs";
import { imagePlans } from "../../components/core/containers/images";
import { ACME_CA_DOMAIN, mtaStsPolicy } from "../../components/core/dns/dnsRecords";
import { certbotFiles } from "../../components/core/render/certbot";
import { MESSAGE_SIZE_LIMIT, UPLOAD_REQUEST_LIMIT } from "../../components/core/render/limits";
import { nginxFiles } from "../../components/core/render/nginx";
import { postfixFiles } from "../../components/core/render/postfix";
import type { RenderedFile } from "../../components/core/render/render";
import { ROUNDCUBE_SCRIPT, roundcubeFiles } from "../../components/core/render/roundcube";
import { LETS_ENCRYPT_DIRECTORY, localTopology, productionTopology, type Topology } from "../../components/core/topology";
import { all, fileAt, locationOf, nginxServers, one, parseNginx, serverFor, webTestConfig, webTestSecrets, type Directive } from "./webFixture";

const cfg = webTestConfig();
const local = localTopology("/tmp/mailstack-state");
const topologies: [string, Topology][] = [
  ["production", productionTopology],
  ["local", local],
];
/** The web front's files: nginx, Roundcube and certbot. */
const render = (topo: Topology) => [nginxFiles, roundcubeFiles, certbotFiles].flatMap((f) => f(cfg, webTestSecrets, topo));
const prodFiles = render(productionTopology);

/** The rendered file a container path under nginx's config dir points at. */
function nginxFileAt(files: RenderedFile[], topo: Topology, containerPath: string): RenderedFile {
  const prefix = `${topo.configDirs.nginx}/`;
  assert.ok(containerPath.startsWith(prefix), `${containerPath} is outside nginx's config dir`);
  return fileAt(files, "nginx", containerPath.slice(prefix.length));
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

const arg = (ds: Directive[] | undefined, name: string) => one(ds, name).args.join(" ");
/** nginx.conf of the production stack, parsed. */
const parseMain = (): Directive[] => parseNginx(fileAt(prodFiles, "nginx", "nginx.conf").content);

describe("MTA-STS policy served by nginx", () => {
  for (const d of cfg.domains) {
    it(`mta-sts.${d.name} serves, as text/plain, exactly the policy whose id is in DNS`, () => {
      const server = serverFor(nginxServers(prodFiles, productionTopology.configDirs.nginx), 443, `mta-sts.${d.name}`);
      const loc = locationOf(server, "=", "/.well-known/mta-sts.txt");
      assert.equal(nginxFileAt(prodFiles, productionTopology, arg(loc.block, "alias")).content, mtaStsPolicy(cfg, d));
      assert.match(arg(loc.block, "default_type"), /^text\/plain/);
      assert.deepEqual(one(loc.block, "types").block, [], "the extension must not pick another type");
    });
  }

  it("names the mail host as the only MX and carries each domain's mode and max_age (RFC 8461 3.2)", () => {
    const com = fileAt(prodFiles, "nginx", "documents/example.com/mta-sts.txt").content;
    const org = fileAt(prodFiles, "nginx", "documents/example.org/mta-sts.txt").content;
    assert.equal(com, "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 2592000\r\n");
    // Default: testing for 7 days (604800 s).
    assert.match(org, /^version: STSv1\r\nmode: testing\r\nmx: mail\.example\.com\r\nmax_age: 604800\r\n$/);
  });
});

describe("mail client autoconfiguration", () => {
  it("Thunderbird's config-v1.1.xml offers IMAP 993 SSL and 143 STARTTLS, SMTP 465 SSL and 587 STARTTLS on the mail host", () => {
    const server = serverFor(nginxServers(prodFiles, productionTopology.configDirs.nginx), 443, "autoconfig.example.org");
    const loc = locationOf(server, "=", "/mail/config-v1.1.xml");
    const xml = nginxFileAt(prodFiles, productionTopology, arg(loc.block, "alias")).content;
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

  it("the local stack's autoconfig points clients at the published high ports, not the container ports", () => {
    const xml = fileAt(render(local), "nginx", "documents/example.com/config-v1.1.xml").content;
    const ports = [...blocks(xml, "incomingServer"), ...blocks(xml, "outgoingServer")].map((s) => s.port);
    assert.deepEqual(ports, ["10993", "10143", "10465", "10587"]);
  });

  it("Outlook's autodiscover.xml (POX) answers IMAP 993 and SMTP 465 with SSL on, for a POST in any letter case", () => {
    const server = serverFor(nginxServers(prodFiles, productionTopology.configDirs.nginx), 443, "autodiscover.example.com");
    const matcher = all(server.block, "location").find((l) => l.args[0] === "~*");
    assert.ok(matcher, "no case-insensitive location");
    assert.ok(new RegExp(matcher.args[1], "i").test("/Autodiscover/Autodiscover.xml"));
    const target = one(matcher.block, "rewrite").args[1];
    const doc = locationOf(server, "=", target);
    // nginx answers POST to a static file with 405: turned into an internal GET of the document.
    assert.deepEqual(one(doc.block, "error_page").args, ["405", "=200", target]);
    const xml = nginxFileAt(prodFiles, productionTopology, arg(doc.block, "alias")).content;
    assert.match(xml, /<Autodiscover xmlns="http:\/\/schemas\.microsoft\.com\/exchange\/autodiscover\/responseschema\/2006">/);
    assert.match(xml, /<Response xmlns="http:\/\/schemas\.microsoft\.com\/exchange\/autodiscover\/outlook\/responseschema\/2006a">/);
    const protocols = blocks(xml, "Protocol").map((p) => [p.Type, p.Server, p.Port, p.SSL, p.AuthRequired]);
    assert.deepEqual(protocols, [
      ["IMAP", "mail.example.com", "993", "on", "on"],
      ["SMTP", "mail.example.com", "465", "on", "on"],
    ]);
  });
});

describe("nginx", () => {
  for (const [kind, topo] of topologies) {
    it(`${kind}: every web name is answered on 443 with its own certificate from the TLS folder`, () => {
      const servers = nginxServers(render(topo), topo.configDirs.nginx);
      for (const cert of webCertificates(cfg, topo)) {
        for (const name of cert.names) {
          const s = serverFor(servers, 443, name);
          assert.ok(all(s.block, "server_name").some((d) => d.args.includes(name)), `${name} only reaches the default server`);
          assert.equal(arg(s.block, "ssl_certificate"), `${topo.paths.tlsDir}/${cert.name}/fullchain.pem`, name);
          assert.equal(arg(s.block, "ssl_certificate_key"), `${topo.paths.tlsDir}/${cert.name}/privkey.pem`, name);
        }
      }
    });

    it(`${kind}: a bare address or unknown name gets the webmail with the mail host's certificate`, () => {
      const s = serverFor(nginxServers(render(topo), topo.configDirs.nginx), 443, "203.0.113.7");
      assert.ok(all(s.block, "server_name")[0].args.includes(cfg.hostname));
      assert.equal(arg(s.block, "ssl_certificate"), `${topo.paths.tlsDir}/mail/fullchain.pem`);
    });
  }

  it("writes one server file per mail domain, which nginx.conf includes", () => {
    for (const [, topo] of topologies) {
      const names = nginxFiles(cfg, webTestSecrets, topo).map((f) => f.path);
      assert.deepEqual(names.filter((n) => n.startsWith("servers/")).sort(), ["servers/example.com.conf", "servers/example.org.conf"]);
      const http = one(parseNginx(fileAt(render(topo), "nginx", "nginx.conf").content), "http").block;
      assert.ok(all(http, "include").some((i) => i.args[0] === `${topo.configDirs.nginx}/servers/*.conf`));
    }
  });

  it("the local webmail URL names the mail host under .localhost, which the mail certificate covers", () => {
    assert.equal(localWebmailHost(cfg), "mail.example.com.localhost");
    assert.equal(localWebmailUrl(cfg, local), "https://mail.example.com.localhost:10443/");
    assert.deepEqual(webCertificates(cfg, local)[0], { name: "mail", names: ["mail.example.com", "mail.example.com.localhost"] });
    assert.deepEqual(webCertificates(cfg, productionTopology)[0], { name: "mail", names: ["mail.example.com"] });
  });

  it("only the local stack's nginx has the web names as network aliases (pebble resolves them to it)", () => {
    const plans = imagePlans(productionTopology, "");
    const aliases = (topo: Topology) => containerSpecs(cfg, topo, plans).find((s) => s.service === "nginx")?.networks.find((n) => n.name.endsWith("web"))?.aliases;
    assert.deepEqual(aliases(productionTopology), ["nginx"]);
    assert.deepEqual(aliases(local), ["nginx", ...webCertificates(cfg, local).flatMap((c) => c.names)]);
    assert.ok(aliases(local)?.includes("mail.example.com.localhost"));
  });

  it("serves webmail on the mail host with HSTS, PHP only as Roundcube's own index.php, through a resolver", () => {
    const servers = nginxServers(prodFiles, productionTopology.configDirs.nginx);
    const s = serverFor(servers, 443, "mail.example.com");
    assert.ok(all(s.block, "add_header").some((h) => h.args[0] === "Strict-Transport-Security" && /^max-age=\d{8}$/.test(h.args[1])));
    assert.equal(arg(s.block, "root"), `${productionTopology.paths.roundcubePublic}/current`);
    const php = locationOf(s, "=", "/index.php");
    assert.ok(all(php.block, "fastcgi_param").some((p) => p.args[0] === "SCRIPT_FILENAME" && p.args[1] === ROUNDCUBE_SCRIPT));
    // A variable in fastcgi_pass makes nginx look Roundcube up at request time, not at start.
    assert.equal(arg(php.block, "fastcgi_pass"), "$roundcube_fpm");
    assert.deepEqual(one(s.block, "set").args, ["$roundcube_fpm", "roundcube:9000"]);
    const http = one(parseMain(), "http").block;
    assert.ok(all(http, "include").some((i) => i.args[0] === "/etc/nginx/mailstack-resolver.conf"));
  });

  it("never serves Roundcube's config, logs, temp files, SQL, scripts, installer, dot-files or PHP sources", () => {
    const s = serverFor(nginxServers(prodFiles, productionTopology.configDirs.nginx), 443, "mail.example.com");
    const regexes = all(s.block, "location").filter((l) => l.args[0] === "~" || l.args[0] === "~*");
    const denied = (path: string) => regexes.some((l) => new RegExp(l.args[1], l.args[0] === "~*" ? "i" : "").test(path) && arg(l.block, "return") === "404");
    for (const path of ["/config/config.inc.php", "/config/", "/logs/errors.log", "/temp/x", "/SQL/postgres.initial.sql", "/bin/update.sh", "/installer/index.php", "/.htaccess", "/plugins/x/.git/config", "/program/include/iniset.php", "/plugins/managesieve/config.inc.php", "/program/localization/en_US/labels.inc"]) {
      assert.ok(denied(path), `${path} is not denied`);
    }
    for (const path of ["/skins/elastic/styles/styles.min.css", "/program/js/app.min.js", "/plugins/jqueryui/js/jquery-ui.min.js"]) assert.ok(!denied(path), `${path} is denied`);
  });

  it("port 80 serves only ACME challenges from certbot's webroot and redirects the rest to HTTPS on the published port", () => {
    for (const [, topo] of topologies) {
      const s = serverFor(nginxServers(render(topo), topo.configDirs.nginx), 80, "mail.example.com");
      assert.equal(arg(locationOf(s, "^~", "/.well-known/acme-challenge/").block, "root"), topo.paths.acmeWebroot);
      const port = topo.ports.https === 443 ? "" : `:${topo.ports.https}`;
      assert.equal(arg(locationOf(s, "/").block, "return"), `308 https://$host${port}$request_uri`);
    }
  });

  it("offers TLS 1.2 and 1.3 only, AEAD ciphers only, no session tickets", () => {
    const http = one(parseMain(), "http").block;
    assert.equal(arg(http, "ssl_protocols"), "TLSv1.2 TLSv1.3");
    for (const c of arg(http, "ssl_ciphers").split(":")) assert.match(c, /^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
    assert.equal(arg(http, "ssl_session_tickets"), "off");
  });

  it("takes an upload as large as PHP does, and that holds a whole message", () => {
    const http = one(parseMain(), "http").block;
    const fpm = fileAt(prodFiles, "roundcube", "php-fpm.conf").content;
    assert.equal(arg(http, "client_max_body_size"), String(UPLOAD_REQUEST_LIMIT));
    assert.match(fpm, new RegExp(`^php_admin_value\\[post_max_size\\] = ${UPLOAD_REQUEST_LIMIT}$`, "m"));
    assert.ok(UPLOAD_REQUEST_LIMIT > MESSAGE_SIZE_LIMIT);
  });
});

describe("certbot", () => {
  /** certbot's cli.ini as key → value. */
  const cliIni = (files: RenderedFile[]) =>
    Object.fromEntries(
      fileAt(files, "certbot", "cli.ini")
        .content.split("\n")
        .filter((l) => /^[a-z]/.test(l))
        .map((l) => l.split(/\s*=\s*/, 2) as [string, string]),
    );
  const directives = (files: RenderedFile[]) =>
    fileAt(files, "certbot", "mailstack.conf")
      .content.split("\n")
      .filter((l) => l !== "" && !l.startsWith("#"))
      .map((l) => l.split(" "));

  for (const [kind, topo] of topologies) {
    it(`${kind}: asks for exactly the stack's certificates, each under its name, with all its names`, () => {
      const wanted = webCertificates(cfg, topo).map((c) => ["certificate", c.name, ...c.names]);
      assert.deepEqual(directives(render(topo)).filter((d) => d[0] === "certificate"), wanted);
    });

    it(`${kind}: puts challenges where nginx serves them and probes nginx on the service network first`, () => {
      const files = render(topo);
      assert.equal(cliIni(files)["webroot-path"], topo.paths.acmeWebroot);
      assert.equal(cliIni(files).authenticator, "webroot");
      const probe = directives(files).find((d) => d[0] === "webroot-url");
      assert.deepEqual(probe, ["webroot-url", "http://nginx:80/.well-known/acme-challenge/"]);
    });
  }

  it("production: Let's Encrypt production only (the CA the CAA records allow), never staging, no test CA", () => {
    const ini = cliIni(prodFiles);
    assert.equal(ini.server, LETS_ENCRYPT_DIRECTORY);
    assert.doesNotMatch(ini.server, /staging/);
    assert.ok(new URL(ini.server).hostname.endsWith(`.${ACME_CA_DOMAIN}`), "CAA allows only letsencrypt.org");
    assert.equal(ini.email, "ops@example.com");
    assert.equal(ini["keep-until-expiring"], "true");
    assert.equal(ini.expand, "true");
    assert.equal(directives(prodFiles).find((d) => d[0] === "test-ca"), undefined);
  });

  it("local: pebble's directory, trusting pebble's published TLS certificate", () => {
    const files = render(local);
    assert.equal(cliIni(files).server, local.acme.directory);
    assert.deepEqual(directives(files).find((d) => d[0] === "test-ca"), ["test-ca", "/etc/mailstack-test-ca/pebble-tls.pem", "/etc/mailstack-test-ca/pebble-root.pem"]);
  });

  it("refuses a production topology pointed at any other CA", () => {
    const staging: Topology = { ...productionTopology, acme: { issuer: "letsencrypt", directory: "https://acme-staging-v02.api.letsencrypt.org/directory" } };
    assert.throws(() => certbotFiles(cfg, webTestSecrets, staging), /must use Let's Encrypt production/);
    assert.throws(() => certbotFiles(cfg, webTestSecrets, { ...productionTopology, acme: local.acme }), /must use Let's Encrypt production/);
  });
});

describe("Roundcube config.inc.php", () => {
  /** `$config['key'] = '...'` string values, unescaped as PHP reads single-quoted strings. */
  function phpStrings(php: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const m of php.matchAll(/^\$config\['(\w+)'\] = '((?:[^'\\]|\\.)*)';$/gm)) out[m[1]] = m[2].replace(/\\([\\'])/g, "$1");
    return out;
  }
  const config = (topo: Topology) => fileAt(render(topo), "roundcube", "config.inc.php").content;

  it("carries the database password exactly, percent-encoded inside the DSN", () => {
    const dsn = new URL(phpStrings(config(productionTopology)).db_dsnw);
    assert.equal(dsn.protocol, "pgsql:");
    assert.equal(`${dsn.hostname}:${dsn.port}`, "postgres:5432");
    assert.equal(dsn.username, "roundcube");
    assert.equal(decodeURIComponent(dsn.password), webTestSecrets.roundcubeDbPassword);
    assert.equal(dsn.pathname, "/roundcube");
  });

  for (const [kind, topo] of topologies) {
    it(`${kind}: IMAP, submission and ManageSieve over STARTTLS to the service names, certificate checked for the mail host`, () => {
      const php = config(topo);
      const s = phpStrings(php);
      assert.equal(s.imap_host, "tls://dovecot:143");
      assert.equal(s.smtp_host, "tls://postfix:587");
      assert.equal(s.managesieve_host, "tls://dovecot:4190");
      assert.match(php, /'verify_peer' => true,\s*'verify_peer_name' => true,\s*'peer_name' => 'mail\.example\.com',/);
      assert.ok(php.includes(`'cafile' => '${topo.paths.webmailTrustedCa}'`));
      for (const k of ["imap_conn_options", "smtp_conn_options", "managesieve_conn_options"]) assert.ok(php.includes(`$config['${k}'] = $mailTls;`), k);
    });
  }

  it("checks the mail certificate against the system CAs in production and against pebble's root locally", () => {
    assert.equal(productionTopology.paths.webmailTrustedCa, "/etc/ssl/certs/ca-certificates.crt");
    assert.equal(local.paths.webmailTrustedCa, "/etc/mailstack-test-ca/pebble-root.pem");
  });

  it("enables archive, managesieve, zipdownload and the client-address plugin; logins default to the first domain", () => {
    const php = config(productionTopology);
    assert.match(php, /^\$config\['plugins'\] = \['archive', 'mailstack_client_ip', 'managesieve', 'password', 'zipdownload'\];$/m);
    // No XCLIENT: it would let the webmail claim any login at Postfix.
    assert.doesNotMatch(php, /^\$config\['smtp_xclient/m);
    assert.match(php, /^\$config\['log_logins'\] = true;$/m);
    // Users change their password through the mail database's one function, as role mailpassword.
    assert.match(php, /^\$config\['password_query'\] = 'SELECT 1 WHERE mailstack_set_password\(%u, %o, %P\)';$/m);
    assert.match(php, /^\$config\['password_db_dsn'\] = 'pgsql:\/\/mailpassword:[^@]+@postgres:5432\/mail';$/m);
    assert.match(php, /^\$config\['password_algorithm'\] = 'blowfish-crypt';$/m);
    const s = phpStrings(php);
    assert.equal(s.des_key, webTestSecrets.roundcubeDesKey);
    assert.equal(s.username_domain, "example.com");
    assert.equal(s.support_url, "mailto:ops@example.com");
  });

  it("accepts the same largest message as Postfix", () => {
    const main = fileAt(postfixFiles(cfg, webTestSecrets, productionTopology), "postfix", "main.cf").content;
    assert.match(main, new RegExp(`^message_size_limit = ${MESSAGE_SIZE_LIMIT}$`, "m"));
    assert.match(config(productionTopology), new RegExp(`^\\$config\\['max_message_size'\\] = ${MESSAGE_SIZE_LIMIT};$`, "m"));
  });

  it("is the only web file with secrets: marked secret, readable by its group at most", () => {
    const web = prodFiles.filter((f) => ["nginx", "roundcube", "certbot"].includes(f.service));
    for (const f of web) {
      const holdsSecret =
        [webTestSecrets.roundcubeDesKey, "rc'pa", "mp'pa"].some((s) => f.content.includes(s)) ||
        [webTestSecrets.roundcubeDbPassword, webTestSecrets.mailPasswordDbPassword].some((p) => f.content.includes(encodeURIComponent(p)));
      assert.equal(f.secret, holdsSecret, `${f.service}/${f.path} secret flag`);
      if (f.secret) assert.equal(f.mode, 0o640, `${f.path} mode`);
    }
    assert.deepEqual(web.filter((f) => f.secret).map((f) => `${f.service}/${f.path}`), ["roundcube/config.inc.php"]);
  });

  it("refuses a des_key Roundcube would reject", () => {
    assert.throws(() => roundcubeFiles(cfg, { ...webTestSecrets, roundcubeDesKey: "short" }, productionTopology), /exactly 24 characters/);
  });
});

describe("Roundcube PHP-FPM pool", () => {
  const fpm = fileAt(prodFiles, "roundcube", "php-fpm.conf").content;

  it("listens on the FastCGI port nginx uses, with no allowed_clients (an address list would lock out a restarted nginx)", () => {
    assert.match(fpm, /^listen = 9000$/m);
    assert.doesNotMatch(fpm, /^listen\.allowed_clients/m);
    assert.match(fpm, /^security\.limit_extensions = \.php$/m);
  });
});
