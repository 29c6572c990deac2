// The resource graph of one customer's stack under the mock engine: what gets created, with which
// options, and that the parts an operator relies on (protected volume, pinned host key, no
// published database port, one PTR per address) are really there.
import assert from "node:assert/strict";
import { beforeAll, describe, it } from "@jest/globals";
import { evaluate, type Evaluation, type RegisteredResource } from "./harness/types";
import { prodConfig, request } from "./fixtures";

let ev: Evaluation;
const ofType = (t: string) => ev.resources.filter((r) => r.type === t);
const one = (t: string, name: string): RegisteredResource => {
  const r = ev.resources.find((x) => x.type === t && x.name === name);
  assert.ok(r, `no ${t} named ${name}; have ${ofType(t).map((x) => x.name).join(", ")}`);
  return r;
};

describe("the example customer's stack", () => {
  beforeAll(() => {
    ev = evaluate(request(prodConfig()));
    assert.ok(ev.ok, ev.error);
  });

  it("keeps the mail volume on protect and on delete, and never rebuilds the server for user data", () => {
    const volume = one("hcloud:index/volume:Volume", "mail-data");
    assert.equal(volume.options.protect, true);
    assert.equal(volume.options.retainOnDelete, true);
    assert.equal(volume.inputs.size, 50);
    const server = one("hcloud:index/server:Server", "mail-host");
    assert.deepEqual([...server.options.ignoreChanges].sort(), ["sshKeys", "userData"]);
    assert.equal(server.inputs.serverType, "cx23");
    assert.ok(server.secretInputs.includes("userData"), "user data holds the SSH host private key");
  });

  it("keeps both primary IPs across rebuilds and points both PTRs at the mail host", () => {
    for (const ip of ofType("hcloud:index/primaryIp:PrimaryIp")) assert.equal(ip.inputs.autoDelete, false, ip.name);
    const ptrs = ofType("hcloud:index/rdns:Rdns");
    assert.equal(ptrs.length, 2);
    for (const p of ptrs) assert.equal(p.inputs.dnsPtr, "mail.example.com");
    const v6 = one("hcloud:index/rdns:Rdns", "ptr-ipv6");
    // The mocked /64 is 2001:db8:4:5::/64: the PTR, the AAAA and the stack output use its ::1.
    assert.equal(v6.inputs.ipAddress, "2001:db8:4:5::1");
    const aaaa = one("cloudflare:index/dnsRecord:DnsRecord", "dns-mail.example.com-aaaa");
    assert.equal(aaaa.inputs.content, "2001:db8:4:5::1");
    assert.equal(ev.outputs.ipv6.value, "2001:db8:4:5::1");
  });

  it("opens SSH only to the configured ranges and the mail and web ports to everyone", () => {
    const fw = one("hcloud:index/firewall:Firewall", "mail-host");
    const rules = fw.inputs.rules as { port?: string; protocol: string; sourceIps: string[] }[];
    const ssh = rules.find((r) => r.port === "22");
    assert.deepEqual(ssh?.sourceIps, ["2001:db8:100::/48", "203.0.113.0/24"]);
    const open = rules.filter((r) => r.sourceIps.includes("0.0.0.0/0") && r.sourceIps.includes("::/0") && r.protocol === "tcp");
    assert.deepEqual(open.map((r) => Number(r.port)).sort((a, b) => a - b), [25, 80, 143, 443, 465, 587, 993, 4190]);
    assert.ok(rules.some((r) => r.protocol === "icmp"));
  });

  it("writes every DNS record unproxied with a TTL, one MX per domain to the mail host", () => {
    const records = ofType("cloudflare:index/dnsRecord:DnsRecord");
    for (const r of records) {
      assert.equal(r.inputs.proxied, false, r.name);
      assert.equal(typeof r.inputs.ttl, "number", r.name);
    }
    const mx = records.filter((r) => r.inputs.type === "MX");
    assert.deepEqual(mx.map((r) => r.inputs.name).sort(), ["example.com", "example.org"]);
    for (const r of mx) assert.equal(r.inputs.content, "mail.example.com");
    const dkim = records.filter((r) => String(r.inputs.name).startsWith("mail2026._domainkey."));
    assert.equal(dkim.length, 2);
    for (const r of dkim) assert.match(String(r.inputs.content), /^"v=DKIM1; k=rsa; h=sha256; p=[A-Za-z0-9+/=]+"/);
    for (const r of records.filter((x) => x.inputs.type === "SRV" || x.inputs.type === "CAA")) {
      assert.equal(typeof r.inputs.data, "object", `${r.name} carries its value in data`);
    }
  });

  it("generates an RSA 2048 DKIM key per domain and ED25519 deploy and host keys", () => {
    const keys = ofType("tls:index/privateKey:PrivateKey");
    const rsa = keys.filter((k) => k.inputs.algorithm === "RSA");
    assert.deepEqual(rsa.map((k) => k.name).sort(), ["dkim-mail2026-example.com", "dkim-mail2026-example.org"]);
    for (const k of rsa) assert.equal(k.inputs.rsaBits, 2048);
    assert.equal(keys.filter((k) => k.inputs.algorithm === "ED25519").length, 2);
  });

  it("runs every container with restart, health check, delete-before-replace and a config hash label", () => {
    const containers = ofType("docker:index/container:Container");
    assert.deepEqual(containers.map((c) => c.name).sort(), ["certbot", "dovecot", "fail2ban", "nginx", "postfix", "postgres", "roundcube", "rspamd", "unbound", "valkey"]);
    for (const c of containers) {
      assert.equal(c.options.deleteBeforeReplace, true, c.name);
      assert.equal(c.inputs.restart, "unless-stopped", c.name);
      assert.ok(((c.inputs.healthcheck as { tests: string[] }).tests ?? []).length > 0, c.name);
      const labels = c.inputs.labels as { label: string; value: string }[];
      assert.match(labels.find((l) => l.label === "org.mailstack.config-hash")?.value ?? "", /^[0-9a-f]{64}$/, c.name);
      for (const m of c.inputs.mounts as { source: string }[]) assert.match(m.source, /^\/srv\/mail\//, c.name);
    }
  });

  it("publishes only the public mail and web ports, never PostgreSQL, Valkey or the Rspamd controller", () => {
    const published = (name: string) =>
      [...new Set(((one("docker:index/container:Container", name).inputs.ports as { external: number }[] | undefined) ?? []).map((p) => p.external))].sort((a, b) => a - b);
    assert.deepEqual(published("postfix"), [25, 465, 587]);
    assert.deepEqual(published("dovecot"), [143, 993, 4190]);
    assert.deepEqual(published("nginx"), [80, 443]);
    for (const internal of ["postgres", "valkey", "rspamd", "roundcube", "certbot", "fail2ban"]) assert.deepEqual(published(internal), [], internal);
  });

  it("runs only our own images, built on the VM from the debootstrap base, and pulls nothing", () => {
    assert.deepEqual(ofType("docker:index/remoteImage:RemoteImage"), [], "no image comes from a registry");
    const base = one("command:remote:Command", "build-image-base");
    assert.match(String(base.inputs.stdin), /debootstrap --variant=minbase trixie /);
    for (const c of ofType("docker:index/container:Container")) {
      const image = String(c.inputs.image);
      assert.match(image, new RegExp(`^mailstack/${c.name}:[0-9a-f]{12}$`), c.name);
      const build = one("command:remote:Command", `build-image-${c.name}`);
      // The build's trigger is the tag itself: a new tag (new Dockerfile, new packages.lock
      // section) rebuilds exactly this image.
      assert.ok((build.inputs.triggers as string[]).includes(image), c.name);
      assert.match(String(build.inputs.stdin), new RegExp(`docker build .*--tag '${image.replace(/[/]/g, "\\/")}'`), c.name);
      assert.ok(build.options.dependencies.includes("build-image-base"), `${c.name} builds FROM the base`);
      assert.ok(c.options.dependencies.includes(`build-image-${c.name}`), `${c.name} waits for its image`);
    }
  });

  it("pins the VM's host key on every SSH command and keeps pushed files off the logs", () => {
    const commands = ofType("command:remote:Command");
    for (const c of commands) {
      const conn = c.inputs.connection as { hostKey?: string; user?: string };
      assert.match(conn.hostKey ?? "", /^ssh-ed25519 /, `${c.name} pins the host key`);
    }
    const pushes = commands.filter((c) => c.name.startsWith("push-config-"));
    assert.equal(pushes.length, 10);
    for (const c of [...pushes, one("command:remote:Command", "mailbox-sync")]) {
      assert.equal(c.inputs.logging, "none", c.name);
      assert.ok(c.secretInputs.includes("stdin"), `${c.name} stdin is secret`);
      assert.ok(c.options.additionalSecretOutputs.includes("stdout"), c.name);
      assert.doesNotMatch(String(c.inputs.create), /MOCKSECRET|password/i, `${c.name} command line`);
    }
  });

  it("gives each mailbox its own password and exports them only as a secret", () => {
    const pw = ofType("random:index/randomPassword:RandomPassword").filter((r) => r.name.startsWith("mailbox-password-"));
    assert.equal(pw.length, 5);
    assert.equal(ev.outputs.mailboxPasswords.secret, true);
    assert.equal(Object.keys(ev.outputs.mailboxPasswords.value as object).length, 5);
    assert.equal(ev.outputs.deployPrivateKey.secret, true);
  });

  it("exports client settings and the webmail URL for the mail host", () => {
    const s = ev.outputs.clientSettings.value as Record<string, { host: string; port: number }>;
    assert.deepEqual([s.imap.host, s.imap.port, s.smtp.port, s.smtpStartTls.port], ["mail.example.com", 993, 465, 587]);
    assert.equal(ev.outputs.webmailUrl.value, "https://mail.example.com/");
  });
});

describe("a broken stack file", () => {
  it("stops the program with every problem, naming the key", () => {
    const cfg = prodConfig();
    cfg.hostname = "mail.elsewhere.net";
    cfg.mailboxes[0].address = "alice@unknown.net";
    const bad = evaluate(request(cfg));
    assert.equal(bad.ok, false);
    assert.match(bad.error ?? "", /mailstack:hostname: "mail\.elsewhere\.net" is outside every configured zone/);
    assert.match(bad.error ?? "", /mailstack:mailboxes\[0\]\.address: "alice@unknown\.net" is in the domain "unknown\.net"/);
    assert.equal(bad.resources.length, 0);
  });
});
