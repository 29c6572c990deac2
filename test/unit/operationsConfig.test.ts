// The operations settings an operator writes (mailstack:backup, alerts, reports): every bad value
// named with its path and fix, the secrets a repository needs asked for by name, the defaults the
// README states, and what the backup container's rendered files say.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "@jest/globals";
import { ConfigError, parseMailConfig, type RawMailConfig } from "../../components/core/config/config";
import { backupMaxAgeSeconds, longestScheduleGapSeconds, OPERATIONS_DEFAULTS, operationsWarnings, repositoryKind } from "../../components/core/config/operations";
import { backupFiles, repositoryShown } from "../../components/core/render/backup";
import { renderServiceFiles } from "../../components/core/render/render";
import { localTopology, productionTopology } from "../../components/core/topology";
import { describeBackupStatus } from "../../tools/backup/status";

function valid(extra: Partial<RawMailConfig> = {}): RawMailConfig {
  return {
    hostname: "mail.example.com",
    acmeEmail: "postmaster@example.com",
    ssh: { adminKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0u3Lk2Y0y1p0cM9xq3Yb2oQ1u2Jw4H2b6w0y8Zk9mP ops@example"], allowFrom: ["203.0.113.0/24"] },
    domains: [{ name: "example.com", zoneId: "0123456789abcdef0123456789abcdef", dmarc: { policy: "reject", reportTo: "postmaster@example.com" } }],
    mailboxes: [{ address: "alice@example.com", aliases: ["postmaster@example.com"] }],
    ...extra,
  };
}

const S3 = new Set(["backupPassword", "backupAccessKeyId", "backupSecretAccessKey"]);

function problems(raw: RawMailConfig, secretsSet: Set<string> | undefined = S3): string[] {
  try {
    parseMailConfig(raw, { hasRelayPassword: false, secretsSet });
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems;
  }
  return [];
}

describe("backup settings", () => {
  it("a stack without mailstack:backup parses, and pulumi up warns that it takes no backups", () => {
    const cfg = parseMailConfig(valid(), { hasRelayPassword: false });
    assert.equal(cfg.backup, undefined);
    assert.match(operationsWarnings(cfg).join("\n"), /mailstack:backup is not set: this stack takes no backups/);
    assert.deepEqual(operationsWarnings(parseMailConfig(valid({ backup: { repository: "s3:https://h/b" } }), { hasRelayPassword: false, secretsSet: S3 })), []);
  });

  it("an S3 repository gets the documented defaults", () => {
    const cfg = parseMailConfig(valid({ backup: { repository: "s3:https://fsn1.your-objectstorage.com/acme-backups" } }), { hasRelayPassword: false, secretsSet: S3 });
    assert.deepEqual(cfg.backup, {
      repository: "s3:https://fsn1.your-objectstorage.com/acme-backups",
      kind: "s3",
      schedule: ["02:30"],
      retention: { daily: 7, weekly: 5, monthly: 12 },
    });
  });

  it("names each secret a repository needs, with the command that sets it (when the caller knows the secrets)", () => {
    assert.deepEqual(parseMailConfig(valid({ backup: { repository: "s3:https://h/b" } }), { hasRelayPassword: false }).backup?.kind, "s3");
    const s3 = problems(valid({ backup: { repository: "s3:https://fsn1.your-objectstorage.com/b" } }), new Set());
    assert.equal(s3.length, 1);
    assert.match(s3[0], /^mailstack:backup: a backup needs its secrets: pulumi config set --secret mailstack:backupPassword .*mailstack:backupAccessKeyId.*mailstack:backupSecretAccessKey/);
    const sftp = problems(valid({ backup: { repository: "sftp:u123@u123.your-storagebox.de:/backups/acme" } }), new Set(["backupPassword"]));
    assert.deepEqual(sftp.map((p) => p.split(":")[1]), ["backup.sftpKnownHosts", "backup"]);
    assert.match(sftp.join("\n"), /mailstack:backupSshKey/);
    assert.match(sftp.join("\n"), /never trusted on first use/);
  });

  it("refuses a folder on the server, plain HTTP, a password in a REST URL and an unknown scheme", () => {
    const bad = (repository: string) => problems(valid({ backup: { repository } }))[0] ?? "";
    assert.match(bad("/srv/backups"), /a folder on the server itself, which is lost with the server/);
    assert.match(bad("s3:http://minio.example.com/b"), /HTTPS only/);
    assert.match(bad("rest:https://user:secret@backup.example.com/"), /password in the URL.*backupRestPassword/);
    assert.doesNotMatch(bad("rest:https://user:hunter2@backup.example.com/"), /hunter2/, "the password itself never reaches a log");
    assert.match(bad("b2:bucket:path"), /not a restic repository this stack can use; use s3:/);
    assert.equal(repositoryKind("sftp://u123@u123.your-storagebox.de:23//home/acme").ok, true);
  });

  it("names a bad schedule entry and a bad retention with their paths", () => {
    const p = problems(valid({ backup: { repository: "s3:https://h/b", schedule: ["2:30", "25:00", "14:30"], retention: { daily: 0 } } }));
    assert.deepEqual(p, [
      "mailstack:backup.retention.daily: found the number 0; must be the number of daily snapshots kept, a whole number from 1 to 366",
      'mailstack:backup.schedule[0]: "2:30" is not a time of day in UTC as HH:MM, such as "02:30"',
      'mailstack:backup.schedule[1]: "25:00" is not a time of day in UTC as HH:MM, such as "02:30"',
    ].sort((a, b) => p.indexOf(a) - p.indexOf(b)));
  });

  it("the alert threshold follows the schedule's longest gap", () => {
    assert.equal(longestScheduleGapSeconds(["02:30"]), 24 * 3600);
    assert.equal(longestScheduleGapSeconds(["02:30", "14:30"]), 12 * 3600);
    assert.equal(longestScheduleGapSeconds(["01:00", "04:00"]), 21 * 3600);
    assert.equal(backupMaxAgeSeconds({ schedule: ["02:30"] }, { backupGraceHours: 6 }), 30 * 3600);
  });
});

describe("alert and report settings", () => {
  it("alerts go to the ACME contact unless mailTo says otherwise", () => {
    const cfg = parseMailConfig(valid(), { hasRelayPassword: false });
    assert.deepEqual(cfg.alerts.mailTo, ["postmaster@example.com"]);
    assert.equal(cfg.alerts.diskPercent, 80);
    assert.equal(cfg.reports.sendDmarc, true);
    const other = parseMailConfig(valid({ alerts: { mailTo: ["Ops@Example.NET"] } }), { hasRelayPassword: false });
    assert.deepEqual(other.alerts.mailTo, ["ops@example.net"]);
  });

  it("names bad thresholds, addresses and blocklists", () => {
    const p = problems(valid({ alerts: { mailTo: ["not an address"], diskPercent: 100, blocklists: ["zen spamhaus"], digestWeekday: "someday" as "monday" } }));
    assert.equal(p.length, 4, p.join("\n"));
    assert.match(p.join("\n"), /mailstack:alerts\.diskPercent: .* from 10 to 99/);
    assert.match(p.join("\n"), /mailstack:alerts\.mailTo\[0\]/);
    assert.match(p.join("\n"), /mailstack:alerts\.blocklists\[0\]: "zen spamhaus" is not a DNS zone name/);
    assert.match(p.join("\n"), /mailstack:alerts\.digestWeekday: .*monday, tuesday/);
  });
});

describe("defaults", () => {
  it("every operations default is the one the README's configuration reference states", () => {
    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("### Configuration reference"), readme.indexOf("### DNS records written"));
    const row = (key: string) => table.split("\n").find((l) => l.startsWith(`| \`${key}`)) ?? "";
    const D = OPERATIONS_DEFAULTS;
    const expect: [string, unknown][] = [
      ["backup.schedule", D.backupSchedule[0]], ["backup.retention", D.backupKeepDaily], ["backup.retention", D.backupKeepWeekly],
      ["backup.retention", D.backupKeepMonthly], ["alerts.backupGraceHours", D.backupGraceHours], ["alerts.certificateDays", D.alertCertificateDays],
      ["alerts.queueMessages", D.alertQueueMessages], ["alerts.queueMessages", D.alertQueueAgeHours], ["alerts.diskPercent", D.alertDiskPercent],
      ["alerts.blocklists", D.alertBlocklists.join(", ")], ["alerts.digestWeekday", D.alertDigestWeekday], ["reports.sendDmarc", D.reportsSendDmarc],
    ];
    for (const [key, value] of expect) assert.ok(row(key).includes(String(value)), `README row ${key} does not state ${String(value)}`);
    assert.equal(Object.keys(D).length, expect.length, "a new default needs its README row checked here");
  });
});

describe("the backup container's files", () => {
  const secrets = {
    postgresPassword: "p", mailDbPassword: "m", roundcubeDbPassword: "r", mailPasswordDbPassword: "mp", roundcubeDesKey: "d".repeat(24),
    rspamdControllerPassword: "c", rspamdControllerSalt: "s", valkeyPassword: "valkeyTestPassword5", dkimPrivateKeys: {}, backupDbPassword: "bdb",
    backup: { password: "restic 'pw'", accessKeyId: "AKID", secretAccessKey: "sec'ret" },
  };
  const cfg = parseMailConfig(valid({ backup: { repository: "s3:https://fsn1.your-objectstorage.com/acme", schedule: ["14:30", "02:30"] } }), { hasRelayPassword: false, secretsSet: S3 });

  it("production: the stack's repository, its S3 keys in their own 0600 file, schedule and threshold", () => {
    const files = backupFiles(cfg, secrets, productionTopology);
    const env = files.find((f) => f.path === "backup.env")!.content;
    assert.match(env, /^RESTIC_REPOSITORY='s3:https:\/\/fsn1\.your-objectstorage\.com\/acme'$/m);
    assert.match(env, /^BACKUP_SCHEDULE='02:30 14:30'$/m);
    assert.match(env, /^MAX_AGE_SECONDS=64800$/m, "12 h gap + 6 h grace");
    assert.doesNotMatch(env, /AKID|sec'ret|restic 'pw'|bdb/, "no secret in the settings file");
    const s3 = files.find((f) => f.path === "s3.env")!;
    assert.equal(s3.mode, 0o600);
    assert.equal(s3.secret, true);
    assert.equal(s3.content, "AWS_ACCESS_KEY_ID='AKID'\nAWS_SECRET_ACCESS_KEY='sec'\\''ret'\n");
    assert.equal(files.find((f) => f.path === "restic-password")!.content, "restic 'pw'\n");
  });

  it("local: a folder instead of the repository, and no provider credentials", () => {
    const files = backupFiles(cfg, secrets, localTopology("/tmp/state"));
    assert.match(files.find((f) => f.path === "backup.env")!.content, /^RESTIC_REPOSITORY='\/repository'$/m);
    assert.deepEqual(files.map((f) => f.path).sort(), ["backup.env", "db-password", "restic-password", "valkey-password"]);
  });

  it("shows no credentials in the repository it logs", () => {
    assert.equal(repositoryShown("rest:https://user@backup.example.com:8000/acme"), "rest:https://backup.example.com:8000/acme");
  });
});

describe("DMARC reports the stack sends", () => {
  const secrets = {
    postgresPassword: "p", mailDbPassword: "m", roundcubeDbPassword: "r", mailPasswordDbPassword: "mp", roundcubeDesKey: "d".repeat(24),
    rspamdControllerPassword: "c", rspamdControllerSalt: "s", valkeyPassword: "valkeyTestPassword5", dkimPrivateKeys: { "example.com": "KEY" }, backupDbPassword: "bdb",
  };
  const render = (extra: Partial<RawMailConfig> = {}) => renderServiceFiles(parseMailConfig(valid(extra), { hasRelayPassword: false }), secrets, productionTopology);
  const file = (files: ReturnType<typeof render>, service: string, path: string) => files.find((f) => f.service === service && f.path === path)!.content;

  it("Rspamd reports through Postfix's internal listener, which relays for the report sender only", () => {
    const files = render();
    const dmarc = file(files, "rspamd", "local.d/dmarc.conf");
    assert.match(dmarc, /^ {2}enabled = true;$/m);
    assert.match(dmarc, /^ {2}email = "noreply-dmarc@example\.com";$/m);
    assert.match(dmarc, /^ {2}smtp = "postfix";\n {2}smtp_port = 10027;$/m);
    const master = file(files, "postfix", "master.cf");
    assert.match(master, /^10027 +inet .* smtpd\n(  -o .*\n)*  -o \{ smtpd_sender_restrictions = check_sender_access inline:\{ noreply-dmarc@example\.com=OK \}, reject \}$/m);
    assert.match(master, /^ {2}-o \{ mynetworks = 172\.30\.25\.0\/24 \[fd00:6d61:696c:19::\]\/64 \}$/m);
    // Signed: the mail network (the reports) and the mailsubmit network (Dovecot's own mail), no other.
    assert.match(file(files, "rspamd", "local.d/dkim_signing.conf"), /^sign_networks = \["172\.30\.32\.0\/24", "172\.30\.25\.0\/24", "fd00:6d61:696c:19::\/64"\];$/m);
  });

  it("reports.sendDmarc: false turns reporting off", () => {
    assert.match(file(render({ reports: { sendDmarc: false } }), "rspamd", "local.d/dmarc.conf"), /^ {2}enabled = false;$/m);
  });
});

describe("what npm run backup -- status says", () => {
  const now = 1_800_000_000;
  it("a recent success is fine; too old, a failure, or none at all is not", () => {
    const ok = describeBackupStatus({ repository: "s3:https://h/b", schedule: "02:30", maxAgeSeconds: 30 * 3600, lastSuccess: now - 3600, snapshot: "4f2a91c0aa", files: 120, addedBytes: 1048576, durationSeconds: 12, nextRun: now + 3600 }, now);
    assert.equal(ok.ok, true);
    assert.match(ok.lines.join("\n"), /last success .* \(60 min ago\), snapshot 4f2a91c0, 120 files, 1\.0 MiB added, took 12 s/);
    const old = describeBackupStatus({ maxAgeSeconds: 30 * 3600, lastSuccess: now - 31 * 3600 }, now);
    assert.equal(old.ok, false);
    assert.match(old.lines.join("\n"), /TOO OLD, the schedule allows 30 h/);
    const failed = describeBackupStatus({ maxAgeSeconds: 30 * 3600, lastSuccess: now - 3600, lastError: "restic backup failed: connection refused", lastAttempt: now - 60 }, now);
    assert.equal(failed.ok, false);
    assert.match(failed.lines.join("\n"), /FAILED: restic backup failed: connection refused/);
    assert.equal(describeBackupStatus({ lastSuccess: null }, now).ok, false);
  });
});
