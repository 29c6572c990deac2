// How the production containers use the rendered files, as the mock engine sees the stack: the
// database is set up (roles, schema, mailboxes) after PostgreSQL answers and before Roundcube,
// PostgreSQL runs with the rendered postgresql.conf, Roundcube reads its config where the image
// looks, Caddy and Roundcube share the web root, and Postfix and Dovecot get the TLS folder and
// start only after the certificate hook has run once.
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

  it("runs PostgreSQL with the rendered postgresql.conf and without the image's one-time init scripts", () => {
    const pg = container("postgres");
    assert.deepEqual(pg.inputs.command, ["postgres", "-c", "config_file=/config/postgresql.conf"]);
    assert.deepEqual(mountAt("postgres", "/config"), { type: "bind", source: "/srv/mail/config/postgres", target: "/config", readOnly: true });
    assert.equal(mountAt("postgres", "/docker-entrypoint-initdb.d"), undefined);
    assert.ok((pg.inputs.envs as string[]).includes("PGDATA=/var/lib/postgresql/data"));
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

  it("gives Roundcube its config where the image reads it, the database settings, and no password in its environment", () => {
    assert.deepEqual(mountAt("roundcube", "/var/roundcube/config"), {
      type: "bind",
      source: "/srv/mail/config/roundcube",
      target: "/var/roundcube/config",
      readOnly: true,
    });
    const env = container("roundcube").inputs.envs as string[];
    for (const e of ["ROUNDCUBEMAIL_DB_TYPE=pgsql", "ROUNDCUBEMAIL_DB_HOST=postgres", "ROUNDCUBEMAIL_DB_USER=roundcube", "ROUNDCUBEMAIL_DB_NAME=roundcube"]) {
      assert.ok(env.includes(e), `${e} in ${env.join(" ")}`);
    }
    assert.ok(!env.some((e) => /PASSWORD/.test(e)), env.join(" "));
    // Roundcube creates its tables at start: its role and database must exist by then.
    assert.ok(container("roundcube").options.dependencies.includes("mailbox-sync"));
  });

  it("pushes config.inc.php 0640 root:www-data so PHP (gid 33) can read it and nobody else", () => {
    const script = String(command("push-config-roundcube").inputs.stdin).split("\n");
    const mv = script.findIndex((l) => l.endsWith('"$dir/config.inc.php"'));
    assert.ok(mv > 0);
    assert.deepEqual(script.slice(mv - 2, mv).map((l) => l.split(" ").slice(0, 2).join(" ")), ["chown 0:33", "chmod 0640"]);
  });

  it("shares Roundcube's web root with Caddy read-only at the same path", () => {
    const rc = mountAt("roundcube", "/var/www/html");
    const caddy = mountAt("caddy", "/var/www/html");
    assert.ok(rc && caddy);
    assert.equal(caddy.source, rc.source);
    assert.equal(rc.readOnly, false, "the roundcube entrypoint populates it");
    assert.equal(caddy.readOnly, true);
  });

  it("gives Caddy its storage at /data, its config at /config and only TCP 80 and 443", () => {
    assert.equal(mountAt("caddy", "/data")?.source, "/srv/mail/caddy");
    assert.deepEqual(mountAt("caddy", "/config"), { type: "bind", source: "/srv/mail/config/caddy", target: "/config", readOnly: true });
    assert.equal(mountAt("caddy", "/etc/mail-tls"), undefined, "the hook on the host copies certificates, not Caddy");
    const ports = container("caddy").inputs.ports as { external: number; protocol: string }[];
    assert.deepEqual([...new Set(ports.map((p) => `${p.external}/${p.protocol}`))].sort(), ["443/tcp", "80/tcp"]);
  });

  it("mounts the TLS folder (never the files) read-only into Postfix and Dovecot, after the certificate hook ran", () => {
    for (const name of ["postfix", "dovecot"]) {
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
