// The alert checks that run on the mail host (files/alerts/checks/*.sh) and their runner
// (files/alerts/run-alerts.sh), run for real with stand-ins for what they read: a fake `docker`
// and `dig` on PATH, a temp folder of certificates made with openssl, a status file, a tiny disk.
// Each check must fire on the fault and stay quiet without it; the runner must mail once when a
// problem appears, stay quiet while nothing changes, mail when it is resolved, and keep retrying
// when Postfix cannot take the mail.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, it } from "@jest/globals";
import { FILES_DIR } from "../../components/core/paths";
import { parseMailConfig } from "../../components/core/config/config";
import { dnsRecords } from "../../components/core/dns/dnsRecords";
import { alertFiles } from "../../components/core/remote/alerts";

const tmp = mkdtempSync(join(tmpdir(), "mailstack-alerts-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const CHECKS = join(FILES_DIR, "alerts", "checks");
let n = 0;

/** A folder of stub commands (shell bodies), put first on PATH. */
function stubs(commands: Record<string, string>): string {
  const dir = join(tmp, `bin-${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const [cmd, body] of Object.entries(commands)) {
    writeFileSync(join(dir, cmd), `#!/bin/bash\n${body}\n`);
    chmodSync(join(dir, cmd), 0o755);
  }
  return dir;
}

function check(name: string, env: Record<string, string>, bin?: string): { code: number; out: string } {
  const r = spawnSync("bash", [join(CHECKS, `${name}.sh`)], {
    encoding: "utf8",
    env: { ...env, PATH: `${bin ? `${bin}:` : ""}${process.env.PATH}` },
  });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

function certificate(dir: string, name: string, opts: { days: number; selfSigned: boolean }): void {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const key = join(d, "privkey.pem");
  if (opts.selfSigned) {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", join(d, "fullchain.pem"), "-days", String(opts.days), "-subj", `/CN=${name}.example.com`], { stdio: "ignore" });
    return;
  }
  const ca = join(tmp, `ca-${n++}`);
  mkdirSync(ca);
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(ca, "ca.key"), "-out", join(ca, "ca.pem"), "-days", "400", "-subj", "/CN=Test CA"], { stdio: "ignore" });
  execFileSync("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", join(ca, "req.csr"), "-subj", `/CN=${name}.example.com`], { stdio: "ignore" });
  execFileSync("openssl", ["x509", "-req", "-in", join(ca, "req.csr"), "-CA", join(ca, "ca.pem"), "-CAkey", join(ca, "ca.key"), "-CAcreateserial", "-out", join(d, "fullchain.pem"), "-days", String(opts.days)], { stdio: "ignore" });
}

describe("certificates check", () => {
  it("fires for a certificate expiring within the threshold and stays quiet for a fresh one", () => {
    const tls = join(tmp, "tls-expiring");
    certificate(tls, "mail", { days: 90, selfSigned: false });
    certificate(tls, "web-example.com", { days: 10, selfSigned: false });
    const r = check("certificates", { TLS_DIR: tls, CERT_DAYS: "14" });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^OK cert-mail certificate mail valid for (89|90) more days$/m);
    assert.match(r.out, /^ALERT cert-web-example\.com certificate web-example\.com expires in (9|10) days .* within 14: renewal is failing/m);
    rmSync(join(tls, "web-example.com"), { recursive: true });
    assert.equal(check("certificates", { TLS_DIR: tls }).code, 0);
  });

  it("fires when the temporary self-signed certificate is still there after a day", () => {
    const tls = join(tmp, "tls-selfsigned");
    certificate(tls, "mail", { days: 30, selfSigned: true });
    assert.equal(check("certificates", { TLS_DIR: tls }).code, 0, "fresh: waiting for certbot");
    const old = Date.now() / 1000 - 30 * 3600;
    utimesSync(join(tls, "mail", "fullchain.pem"), old, old);
    const r = check("certificates", { TLS_DIR: tls });
    assert.equal(r.code, 1);
    assert.match(r.out, /still the temporary self-signed one after 30 h: certbot has not obtained it/);
  });
});

describe("queue check", () => {
  const postqueue = (lines: string[]) => stubs({ docker: `[ "$1 $2 $3" = "exec postfix postqueue" ] || exit 9\ncat <<'Q'\n${lines.join("\n")}\nQ` });
  const msg = (id: string, ageHours: number) => JSON.stringify({ queue_name: "deferred", queue_id: id, arrival_time: Math.floor(Date.now() / 1000 - ageHours * 3600), recipients: [] });

  it("stays quiet for a few recent messages and fires on size and on age", () => {
    assert.equal(check("queue", { QUEUE_MESSAGES: "3", QUEUE_AGE_HOURS: "6" }, postqueue([msg("A1", 1), msg("A2", 0)])).code, 0);
    const big = check("queue", { QUEUE_MESSAGES: "3", QUEUE_AGE_HOURS: "6" }, postqueue(["A", "B", "C", "D"].map((id) => msg(id, 0))));
    assert.equal(big.code, 1);
    assert.match(big.out, /^ALERT queue-size 4 messages in the Postfix queue \(more than 3\)/m);
    const old = check("queue", { QUEUE_MESSAGES: "3", QUEUE_AGE_HOURS: "6" }, postqueue([msg("A1", 7)]));
    assert.match(old.out, /^ALERT queue-age the oldest queued message is 7 h old \(alert from 6 h\)/m);
  });

  it("an empty queue is fine; an unreadable one alerts", () => {
    assert.equal(check("queue", {}, postqueue([])).code, 0);
    const down = check("queue", {}, stubs({ docker: 'echo "Error: No such container: postfix" >&2; exit 1' }));
    assert.equal(down.code, 1);
    assert.match(down.out, /^ALERT queue-unreadable .*No such container/m);
  });
});

describe("disk check", () => {
  it("fires above the threshold and not below", () => {
    const df = (percent: number) => stubs({ df: `echo "Filesystem 1024-blocks Used Available Capacity Mounted on"; echo "/dev/sdb 1000 ${percent * 10} ${1000 - percent * 10} ${percent}% $2"` });
    assert.equal(check("disk", { DISK_PATHS: "/srv/mail /", DISK_PERCENT: "80" }, df(42)).code, 0);
    const full = check("disk", { DISK_PATHS: "/srv/mail", DISK_PERCENT: "80" }, df(91));
    assert.equal(full.code, 1);
    assert.match(full.out, /^ALERT disk-_srv_mail \/srv\/mail is 91% full \(alert above 80%\): grow it/m);
  });

  it("reads real df output too", () => {
    assert.equal(check("disk", { DISK_PATHS: tmp, DISK_PERCENT: "99" }).code, 0);
  });
});

describe("containers check", () => {
  const ps = (rows: string[]) => stubs({ docker: `cat <<'P'\n${rows.join("\n")}\nP` });

  it("stays quiet when everything runs healthy and fires on exited, unhealthy and missing", () => {
    const healthy = ["postfix|postfix|running|Up 2 hours (healthy)", "backup|backup|running|Up 2 hours (healthy)"];
    assert.equal(check("containers", { EXPECTED: "postfix backup" }, ps(healthy)).code, 0);
    const bad = check("containers", { EXPECTED: "postfix backup dovecot" }, ps(["postfix|postfix|exited|Exited (1) 3 minutes ago", "backup|backup|running|Up 2 hours (unhealthy)"]));
    assert.equal(bad.code, 1);
    assert.match(bad.out, /^ALERT container-postfix container postfix is exited \(Exited \(1\) 3 minutes ago\)/m);
    assert.match(bad.out, /^ALERT container-backup container backup is unhealthy/m);
    assert.match(bad.out, /^ALERT container-dovecot there is no dovecot container$/m);
  });
});

describe("backup check", () => {
  const status = (fields: Record<string, unknown>) => {
    const f = join(tmp, `status-${n++}.json`);
    writeFileSync(f, JSON.stringify({ maxAgeSeconds: 30 * 3600, lastError: null, ...fields }, null, 2));
    return f;
  };
  const hoursAgo = (h: number) => Math.floor(Date.now() / 1000 - h * 3600);

  it("stays quiet for a recent success and fires when it is older than the schedule allows", () => {
    assert.equal(check("backup", { BACKUP_STATUS: status({ lastSuccess: hoursAgo(3) }) }).code, 0);
    const late = check("backup", { BACKUP_STATUS: status({ lastSuccess: hoursAgo(31) }) });
    assert.equal(late.code, 1);
    assert.match(late.out, /^ALERT backup-age the last successful backup is 31 h old; the schedule allows 30 h/m);
  });

  it("fires on a failed last attempt, and when nothing ever succeeded", () => {
    const failed = check("backup", { BACKUP_STATUS: status({ lastSuccess: hoursAgo(2), lastError: "restic backup failed: Fatal: unable to open repository" }) });
    assert.match(failed.out, /^ALERT backup-failed the last backup attempt failed: restic backup failed: Fatal: unable to open repository$/m);
    assert.equal(check("backup", { BACKUP_STATUS: status({ lastSuccess: null, lastError: "restic init failed" }) }).code, 1);
  });
});

describe("blocklists check", () => {
  const dig = (listed: Record<string, string>) =>
    stubs({ dig: `name="\${@: -1}"\ncase "$name" in\n${Object.entries(listed).map(([q, a]) => `  ${q}) echo ${a} ;;`).join("\n")}\n  *) : ;;\nesac` });

  it("queries IPv4 reversed and IPv6 by nibbles, and fires only for a real listing", () => {
    const env = { ADDRESSES: "203.0.113.7 2001:db8::1", BLOCKLISTS: "zen.spamhaus.org bl.spamcop.net" };
    assert.equal(check("blocklists", env, dig({})).code, 0);
    const v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2";
    const listed = check("blocklists", env, dig({ "7.113.0.203.bl.spamcop.net": "127.0.0.2", [`${v6}.zen.spamhaus.org`]: "127.0.0.3" }));
    assert.equal(listed.code, 1);
    assert.match(listed.out, /^ALERT blocklist-bl\.spamcop\.net-203\.0\.113\.7 203\.0\.113\.7 is listed on bl\.spamcop\.net \(127\.0\.0\.2\)/m);
    assert.match(listed.out, /^ALERT blocklist-zen\.spamhaus\.org-2001:db8::1 2001:db8::1 is listed on zen\.spamhaus\.org/m);
    assert.equal(listed.out.split("\n").filter((l) => l.startsWith("ALERT")).length, 2);
  });

  it("a list refusing the query (127.255.255.x) is not a listing", () => {
    const r = check("blocklists", { ADDRESSES: "203.0.113.7", BLOCKLISTS: "zen.spamhaus.org" }, dig({ "7.113.0.203.zen.spamhaus.org": "127.255.255.254" }));
    assert.equal(r.code, 0);
    assert.match(r.out, /refused the query \(127\.255\.255\.254\): use a resolver of your own/);
  });
});

describe("DNS check", () => {
  const expected = [
    "example.com MX 10 mail.example.com.",
    'example.com TXT "v=spf1 mx -all"',
    'mail._domainkey.example.com TXT "v=DKIM1; k=rsa; h=sha256; p=AAAA" "BBBB"',
    "mail.example.com A 203.0.113.7",
  ].join("\n");
  const dig = (answers: Record<string, string[]>) =>
    stubs({ dig: `t="\${@: -2:1}"; name="\${@: -1}"\ncase "$name $t" in\n${Object.entries(answers).map(([q, a]) => `  "${q}") printf '%s\\n' ${a.map((x) => `'${x}'`).join(" ")} ;;`).join("\n")}\nesac` });
  const published = {
    "example.com MX": ["10 mail.example.com."],
    "example.com TXT": ['"v=spf1 mx -all"', '"google-site-verification=abc"'],
    "mail._domainkey.example.com TXT": ['"v=DKIM1; k=rsa; h=sha256; p=AAAA" "BBBB"'],
    "mail.example.com A": ["203.0.113.7"],
  };

  it("stays quiet when every record is as published (other TXT records at a name are someone else's)", () => {
    const f = join(tmp, "expected-ok.txt");
    writeFileSync(f, expected);
    const r = check("dns", { EXPECTED_FILE: f }, dig(published));
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out.split("\n").filter((l) => l.startsWith("OK ")).length, 4);
  });

  it("fires when a record was changed by hand", () => {
    const f = join(tmp, "expected-bad.txt");
    writeFileSync(f, expected);
    const r = check("dns", { EXPECTED_FILE: f }, dig({ ...published, "example.com MX": ["10 mx.other-provider.example."] }));
    assert.equal(r.code, 1);
    assert.match(r.out, /^ALERT dns-example\.com-MX example\.com MX differs from what the stack published: expected \[10 mail\.example\.com\], found \[10 mx\.other-provider\.example\]/m);
  });

  it("fires on a second SPF record beside ours, and on a DKIM key that changed", () => {
    const f = join(tmp, "expected-spf.txt");
    writeFileSync(f, expected);
    const r = check("dns", { EXPECTED_FILE: f }, dig({ ...published, "example.com TXT": ['"v=spf1 mx -all"', '"v=spf1 include:other.example -all"'], "mail._domainkey.example.com TXT": ['"v=DKIM1; k=rsa; h=sha256; p=CCCC"'] }));
    assert.match(r.out, /^ALERT dns-example\.com-TXT /m);
    assert.match(r.out, /^ALERT dns-mail\._domainkey\.example\.com-TXT /m);
  });
});

describe("the runner", () => {
  function setup() {
    const dir = join(tmp, `runner-${n++}`);
    const checks = join(dir, "checks");
    mkdirSync(checks, { recursive: true });
    const spool = join(dir, "sent");
    mkdirSync(spool);
    // One stand-in check whose result the test flips by a file.
    writeFileSync(join(checks, "flag.sh"), `if [ -f ${dir}/broken ]; then echo "ALERT flag-x the thing is broken"; exit 1; fi; echo "OK flag-x fine"`);
    // `docker exec -i postfix sendmail ...` keeps each message in the spool; a marker makes it fail.
    const bin = stubs({ docker: `[ -f ${dir}/postfix-down ] && { echo "postfix is not running" >&2; exit 1; }\ncat > ${spool}/$(date +%s%N).eml` });
    const env = { MAIL_TO: "ops@example.net", MAIL_FROM: "postmaster@example.com", HOST_TAG: "mail.example.com", CHECKS_DIR: checks, STATE_DIR: join(dir, "state"), PATH: `${bin}:${process.env.PATH}` };
    const run = (mode = "check") => spawnSync("bash", [join(FILES_DIR, "alerts", "run-alerts.sh"), mode], { encoding: "utf8", env });
    const sent = () => [...(spawnSync("ls", [spool], { encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean))].sort().map((f) => readFileSync(join(spool, f), "utf8"));
    return { dir, run, sent };
  }

  it("mails once when a problem appears, not again while it stands, and again when it is resolved", () => {
    const r = setup();
    assert.equal(r.run().status, 0);
    assert.equal(r.sent().length, 0, "all fine: no mail");
    writeFileSync(join(r.dir, "broken"), "");
    r.run();
    r.run();
    const mails = r.sent();
    assert.equal(mails.length, 1);
    assert.match(mails[0], /^From: mailstack alerts <postmaster@example\.com>$/m);
    assert.match(mails[0], /^To: ops@example\.net$/m);
    assert.match(mails[0], /^Subject: \[mailstack\] mail\.example\.com: 1 problem$/m);
    assert.match(mails[0], /New:\n {2}- the thing is broken/);
    rmSync(join(r.dir, "broken"));
    r.run();
    const after = r.sent();
    assert.equal(after.length, 2);
    assert.match(after[1], /^Subject: \[mailstack\] mail\.example\.com: all clear$/m);
    assert.match(after[1], /Resolved:\n {2}- the thing is broken/);
  });

  it("keeps the alert when Postfix cannot take it, and sends it on the next run", () => {
    const r = setup();
    writeFileSync(join(r.dir, "broken"), "");
    writeFileSync(join(r.dir, "postfix-down"), "");
    assert.equal(r.run().status, 1);
    assert.equal(r.sent().length, 0);
    rmSync(join(r.dir, "postfix-down"));
    r.run();
    assert.equal(r.sent().length, 1);
    assert.match(r.sent()[0], /the thing is broken/);
  });

  it("the weekly digest lists the checks and this week's alerts", () => {
    const r = setup();
    writeFileSync(join(r.dir, "broken"), "");
    r.run();
    r.run("digest");
    const digest = r.sent().find((m) => /weekly summary/.test(m)) ?? "";
    assert.match(digest, /Checks now:\n {2}ALERT {2}the thing is broken/);
    assert.match(digest, /Alerts mailed this week:\n {2}\d{4}-\d\d-\d\d \d\d:\d\d {2}\[mailstack\] mail\.example\.com: 1 problem/);
  });
});


describe("what pulumi up installs", () => {
  const cfgOf = (extra: Record<string, unknown> = {}) =>
    parseMailConfig(
      {
        hostname: "mail.example.com",
        acmeEmail: "postmaster@example.com",
        ssh: { adminKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0u3Lk2Y0y1p0cM9xq3Yb2oQ1u2Jw4H2b6w0y8Zk9mP ops@example"], allowFrom: ["203.0.113.0/24"] },
        domains: [{ name: "example.com", zoneId: "0123456789abcdef0123456789abcdef", dmarc: { policy: "reject", reportTo: "dmarc@example.com" } }],
        mailboxes: [{ address: "alice@example.com", aliases: ["postmaster@example.com", "dmarc@example.com"] }],
        ...extra,
      },
      { hasRelayPassword: false, secretsSet: new Set(["backupPassword", "backupAccessKeyId", "backupSecretAccessKey"]) },
    );
  const addresses = { ipv4: "203.0.113.7", ipv6: "2001:db8::1" };
  const records = (cfg: ReturnType<typeof cfgOf>) => dnsRecords(cfg, { ipv4: addresses.ipv4, ipv6: addresses.ipv6, dkimTxt: () => '"v=DKIM1; k=rsa; h=sha256; p=AAAA"' });

  it("a shell script that passes shellcheck, with settings from the config", () => {
    const cfg = cfgOf({ alerts: { mailTo: ["ops@example.net"], diskPercent: 70 } });
    const plan = alertFiles(cfg, addresses, records(cfg), undefined);
    const file = join(tmp, "install-alerts.sh");
    writeFileSync(file, plan.script);
    const sc = spawnSync("shellcheck", ["-s", "sh", file], { encoding: "utf8" });
    assert.equal(sc.status, 0, sc.stdout);
    const env = plan.files.find((f) => f.path.endsWith("/alerts.env"))!;
    assert.equal(env.mode, "0600");
    assert.match(env.content, /^MAIL_TO='ops@example\.net'$/m);
    assert.match(env.content, /^MAIL_FROM='postmaster@example\.com'$/m);
    assert.match(env.content, /^DISK_PERCENT='70'$/m);
    assert.match(env.content, /^ADDRESSES='203\.0\.113\.7 2001:db8::1'$/m);
    assert.match(env.content, /^REPORT_MAILBOXES='alice@example\.com'$/m, "dmarc@ is an alias of alice's mailbox");
    assert.deepEqual(plan.files.filter((f) => f.path.includes("/checks/")).map((f) => f.path.split("/").pop()), ["blocklists.sh", "certificates.sh", "containers.sh", "disk.sh", "dns.sh", "queue.sh"], "no backups configured: no backup check");
    const expected = plan.files.find((f) => f.path.endsWith("dns-expected.txt"))!.content;
    assert.match(expected, /^example\.com MX 10 mail\.example\.com\.$/m);
    assert.match(expected, /^mail\.example\.com AAAA 2001:db8::1$/m);
    assert.match(plan.files.find((f) => f.path.endsWith("mailstack-digest.timer"))!.content, /^OnCalendar=Mon \*-\*-\* 07:00:00 UTC$/m);
  });

  it("the webhook URL is only in its own 0600 file, and the hash follows every setting", () => {
    const cfg = cfgOf({ backup: { repository: "s3:https://fsn1.your-objectstorage.com/b" } });
    const url = "https://hooks.example.net/services/T0/B0/secret-token";
    const plan = alertFiles(cfg, addresses, records(cfg), url);
    const holders = plan.files.filter((f) => f.content.includes("secret-token"));
    assert.deepEqual(holders.map((f) => [f.path, f.mode]), [["/srv/mail/alerts/webhook-url", "0600"]]);
    assert.ok(plan.files.some((f) => f.path.endsWith("/checks/backup.sh")), "backups configured: the backup check is installed");
    assert.notEqual(alertFiles(cfgOf({ alerts: { queueMessages: 5 } }), addresses, records(cfg), undefined).contentHash, alertFiles(cfgOf(), addresses, records(cfg), undefined).contentHash);
    assert.match(alertFiles(cfg, addresses, records(cfg), undefined).script, /rm -f '\/srv\/mail\/alerts\/webhook-url'/, "a removed webhook is removed from the host");
  });
});
