// `npm run backup -- status|now|snapshots (--stack <name> | --local)` and
// `npm run restore -- (--stack <name> | --local) [--snapshot <id>] [--mailbox <address>] [--queue] [--yes]`.
// The backups themselves run in the stack's backup container on its own schedule
// (files/images/backup/); this tool asks it for its status, starts one now, lists snapshots, and
// restores through files/backup/restore.sh on the host that runs the containers (the VM over SSH,
// or this machine for the local stack). After a whole restore the deploy's mailbox sync must run
// again: locally the tool does it (`local up`), for a VM it prints the `pulumi up --replace`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FILES_DIR } from "../../components/core/paths";
import { statePaths } from "../../local/state";
import { STATE_DIR } from "../../local/endpoints";
import { EXIT, runCli, UsageError, wantsHelp } from "../cliKit";
import { mailboxSyncUrn } from "../urns";
import { targetFrom, type Target } from "../ops/target";
import { describeBackupStatus, type BackupStatus } from "./status";
import { spawnSync } from "node:child_process";
import { REPO_ROOT } from "../../components/core/paths";

export const USAGE = `usage: npm run backup -- status    (--stack <name> | --local)   last success, last error, next run
       npm run backup -- now       (--stack <name> | --local)   one backup now (waits for a running one)
       npm run backup -- snapshots (--stack <name> | --local)   the repository's snapshots of this stack
       npm run restore -- (--stack <name> | --local) [--snapshot <id>] [--mailbox <address>] [--queue] --yes
  restore: the whole stack (mail, Sieve, databases, Valkey, DKIM keys and certbot's state where
  missing), or one mailbox's mail and Sieve scripts with --mailbox. Mail is merged: nothing in a
  mailbox now is removed. --queue also restores deferred mail (only into an empty queue).
Exit codes: 0 done (status: backups are current), 1 failed (status: too old or failing), 2 bad usage.`;

const backupCmd = (t: Target, args: string) => `"$ENGINE" exec "${t.prefix}backup" mailstack-backup ${args}\n`;

async function inBackup(t: Target, args: string, echo = false): Promise<string> {
  const r = await t.run(backupCmd(t, args), { ENGINE: t.engine }, { echo });
  if (r.code !== 0) throw new Error(`mailstack-backup ${args} on ${t.describe} failed (exit ${r.code}):\n${(r.stderr + (echo ? "" : r.stdout)).trim()}`);
  return r.stdout;
}

export async function backupMain(argv: string[], out: (l: string) => void = console.log): Promise<number> {
  if (wantsHelp(argv)) {
    out(USAGE);
    return EXIT.ok;
  }
  let p;
  try {
    p = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { stack: { type: "string" }, local: { type: "boolean" }, snapshot: { type: "string" }, mailbox: { type: "string" }, queue: { type: "boolean" }, yes: { type: "boolean" } },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const [command, ...extra] = p.positionals;
  if (extra.length > 0) throw new UsageError(`unexpected ${extra.join(" ")}\n${USAGE}`);
  const target = targetFrom(p.values);
  switch (command) {
    case "status": {
      const s = JSON.parse(await inBackup(target, "status")) as BackupStatus;
      const d = describeBackupStatus(s, Date.now() / 1000);
      out(`backups of ${target.describe}:`);
      for (const l of d.lines) out(`  ${l}`);
      return d.ok ? EXIT.ok : EXIT.failed;
    }
    case "now":
      await inBackup(target, "now", true);
      return EXIT.ok;
    case "snapshots": {
      const snaps = JSON.parse(await inBackup(target, "snapshots")) as { short_id: string; time: string; hostname: string; tags?: string[] }[];
      for (const s of snaps) out(`${s.short_id}  ${s.time.replace(/\.\d+/, "")}  ${s.hostname}`);
      if (snaps.length === 0) out("no snapshots yet");
      return EXIT.ok;
    }
    case "restore": {
      if (p.values.snapshot !== undefined && !/^(latest|[0-9a-f]{8,64})$/.test(p.values.snapshot)) throw new UsageError(`--snapshot must be latest or a snapshot id (npm run backup -- snapshots), not ${p.values.snapshot}`);
      if (p.values.mailbox !== undefined && !/^[^@\s'"]+@[^@\s'"]+$/.test(p.values.mailbox)) throw new UsageError(`--mailbox must be a mail address, not ${p.values.mailbox}`);
      if (p.values.mailbox !== undefined && p.values.queue === true) throw new UsageError("--queue restores the server's queue; it does not go with --mailbox");
      const what = p.values.mailbox !== undefined ? `mailbox ${p.values.mailbox}` : "the whole stack (Postfix and Dovecot stop meanwhile; databases and Valkey are replaced by the backup's)";
      if (p.values.yes !== true) {
        out(`would restore ${what} of ${target.describe} from snapshot ${p.values.snapshot ?? "latest"}; add --yes to do it`);
        return EXIT.usage;
      }
      const script = readFileSync(join(FILES_DIR, "backup", "restore.sh"), "utf8");
      const env: Record<string, string> = { ENGINE: target.engine, PREFIX: target.prefix, SNAPSHOT: p.values.snapshot ?? "latest", MAILBOX: p.values.mailbox ?? "", QUEUE: p.values.queue === true ? "1" : "0" };
      const r = await target.run(script, env, { echo: true });
      if (r.code !== 0) return EXIT.failed;
      if (p.values.mailbox === undefined) {
        if (target.kind === "local") {
          const choice = JSON.parse(readFileSync(statePaths(STATE_DIR).stackFile, "utf8")) as { file: string; greylisting: boolean };
          out("re-applying the stack's mailboxes and aliases: npm run local -- up");
          const up = spawnSync("npx", ["tsx", join(REPO_ROOT, "local", "cli.ts"), "up", "--stack-file", choice.file], {
            cwd: REPO_ROOT,
            stdio: ["ignore", "ignore", "inherit"],
            env: { ...process.env, MAILSTACK_GREYLISTING: choice.greylisting ? "on" : "off" },
          });
          if (up.status !== 0) return EXIT.failed;
        } else {
          out(`re-apply the stack's mailboxes and aliases to the restored database:\n  pulumi up --stack ${p.values.stack} --replace '${mailboxSyncUrn(p.values.stack!)}'`);
        }
      }
      return EXIT.ok;
    }
    default:
      throw new UsageError(`${command === undefined ? "no command" : `unknown command ${command}`}\n${USAGE}`);
  }
}

if (require.main === module) runCli("backup", () => backupMain(process.argv.slice(2)));
