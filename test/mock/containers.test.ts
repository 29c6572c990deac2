// How the production containers use the rendered files, as the mock engine sees the stack: the
// database is set up (roles, schema, mailboxes) after PostgreSQL answers and before Roundcube,
// PostgreSQL keeps its cluster on the volume and no password in its environment, each push is
// checked by the daemon's own checker in its image before anything is installed, nginx serves
// Roundcube's public files and the ACME challenges certbot writes, and Postfix, Dovecot and nginx
// get the TLS folder and start only after the certificate hook has run once.
import assert from "node:assert/strict";
import { beforeAll, describe, it } from "@jest/globals";
import { evaluate, type Evaluation, type RegisteredResource } from "./harness/types";
import { prodConfig, request } from "./fixtures";

let ev: Evaluation;
const find = (t: string, name: string): RegisteredResource => {
  const r = ev.resources.find((x) => x.type === t && x.name === name);
  assert.ok(r, `no ${t} named ${name}`);
  return r;
};
const container = (name: string) => find("docker:index/container:Container", name);
const command = (name: string) => find("command:remote:Command", name);
type Mount = { source: string; target: string; readOnly?: boolean; type: string };
const mounts = (name: string) => container(name).inputs.mounts as Mount[];
const mountAt = (name: string, target: string) => mounts(name).find((m) => m.target === target);
const label = (name: string, key: string) => (container(name).inputs.labels as { label: string; value: string }[]).find((l) => l.label === key)?.value;

describe("production containers and the rendered files", () => {
  beforeAll(() => {
    ev = evaluate(request(prodConfig()));
    assert.ok(ev.ok, ev.error);
  });

  it("runs PostgreSQL with its rendered config folder, its cluster on the volume and no password in its environment", () => {
    const pg = container("postgres");
    assert.deepEqual(mountAt("postgres", "/config"), { type: "bind", source: "/srv/mail/config/postgres", target: "/config", readOnly: true });
    assert.deepEqual(mountAt("postgres", "/var/lib/postgresql/data"), { type: "bind", source: "/srv/mail/postgres", target: "/var/lib/postgresql/data", readOnly: false });
    const env = pg.inputs.envs as string[];
    assert.ok(env.includes("PGDATA=/var/lib/postgresql/data"));
    // The superuser's initial password reaches initdb as a 0640 file, never through the environment.
    assert.ok(!env.some((e) => /PASSWORD/.test(e)), env.join(" "));
    assert.equal(pg.secretInputs.length, 0, "nothing secret in the container's inputs");
  });

  it("waits for PostgreSQL, then applies roles, schema in database mail and the mailbox sync in one psql session", () => {
    const sync = command("mailbox-sync");
    const script = String(sync.inputs.create);
    assert.match(script, /until docker exec postgres pg_isready -q -h 127\.0\.0\.1 -p 5432/);
    assert.match(script, /-ge \d+ \]; then .*exit 1/, "the wait is bounded");
    const roles = script.indexOf("/srv/mail/config/postgres/roles.sql");
    const connect = script.indexOf("\\\\connect mail");
    const schema = script.indexOf("/srv/mail/config/postgres/schema.sql");
    assert.ok(roles > 0 && roles < connect && connect < schema, script);
    assert.match(script, /docker exec -i -u postgres postgres psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 -d postgres/);
    assert.doesNotMatch(script, /MOCKSECRET|PASSWORD/);
    assert.ok(sync.secretInputs.includes("stdin"));
    assert.equal(sync.inputs.logging, "none");
    assert.ok(sync.options.dependencies.includes("postgres"));
    // A changed roles.sql or schema.sql (the postgres files' hash) reruns it, as do a changed
    // mailbox set and a new server (the server id, also cloud-init-done's trigger).
    const triggers = sync.inputs.triggers as string[];
    assert.equal(triggers.length, 3);
    assert.ok(triggers.includes(String(label("postgres", "org.mailstack.config-hash"))), "postgres files hash is a trigger");
    assert.ok(triggers.includes((command("cloud-init-done").inputs.triggers as string[])[0]), "the server id is a trigger");
  });

  it("gives Roundcube its config folder read-only, no password in its environment, and starts it after the database setup", () => {
    assert.deepEqual(mountAt("roundcube", "/config"), { type: "bind", source: "/srv/mail/config/roundcube", target: "/config", readOnly: true });
    const env = (container("roundcube").inputs.envs as string[] | undefined) ?? [];
    assert.ok(!env.some((e) => /PASSWORD/.test(e)), env.join(" "));
    // Roundcube creates or upgrades its tables at start: its role and database must exist by then.
    assert.ok(container("roundcube").options.dependencies.includes("mailbox-sync"));
  });

  it("pushes config.inc.php 0640 root:www-data (PHP, gid 33, reads it; nobody else) and only after Roundcube's checker accepted it", () => {
    const script = String(command("push-config-roundcube").inputs.stdin).split("\n");
    const file = '"$stage/config.inc.php"';
    assert.ok(script.includes(`chown 0:33 ${file}`), "group www-data");
    assert.ok(script.includes(`chmod 0640 ${file}`));
    const tag = String(container("roundcube").inputs.image);
    const check = script.findIndex((l) => l.includes(`'${tag}' check`));
    const install = script.findIndex((l) => l.startsWith('(cd "$stage" && find . -type f)'));
    assert.ok(check > 0 && install > check, "the checker runs before anything is installed");
    assert.ok(command("push-config-roundcube").options.dependencies.includes("build-image-roundcube"), "its image exists before the check");
  });

  it("checks every service's files in that service's own image before installing them", () => {
    for (const svc of ["certbot", "dovecot", "nginx", "postfix", "postgres", "roundcube", "rspamd", "unbound", "valkey"]) {
      const script = String(command(`push-config-${svc}`).inputs.stdin);
      assert.ok(script.includes(`docker run --rm --network none -v "$stage:/config:ro" '${String(container(svc).inputs.image)}' check`), svc);
    }
  });

  it("shares Roundcube's public files with nginx read-only, and certbot's challenge files with nginx read-only", () => {
    const rc = mountAt("roundcube", "/srv/roundcube");
    const web = mountAt("nginx", "/srv/roundcube");
    assert.ok(rc && web);
    assert.equal(web.source, rc.source);
    assert.equal(rc.readOnly, false, "the roundcube entrypoint copies its public files there");
    assert.equal(web.readOnly, true);
    const acme = mountAt("certbot", "/srv/acme");
    const served = mountAt("nginx", "/srv/acme");
    assert.ok(acme && served);
    assert.equal(served.source, acme.source);
    assert.deepEqual([acme.readOnly, served.readOnly], [false, true]);
    assert.equal(mountAt("certbot", "/etc/letsencrypt")?.source, "/srv/mail/letsencrypt");
  });

  it("gives nginx only TCP 80 and 443, and certbot no port at all", () => {
    const ports = container("nginx").inputs.ports as { external: number; protocol: string }[];
    assert.deepEqual([...new Set(ports.map((p) => `${p.external}/${p.protocol}`))].sort(), ["443/tcp", "80/tcp"]);
    assert.deepEqual(container("certbot").inputs.ports ?? [], []);
  });

  it("mounts the TLS folder (never the files) read-only into Postfix, Dovecot and nginx, after the certificate hook ran", () => {
    for (const name of ["postfix", "dovecot", "nginx"]) {
      assert.deepEqual(mountAt(name, "/etc/mail-tls"), { type: "bind", source: "/srv/mail/tls", target: "/etc/mail-tls", readOnly: true }, name);
      assert.ok(!mounts(name).some((m) => m.source.endsWith(".pem")), name);
      assert.ok(container(name).options.dependencies.includes("install-cert-sync"), `${name} waits for the first certificate`);
    }
    const hook = command("install-cert-sync");
    assert.match(String(hook.inputs.stdin), /systemctl enable --now mailstack-sync-certs\.timer\nif ! systemctl start mailstack-sync-certs\.service; then\n/);
    assert.match((hook.inputs.triggers as string[])[0], /^[0-9a-f]{64}$/);
    assert.ok(hook.options.dependencies.includes("cloud-init-done"));
  });
});
