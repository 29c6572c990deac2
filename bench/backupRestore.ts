// `npm run bench:backup [-- --messages 10000] --yes`: backup and restore times of the backup
// container for a mailbox of N messages (default 10 000) on this machine. It starts the benchmark
// stack (bench/Pulumi.bench.yaml plus a backup section, written to the state folder) with empty
// data and an empty repository, writes N messages straight into one maildir as Dovecot keeps them
// (sizes 2 to 60 KB, median about 6 KB; delivery speed is `npm run bench`'s subject, not this
// one's), has Dovecot index them, then times: the first (full) backup, a second one with nothing
// changed (what every night costs), and a restore of the whole stack into a fresh, empty stack
// (the data folder deleted, as after losing the volume), checking that every message is back.
// Destroys the benchmark stack's data; --yes says so. Prints a table and writes
// bench/backup-results.json.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../components/core/paths";
import { localInstance, localTopology } from "../components/core/topology";
import { STATE_DIR } from "../local/endpoints";
import { machineInfo } from "./machine";
import { BENCH_STACK_FILE, e2eRunning } from "./stack";

const CLI = join(REPO_ROOT, "local", "cli.ts");
const BACKUP = join(REPO_ROOT, "tools", "backup", "cli.ts");
const log = (l: string) => console.log(l);

function run(what: string, args: string[], env: NodeJS.ProcessEnv = {}): { seconds: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync("npx", ["tsx", ...args], { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, MAILSTACK_GREYLISTING: "off", ...env }, maxBuffer: 64 << 20 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    const safe = (r.stdout + r.stderr).split("\n").filter((l) => !/password/i.test(l)).slice(-30).join("\n");
    throw new Error(`${what} failed (exit ${r.status}):\n${safe}`);
  }
  return { seconds, out: r.stdout };
}

function dockerExec(container: string, cmd: string[]): string {
  const r = spawnSync("podman", ["exec", container, ...cmd], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${container}: ${cmd.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** N messages in Dovecot's maildir naming, owned by the mail user; returns their total size. */
function writeMessages(maildir: string, n: number, uid: number, gid: number): number {
  const cur = join(maildir, "cur");
  for (const d of ["cur", "new", "tmp"]) mkdirSync(join(maildir, d), { recursive: true });
  let total = 0;
  const t = Math.floor(Date.now() / 1000) - n;
  for (let i = 0; i < n; i++) {
    // Log-normal-ish sizes: most mail is small, some carries attachments.
    const size = Math.min(60_000, Math.max(2_000, Math.round(Math.exp(8.7 + 0.8 * gauss()))));
    const body = randomBytes(Math.ceil((size * 3) / 4)).toString("base64").replace(/(.{76})/g, "$1\r\n");
    const msg = `From: sender${i % 97}@remote.example\r\nTo: bench1@bench.test\r\nSubject: Bench message ${i}\r\nMessage-ID: <bench.${i}.${t}@remote.example>\r\nDate: ${new Date((t + i) * 1000).toUTCString()}\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${body}\r\n`;
    const name = `${t + i}.M${i}P1.bench,S=${Buffer.byteLength(msg)}:2,${i % 3 === 0 ? "S" : ""}`;
    const file = join(cur, name);
    writeFileSync(file, msg);
    chownSync(file, uid, gid);
    total += Buffer.byteLength(msg);
  }
  for (const d of ["", "cur", "new", "tmp"]) chownSync(join(maildir, d), uid, gid);
  return total;
}

function gauss(): number {
  return Math.sqrt(-2 * Math.log(Math.random() || 1e-9)) * Math.cos(2 * Math.PI * Math.random());
}

function countMessages(maildir: string): number {
  return ["cur", "new"].reduce((n, d) => n + (existsSync(join(maildir, d)) ? readdirSync(join(maildir, d)).length : 0), 0);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { messages: { type: "string" }, yes: { type: "boolean" } }, strict: true });
  const n = Number(values.messages ?? 10000);
  if (!Number.isInteger(n) || n < 1) throw new Error("--messages must be a positive whole number");
  if (values.yes !== true) throw new Error(`this deletes the data of local instance ${localInstance()} (${STATE_DIR}/data) and its backup repository; add --yes`);
  if (e2eRunning().length > 0) throw new Error("the end-to-end suite is running on this machine; try again after it");
  const topo = localTopology(STATE_DIR, { instance: localInstance() });
  const stackFile = join(STATE_DIR, "backup-bench.yaml");
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(
    stackFile,
    readFileSync(BENCH_STACK_FILE, "utf8") +
      "  mailstack:backup:\n    repository: rest:https://backup.bench.test/bench\n  mailstack:backupPassword:\n    secure: v1:placeholder-the-local-runner-keeps-its-own\n",
  );
  log(`backup bench: ${n} messages, local instance ${localInstance()}`);
  run("local down", [CLI, "down"]);
  rmSync(topo.hostRoot, { recursive: true, force: true });
  rmSync(topo.backupRepository!, { recursive: true, force: true });
  run("local up", [CLI, "up", "--stack-file", stackFile]);
  const maildir = join(topo.hostRoot, "vmail", "bench.test", "bench1", "Maildir");
  const bytes = writeMessages(maildir, n, topo.mailUser.uid, topo.mailUser.gid);
  dockerExec(`${topo.namePrefix}dovecot`, ["doveadm", "force-resync", "-u", "bench1@bench.test", "INBOX"]);
  log(`  wrote ${n} messages, ${(bytes / 1048576).toFixed(1)} MiB`);

  const full = run("first backup", [BACKUP, "now", "--local"]).seconds;
  log(`  first backup: ${full.toFixed(1)} s`);
  const again = run("second backup", [BACKUP, "now", "--local"]).seconds;
  log(`  second backup, nothing changed: ${again.toFixed(1)} s`);
  const repoBytes = Number(spawnSync("du", ["-sb", topo.backupRepository!], { encoding: "utf8" }).stdout.split(/\s/)[0]);

  run("local down", [CLI, "down"]);
  rmSync(topo.hostRoot, { recursive: true, force: true });
  run("local up (empty)", [CLI, "up", "--stack-file", stackFile]);
  const restore = run("restore", [BACKUP, "restore", "--local", "--yes"]);
  const inScript = Number(/done in (\d+)s/.exec(restore.out)?.[1] ?? NaN);
  const back = countMessages(maildir);
  if (back !== n) throw new Error(`after the restore ${back} of ${n} messages are back`);
  log(`  restore of the whole stack: ${inScript} s (plus ${(restore.seconds - inScript).toFixed(1)} s for the runner's mailbox sync); ${back} of ${n} messages back`);

  const results = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    messages: n,
    mailMiB: Number((bytes / 1048576).toFixed(1)),
    repositoryMiB: Number((repoBytes / 1048576).toFixed(1)),
    firstBackupSeconds: Number(full.toFixed(1)),
    unchangedBackupSeconds: Number(again.toFixed(1)),
    restoreSeconds: inScript,
    restoreWithSyncSeconds: Number(restore.seconds.toFixed(1)),
    restoredMessages: back,
  };
  writeFileSync(join(REPO_ROOT, "bench", "backup-results.json"), `${JSON.stringify(results, null, 2)}\n`);
  log("");
  log("| messages | mail | repository | first backup | next backup (no change) | whole restore |");
  log("|---|---|---|---|---|---|");
  log(`| ${n} | ${results.mailMiB} MiB | ${results.repositoryMiB} MiB | ${results.firstBackupSeconds} s | ${results.unchangedBackupSeconds} s | ${results.restoreSeconds} s |`);
  run("local down", [CLI, "down"]);
}

main().catch((e: unknown) => {
  console.error(`bench:backup: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
