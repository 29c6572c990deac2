// The backup image's own scripts, run in the image that deploys: the maildir snapshot must not
// miss a message while Dovecot moves mail from new/ to cur/ and renames files for flags during the
// snapshot (the race restic alone would lose); the merge of a restored maildir must add only what
// is missing, translate keyword letters between two dovecot-keywords files, and never touch mail
// already there; and `check` must accept the rendered settings and refuse them without the
// repository password. Needs the container engine; test/run.sh builds the images first.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import type Docker from "dockerode";
import { parseMailConfig } from "../../components/core/config/config";
import { imagePlans } from "../../components/core/containers/images";
import { backupFiles } from "../../components/core/render/backup";
import { productionTopology } from "../../components/core/topology";
import { runOnce } from "../../local/engine/containers";
import { connectEngine } from "../../local/engine/engine";

const tmp = mkdtempSync(join(tmpdir(), "mailstack-backup-scripts-"));
chmodSync(tmp, 0o755);
let docker: Docker;
const image = imagePlans(productionTopology).services.backup.tag;
beforeAll(async () => {
  docker = (await connectEngine({ install: false })).docker;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const inImage = (script: string, binds: string[]) => runOnce(docker, image, ["-c", script], { entrypoint: ["bash"], binds });
const bases = (dir: string) =>
  ["cur", "new"].flatMap((d) => {
    try {
      return [...readdirSync(join(dir, d))].map((f) => f.replace(/:2,.*$/, ""));
    } catch {
      return [];
    }
  });

describe("the maildir snapshot", () => {
  it("misses no message while they move from new/ to cur/ and change flags during the snapshot", async () => {
    const work = join(tmp, "race");
    const src = join(work, "vmail", "example.com", "alice", "Maildir");
    for (const d of ["cur", "new", "tmp"]) mkdirSync(join(src, d), { recursive: true });
    const n = 3000;
    for (let i = 0; i < n; i++) writeFileSync(join(src, i % 2 === 0 ? "new" : "cur", `${1700000000 + i}.M${i}P1.host${i % 2 === 0 ? "" : ":2,"}`), `Subject: ${i}\r\n\r\nbody ${i}\r\n`);
    // The "Dovecot" below renames every message while the snapshot runs: new -> cur, then flags.
    const r = await inImage(
      [
        "set -u",
        "cd /work/vmail/example.com/alice/Maildir",
        "( for f in new/*; do mv \"$f\" \"cur/${f#new/}:2,S\"; done; for f in cur/*:2,; do mv \"$f\" \"${f}RS\"; done ) &",
        "mover=$!",
        "/usr/local/lib/mailstack/snapshot-maildirs.sh /work/vmail /work/snap",
        "status=$?",
        "wait $mover",
        "echo snapshot=$status",
      ].join("\n"),
      [`${work}:/work`],
    );
    assert.match(r.stdout, /snapshot=0/, r.stdout);
    const got = new Set(bases(join(work, "snap", "example.com", "alice", "Maildir")));
    const missing = [...new Set(bases(src))].filter((b) => !got.has(b));
    assert.deepEqual(missing, [], `${missing.length} of ${n} messages missing from the snapshot`);
    assert.equal(got.size, n);
  });
});

describe("the merge of a restored maildir", () => {
  it("adds only what is missing, with keyword letters translated, and keeps the live mail", async () => {
    const work = join(tmp, "merge");
    const restored = join(work, "restored", "Maildir");
    const live = join(work, "live", "Maildir");
    for (const base of [restored, live]) for (const d of ["cur", "new", "tmp"]) mkdirSync(join(base, d), { recursive: true });
    // In the backup, a = $Label1, b = Project-X; live, a = Project-X.
    writeFileSync(join(restored, "dovecot-keywords"), "0 $Label1\n1 Project-X\n");
    writeFileSync(join(live, "dovecot-keywords"), "0 Project-X\n");
    writeFileSync(join(live, "dovecot-uidlist"), "3 V1 N2\n1 1.M1P1.host\n");
    writeFileSync(join(restored, "cur", "1.M1P1.host:2,S"), "old copy of one\r\n");
    writeFileSync(join(restored, "cur", "2.M2P1.host:2,FSb"), "two\r\n");
    writeFileSync(join(restored, "cur", "3.M3P1.host:2,ab"), "three\r\n");
    writeFileSync(join(live, "cur", "1.M1P1.host:2,RS"), "one, as it is now\r\n");
    writeFileSync(join(live, "new", "4.M4P1.host"), "newer than the backup\r\n");
    const r = await inImage("/usr/local/lib/mailstack/merge-maildirs.sh /work/restored /work/live online", [`${work}:/work`]);
    assert.equal(r.code, 0, r.stdout);
    const names = [...readdirSync(join(live, "cur"))].sort();
    assert.deepEqual(names, ["1.M1P1.host:2,RS", "2.M2P1.host:2,FSa", "3.M3P1.host:2,ab"]);
    assert.equal(readFileSync(join(live, "cur", "1.M1P1.host:2,RS"), "utf8"), "one, as it is now\r\n", "live mail untouched");
    assert.deepEqual([...readdirSync(join(live, "new"))], ["4.M4P1.host"]);
    assert.equal(readFileSync(join(live, "dovecot-keywords"), "utf8"), "0 Project-X\n1 $Label1\n");
    assert.match(r.stdout, /merge-maildirs: 2 messages in 1 folders/);
  });

  it("a folder the server does not have comes back whole, with its UID list", async () => {
    const work = join(tmp, "whole");
    const restored = join(work, "restored", "Maildir", ".Archive");
    for (const d of ["cur", "new", "tmp"]) mkdirSync(join(restored, d), { recursive: true });
    writeFileSync(join(restored, "dovecot-uidlist"), "3 V7 N3\n1 1.M1P1.host\n2 2.M2P1.host\n");
    writeFileSync(join(restored, "cur", "1.M1P1.host:2,S"), "a\r\n");
    writeFileSync(join(restored, "cur", "2.M2P1.host:2,"), "b\r\n");
    mkdirSync(join(work, "live"), { recursive: true });
    const r = await inImage("/usr/local/lib/mailstack/merge-maildirs.sh /work/restored /work/live online", [`${work}:/work`]);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(readFileSync(join(work, "live", "Maildir", ".Archive", "dovecot-uidlist"), "utf8"), "3 V7 N3\n1 1.M1P1.host\n2 2.M2P1.host\n");
    assert.match(r.stdout, /restored \/Maildir\/\.Archive whole: 2 messages/);
  });
});

describe("the backup container's check", () => {
  it("accepts the rendered settings and refuses them without the repository password", async () => {
    const cfg = parseMailConfig(
      {
        hostname: "mail.example.com",
        acmeEmail: "postmaster@example.com",
        ssh: { adminKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0u3Lk2Y0y1p0cM9xq3Yb2oQ1u2Jw4H2b6w0y8Zk9mP ops@example"], allowFrom: ["203.0.113.0/24"] },
        domains: [{ name: "example.com", zoneId: "0123456789abcdef0123456789abcdef", dmarc: { policy: "reject", reportTo: "postmaster@example.com" } }],
        mailboxes: [{ address: "alice@example.com", aliases: ["postmaster@example.com"] }],
        backup: { repository: "s3:https://fsn1.your-objectstorage.com/acme", schedule: ["02:30", "14:30"] },
      },
      { hasRelayPassword: false },
    );
    const secrets = {
      postgresPassword: "p", mailDbPassword: "m", roundcubeDbPassword: "r", mailPasswordDbPassword: "mp", roundcubeDesKey: "d".repeat(24),
      rspamdControllerPassword: "c", rspamdControllerSalt: "s", valkeyPassword: "valkeyTestPassword5", dkimPrivateKeys: {}, backupDbPassword: "bdb",
      backup: { password: "pw", accessKeyId: "AKID", secretAccessKey: "sk" },
    };
    const dir = join(tmp, "config");
    mkdirSync(dir, { recursive: true });
    for (const f of backupFiles(cfg, secrets, productionTopology)) writeFileSync(join(dir, f.path), f.content, { mode: f.mode });
    const ok = await runOnce(docker, image, ["check"], { binds: [`${dir}:/config:ro`] });
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /^backup: \/config OK \(restic 0\.18/m);
    // A backup whose database cannot be reached fails, and says why in its status file.
    const volume = join(tmp, "volume");
    const repo = join(tmp, "repository");
    mkdirSync(join(volume, "vmail"), { recursive: true });
    mkdirSync(repo, { recursive: true });
    writeFileSync(join(dir, "backup.env"), readFileSync(join(dir, "backup.env"), "utf8").replace(/^RESTIC_REPOSITORY=.*$/m, "RESTIC_REPOSITORY='/repository'"));
    const failed = await runOnce(docker, image, ["now"], { binds: [`${dir}:/config:ro`, `${volume}:/volume`, `${repo}:/repository`] });
    assert.notEqual(failed.code, 0, failed.stdout);
    const status = JSON.parse(readFileSync(join(volume, "backup", "status.json"), "utf8")) as { lastSuccess: number | null; lastError: string };
    assert.equal(status.lastSuccess, null);
    assert.match(status.lastError, /^staging failed: .*pg_dump of mail failed/);
    rmSync(join(dir, "restic-password"));
    const bad = await runOnce(docker, image, ["check"], { binds: [`${dir}:/config:ro`] });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout, /restic-password is missing or empty/);
  });
});
