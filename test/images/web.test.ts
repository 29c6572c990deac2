// The web front's images doing their jobs on this machine's container engine, with the same
// container descriptions the stack uses:
//  - nginx's and Roundcube's own checkers (and certbot's config reader) accept the rendered files
//    of both topologies (test/e2e/Pulumi.e2e.yaml locally, Pulumi.prod.yaml in production), and
//    refuse a broken file;
//  - on a private network, certbot obtains every certificate of the e2e stack from pebble by
//    HTTP-01 through nginx, the certificate hook (the real script, with fake reload commands)
//    installs them, and nginx then answers each web name with its own certificate, verified
//    against pebble's root; a restarted certbot asks for nothing, a new pebble root re-issues;
//  - with PostgreSQL and Roundcube beside them, nginx serves Roundcube's login page and static
//    files (and none of its config or sources), and finds a replaced Roundcube container.
// Containers are named dev-web-test-*, on the network dev-web-test-net (198.19.201.0/24); nginx
// publishes on 127.0.0.1:21080/21443 only (shifted per MAILSTACK_INSTANCE). Everything is removed
// afterwards.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { connect as tlsConnect, type PeerCertificate } from "node:tls";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import type Docker from "dockerode";
import { localWebmailHost, webCertificates, type WebCertificate } from "../../components/core/containers/certificates";
import { containerDataDirs, containerSpecs, type ContainerSpec } from "../../components/core/containers/containerSpecs";
import { hostConfigDir, hostDir } from "../../components/core/containers/hostLayout";
import { imagePlans, type ImagePlans } from "../../components/core/containers/images";
import { mtaStsPolicy } from "../../components/core/dns/dnsRecords";
import { FILES_DIR, REPO_ROOT } from "../../components/core/paths";
import { certHookEnv } from "../../components/core/remote/certSync";
import { localInstance, localTopology, productionTopology, type ServiceName, type Topology } from "../../components/core/topology";
import { ensureImages } from "../../local/engine/buildImages";
import { onOneNetwork } from "./oneNetwork";
import { execIn, ensureNetwork, logsTail, removeContainer, removeNetwork, runOnce, startContainer } from "../../local/engine/containers";
import { connectEngine } from "../../local/engine/engine";
import { devSecrets, loadStack, renderDev, renderInto } from "../../tools/dev/renderDev";
import { tempDir } from "../unit/webFixture";

const E2E_STACK = join(REPO_ROOT, "test", "e2e", "Pulumi.e2e.yaml");
const PROD_STACK = join(REPO_ROOT, "Pulumi.prod.yaml");
// Per local instance (MAILSTACK_INSTANCE), so test runs in several checkouts never share a name
// or a port.
const INSTANCE = localInstance();
const PREFIX = `dev-web-test${INSTANCE === 0 ? "" : INSTANCE}-`;
const NETWORK = { name: `${PREFIX}net`, ipv4Subnet: `198.19.${201 + INSTANCE * 2}.0/24` };
const PUBLISHED = { http: 21080 + INSTANCE * 1000, https: 21443 + INSTANCE * 1000 };
const HOOK = join(FILES_DIR, "tls", "sync-certs.sh");
const LOOPBACK = "127.0.0.1";

let docker: Docker;
let plans: ImagePlans;
const roots: string[] = [];

beforeAll(async () => {
  docker = (await connectEngine({ install: false })).docker;
  plans = imagePlans(productionTopology);
  const which = [plans.services.nginx, plans.services.roundcube, plans.services.certbot, plans.services.postgres, plans.test.pebble];
  await ensureImages(docker, plans, { buildDir: join(REPO_ROOT, ".local", "build"), which, log: (l) => console.log(l) });
});

afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function newRoot(): string {
  const r = tempDir("mailstack-web-images-");
  roots.push(r);
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, onTimeout: () => Promise<string> = async () => ""): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) assert.fail(`${what} within ${timeoutMs / 1000}s\n${await onTimeout()}`);
    await sleep(500);
  }
}

describe("each image's own checker on the rendered files", () => {
  for (const [kind, stack] of [
    ["local", E2E_STACK],
    ["production", PROD_STACK],
  ] as const) {
    describe(`${kind} topology (${stack.slice(REPO_ROOT.length + 1)})`, () => {
      let topo: Topology;
      beforeAll(() => {
        topo = renderDev(stack, kind, newRoot());
      });
      const check = (service: ServiceName, dir = hostConfigDir(topo, service)) => runOnce(docker, plans.services[service].tag, ["check"], { binds: [`${dir}:/config:ro`] });

      it("nginx -t accepts nginx.conf and every domain's server file (throwaway certificates: none are mounted)", async () => {
        const r = await check("nginx");
        assert.equal(r.code, 0, r.stdout);
        assert.match(r.stdout, /throwaway self-signed/);
        assert.match(r.stdout, /test is successful/);
      });

      it("php -l accepts config.inc.php and php-fpm8.4 -t the pool", async () => {
        const r = await check("roundcube");
        assert.equal(r.code, 0, r.stdout);
        assert.match(r.stdout, /No syntax errors detected in \/etc\/roundcube\/config\.inc\.php/);
        assert.match(r.stdout, /test is successful/);
      });

      it("certbot reads cli.ini, and the loop accepts mailstack.conf", async () => {
        const r = await check("certbot");
        assert.equal(r.code, 0, r.stdout);
        assert.match(r.stdout, new RegExp(`OK \\(${loadStack(stack).domains.length + 1} certificates, server ${topo.acme.directory.replace(/[.]/g, "\\.")}\\)`));
      });

      it("Roundcube's own DSN parser reads the database password exactly", async () => {
        const probe = "require '/usr/share/roundcube/program/lib/Roundcube/rcube_db.php'; include '/config/config.inc.php'; echo json_encode(rcube_db::parse_dsn($config['db_dsnw']));";
        const r = await runOnce(docker, plans.services.roundcube.tag, ["-r", probe], { entrypoint: ["php"], binds: [`${hostConfigDir(topo, "roundcube")}:/config:ro`] });
        assert.equal(r.code, 0, r.stdout);
        const dsn = JSON.parse(r.stdout) as Record<string, string>;
        assert.deepEqual([dsn.phptype, dsn.hostspec, dsn.port, dsn.username, dsn.database], ["pgsql", "postgres", "5432", "roundcube", "roundcube"]);
        assert.ok(dsn.password === devSecrets(loadStack(stack)).roundcubeDbPassword, "the password Roundcube reads differs from the rendered one");
      });
    });
  }

  it("and each refuses a broken file (the checks have teeth)", async () => {
    const topo = renderDev(E2E_STACK, "local", newRoot());
    const broken = (service: ServiceName, file: string, edit: (s: string) => string) => {
      const dir = join(newRoot(), service);
      mkdirSync(dir, { recursive: true });
      execFileSync("cp", ["-a", `${hostConfigDir(topo, service)}/.`, dir]);
      writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), "utf8")));
      return runOnce(docker, plans.services[service].tag, ["check"], { binds: [`${dir}:/config:ro`] });
    };
    const nginx = await broken("nginx", "nginx.conf", (s) => s.replace("ssl_session_tickets off;", "ssl_session_tickets maybe;"));
    assert.notEqual(nginx.code, 0, nginx.stdout);
    assert.match(nginx.stdout, /ssl_session_tickets/);
    const php = await broken("roundcube", "config.inc.php", (s) => s.replace("$config['skin'] = 'elastic';", "$config['skin'] = 'elastic'"));
    assert.notEqual(php.code, 0, php.stdout);
    assert.match(php.stdout, /syntax error/i);
  });
});

describe("certificates from pebble through nginx, installed by the hook; webmail through nginx", () => {
  const cfg = loadStack(E2E_STACK);
  let topo: Topology;
  let certs: WebCertificate[];
  let reloadLog: string;
  const SERVICES = ["pebble", "nginx", "certbot", "postgres", "roundcube"] as const;
  type Svc = (typeof SERVICES)[number];
  const name = (service: Svc) => `${PREFIX}${service}`;
  const paths = () => ({ letsencrypt: hostDir(topo, "letsencrypt"), tls: hostDir(topo, "tls"), testCa: hostDir(topo, "testCa") });
  const root = () => readFileSync(join(paths().testCa, "pebble-root.pem"));
  const logs = async (...services: Svc[]) => (await Promise.all(services.map(async (s) => `${s}:\n${await logsTail(docker, name(s), 40)}`))).join("\n");

  /** The stack's own container description (the test topology names it dev-web-test-*); nginx published on 127.0.0.1 only. */
  function spec(service: Svc): ContainerSpec {
    const s = containerSpecs(cfg, topo, plans).find((x) => x.service === service);
    assert.ok(s, `no container spec for ${service}`);
    const ports: ContainerSpec["ports"] =
      service === "nginx"
        ? [
            { hostIp: LOOPBACK, hostPort: PUBLISHED.http, containerPort: 80, protocol: "tcp" },
            { hostIp: LOOPBACK, hostPort: PUBLISHED.https, containerPort: 443, protocol: "tcp" },
          ]
        : [];
    return { ...s, ports };
  }

  /** The real hook, in the environment the local runner gives it, with reloads recorded in a file (nginx gets its SIGHUP from the test). */
  function hook(): { status: number | null; stdout: string; stderr: string } {
    const reloads = { dovecot: `echo dovecot >> '${reloadLog}'`, postfix: `echo postfix >> '${reloadLog}'`, nginx: `echo nginx >> '${reloadLog}'` };
    return spawnSync("bash", [HOOK], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...certHookEnv(cfg, topo, reloads) }, encoding: "utf8" });
  }

  async function certbotDone(): Promise<void> {
    await waitFor(
      "certbot did not mark every certificate obtained (/run/mailstack-certbot-ok)",
      240_000,
      async () => ((await execIn(docker, name("certbot"), ["test", "-e", "/run/mailstack-certbot-ok"])).code === 0 ? true : undefined),
      () => logs("certbot", "nginx", "pebble"),
    );
  }

  /** The leaf nginx presents for a name (SNI), checked against pebble's root and the name. */
  function presented(servername: string | undefined): Promise<{ cert: PeerCertificate; authorized: boolean; error?: string }> {
    return new Promise((resolve, reject) => {
      const s = tlsConnect({ host: LOOPBACK, port: PUBLISHED.https, servername, ca: root(), rejectUnauthorized: false }, () => {
        const out = { cert: s.getPeerCertificate(), authorized: s.authorized, error: s.authorizationError?.toString() };
        s.end();
        resolve(out);
      });
      s.on("error", reject);
    });
  }

  /** GET over HTTPS to a name at nginx's published port, verified against pebble's root. */
  function get(host: string, path: string): Promise<{ status: number; type: string; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ host: LOOPBACK, port: PUBLISHED.https, servername: host, headers: { host }, path, ca: root(), timeout: 20_000 }, (res) => {
        let b = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (b += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body: b }));
      });
      req.on("timeout", () => req.destroy(new Error(`GET https://${host}${path}: no answer within 20 s`)));
      req.on("error", reject);
      req.end();
    });
  }

  const leafFingerprint = (file: string) => new X509Certificate(readFileSync(file)).fingerprint256;

  beforeAll(async () => {
    const r = newRoot();
    // The local topology under a temp root, with this test's container names and network (so
    // PostgreSQL's pg_hba, rendered from the topology, admits Roundcube from it).
    topo = { ...onOneNetwork(localTopology(r), NETWORK), namePrefix: PREFIX };
    renderInto(cfg, topo);
    certs = webCertificates(cfg, topo);
    reloadLog = join(r, "reloads.log");
    for (const d of containerDataDirs(topo)) {
      mkdirSync(d.path, { recursive: true });
      chownSync(d.path, d.uid, d.gid);
      chmodSync(d.path, parseInt(d.mode, 8));
    }
    for (const s of SERVICES) await removeContainer(docker, name(s), 1);
    await removeNetwork(docker, NETWORK.name);
    await ensureNetwork(docker, topo.networks.web);

    // The order the local runner follows: pebble, the hook (temporary certificates), nginx and
    // certbot; the hook again once certbot is done. Roundcube after PostgreSQL has its roles.
    await startContainer(docker, spec("pebble"), "test");
    await waitFor("pebble did not publish its root", 60_000, () => (existsSync(join(paths().testCa, "pebble-root.pem")) ? true : undefined), () => logs("pebble"));
    const first = hook();
    assert.equal(first.status, 0, first.stderr);
    await startContainer(docker, spec("nginx"), "test");
    await startContainer(docker, spec("certbot"), "test");
    await startContainer(docker, spec("postgres"), "test");
    await certbotDone();
    const second = hook();
    assert.equal(second.status, 0, second.stderr);
    if (readFileSync(reloadLog, "utf8").includes("nginx")) await docker.getContainer(name("nginx")).kill({ signal: "HUP" });
    // nginx replaces its workers asynchronously: wait until the mail certificate is certbot's.
    await waitFor("nginx did not present certbot's mail certificate after its reload", 15_000, async () => {
      const p = await presented(cfg.hostname);
      return p.cert.fingerprint256 === leafFingerprint(join(paths().tls, "mail", "fullchain.pem")) ? true : undefined;
    });

    await waitFor("PostgreSQL did not answer", 60_000, async () => ((await execIn(docker, name("postgres"), ["pg_isready", "-q", "-h", "127.0.0.1", "-U", "postgres"])).code === 0 ? true : undefined), () => logs("postgres"));
    // Roles and databases, as the deploy applies them (the file holds passwords: stdin only).
    const roles = await execIn(docker, name("postgres"), ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres"], { user: "postgres", input: readFileSync(join(hostConfigDir(topo, "postgres"), "roles.sql"), "utf8") });
    assert.equal(roles.code, 0, roles.stderr);
    await startContainer(docker, spec("roundcube"), "test");
    await waitFor("Roundcube's PHP-FPM did not listen", 90_000, async () => ((await execIn(docker, name("roundcube"), ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9000"])).code === 0 ? true : undefined), () => logs("roundcube"));
  });

  afterAll(async () => {
    for (const s of SERVICES) await removeContainer(docker, name(s), 1);
    await removeContainer(docker, `${PREFIX}filler`, 1);
    await removeNetwork(docker, NETWORK.name);
  });

  it("certbot obtained every certificate from pebble, with exactly its names, chaining to pebble's root", () => {
    for (const c of certs) {
      const live = join(paths().letsencrypt, "live", c.name);
      const leaf = new X509Certificate(readFileSync(join(live, "cert.pem")));
      const sans = (leaf.subjectAltName ?? "").split(", ").map((x) => x.replace(/^DNS:/, "")).sort();
      assert.deepEqual(sans, [...c.names].sort(), c.name);
      const v = spawnSync("openssl", ["verify", "-CAfile", join(paths().testCa, "pebble-root.pem"), "-untrusted", join(live, "chain.pem"), join(live, "cert.pem")], { encoding: "utf8" });
      assert.equal(v.status, 0, `${c.name}: ${v.stdout}${v.stderr}`);
    }
  });

  it("the hook installed each one (the same bytes certbot wrote) and asked for one reload of Dovecot, Postfix and nginx", () => {
    for (const c of certs) {
      for (const f of ["fullchain.pem", "privkey.pem"]) {
        assert.ok(readFileSync(join(paths().tls, c.name, f)).equals(readFileSync(join(paths().letsencrypt, "live", c.name, f))), `${c.name}/${f}`);
      }
    }
    assert.equal(readFileSync(reloadLog, "utf8"), "dovecot\npostfix\nnginx\n");
  });

  it("nginx answers every web name with its own certificate, valid for that name under pebble's root", async () => {
    for (const c of certs) {
      for (const n of c.names) {
        const p = await presented(n);
        assert.ok(p.authorized, `${n}: ${p.error}`);
        assert.equal(p.cert.fingerprint256, leafFingerprint(join(paths().tls, c.name, "fullchain.pem")), `${n} got another certificate`);
      }
    }
  });

  it("a client naming no host (a bare address) gets the mail host's certificate", async () => {
    const p = await presented(undefined);
    assert.equal(p.cert.fingerprint256, leafFingerprint(join(paths().tls, "mail", "fullchain.pem")));
  });

  it("serves each domain's MTA-STS policy over verified HTTPS, and redirects plain HTTP to the published HTTPS port", async () => {
    for (const d of cfg.domains) {
      const r = await get(`mta-sts.${d.name}`, "/.well-known/mta-sts.txt");
      assert.deepEqual([r.status, r.type, r.body], [200, "text/plain; charset=utf-8", mtaStsPolicy(cfg, d)]);
    }
    const redirect = await new Promise<string>((resolve, reject) => {
      httpRequest({ host: LOOPBACK, port: PUBLISHED.http, path: "/some/page?x=1", headers: { host: cfg.hostname } }, (res) => {
        res.resume();
        resolve(`${res.statusCode} ${res.headers.location}`);
      })
        .on("error", reject)
        .end();
    });
    assert.equal(redirect, `308 https://${cfg.hostname}:${topo.ports.https}/some/page?x=1`);
  });

  it("serves Roundcube's login page, with every static file it links, at the local webmail name and the mail host", async () => {
    for (const host of [localWebmailHost(cfg), cfg.hostname]) {
      const page = await get(host, "/");
      assert.equal(page.status, 200, `${host}: ${page.body.slice(0, 300)}\n${await logs("roundcube", "nginx")}`);
      assert.match(page.body, /id="rcmloginuser"/);
      const assets = [...page.body.matchAll(/(?:src|href)="((?:program|skins|plugins)\/[^"]+)"/g)].map((m) => m[1]);
      assert.ok(assets.length >= 5, `only ${assets.length} static files linked`);
      for (const a of assets) assert.equal((await get(host, `/${a}`)).status, 200, a);
    }
  });

  it("never serves Roundcube's config, logs, temp files, SQL, PHP sources or dot-files", async () => {
    for (const path of ["/config/config.inc.php", "/config/defaults.inc.php", "/logs/errors.log", "/temp/", "/SQL/postgres.initial.sql", "/program/include/iniset.php", "/plugins/managesieve/config.inc.php", "/plugins/managesieve/managesieve.php", "/.htaccess", "/installer/index.php", "/bin/update.sh"]) {
      const r = await get(cfg.hostname, path);
      assert.equal(r.status, 404, `${path} answered ${r.status}`);
      assert.doesNotMatch(r.body, /db_dsnw|des_key|<\?php/, path);
    }
  });

  it("finds a replaced Roundcube container at its new address (nginx looks it up per request)", async () => {
    const address = async () => (await docker.getContainer(name("roundcube")).inspect()).NetworkSettings.Networks[NETWORK.name]?.IPAddress;
    const before = await address();
    await removeContainer(docker, name("roundcube"), 5);
    // Another container takes the freed address, so the new Roundcube gets a different one.
    await startContainer(docker, { ...spec("nginx"), name: `${PREFIX}filler`, command: ["sleep", "600"], mounts: [], ports: [], networks: [{ name: NETWORK.name, aliases: [] }] }, "test");
    await startContainer(docker, spec("roundcube"), "test");
    const after = await address();
    assert.notEqual(after, before, "the new Roundcube container kept its address; the test proves nothing");
    // Within nginx's 10 s DNS cache a request may still go to the old address (and fail after
    // fastcgi_connect_timeout); after it, every request reaches the new container.
    await waitFor("nginx did not reach the new Roundcube container", 40_000, async () => ((await get(cfg.hostname, "/")).status === 200 ? true : undefined), () => logs("nginx", "roundcube"));
  });

  it("a restarted certbot asks pebble for nothing: every certificate is kept until it is due", async () => {
    const digest = () => createHash("sha256").update(readFileSync(join(paths().letsencrypt, "live", "mail", "cert.pem"))).digest("hex");
    const before = digest();
    await startContainer(docker, spec("certbot"), "test");
    await certbotDone();
    const log = await logsTail(docker, name("certbot"), 200);
    assert.doesNotMatch(log, /Requesting a certificate/);
    assert.equal((log.match(/not yet due for renewal; no action taken/g) ?? []).length, certs.length, log);
    assert.equal(digest(), before);
  });

  it("a new pebble (new root) makes certbot discard its state and issue everything again", async () => {
    const oldRoot = root();
    await startContainer(docker, spec("pebble"), "test");
    await waitFor("pebble did not publish a new root", 60_000, () => {
      const p = join(paths().testCa, "pebble-root.pem");
      return existsSync(p) && !readFileSync(p).equals(oldRoot) ? true : undefined;
    });
    await startContainer(docker, spec("certbot"), "test");
    await certbotDone();
    assert.match(await logsTail(docker, name("certbot"), 200), /new test CA root/);
    for (const c of certs) {
      const live = join(paths().letsencrypt, "live", c.name);
      const v = spawnSync("openssl", ["verify", "-CAfile", join(paths().testCa, "pebble-root.pem"), "-untrusted", join(live, "chain.pem"), join(live, "cert.pem")], { encoding: "utf8" });
      assert.equal(v.status, 0, `${c.name} does not chain to the new root: ${v.stdout}${v.stderr}`);
    }
  });
});
