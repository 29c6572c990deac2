// Local Rspamd: Debian's stock rspamd.conf with LOCAL_CONFDIR pointed at the rendered local.d,
// data and pid under .local/rspamd, workers as _rspamd. configtest runs on the same arguments.
import { chownSync, closeSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readPid, run, startDetached, stopPid, waitPorts } from "../proc";
import { logFile, ownedDir, pidFile, unixUser } from "./common";
import type { LocalContext, LocalService } from "./types";

function vars(ctx: LocalContext): string[] {
  const data = ctx.topology.paths.rspamdData;
  // --var=K=V (one argument): rspamadm wants it before the subcommand and this form only.
  return [
    `--var=LOCAL_CONFDIR=${ctx.topology.configDirs.rspamd}`,
    `--var=DBDIR=${data}`,
    `--var=RUNDIR=${data}`,
    `--var=LOGDIR=${ctx.topology.paths.logDir}`,
  ];
}

export const rspamd: LocalService = {
  name: "rspamd",
  async check(ctx) {
    const u = unixUser("_rspamd");
    ownedDir(ctx.topology.paths.rspamdData, u, 0o750);
    const log = ctx.topology.logs.rspamd;
    closeSync(openSync(log, "a"));
    chownSync(log, u.uid, u.gid);
    const r = await run("rspamadm", [...vars(ctx), "configtest", "-s", "-c", "/etc/rspamd/rspamd.conf"]);
    if (r.code !== 0 || !/syntax OK/.test(r.stdout)) {
      throw new Error(`rspamadm configtest rejects ${ctx.topology.configDirs.rspamd}/local.d:\n${(r.stdout + r.stderr).trim()}`);
    }
  },
  async start(ctx) {
    const pid = startDetached("rspamd", ["-f", "-u", "_rspamd", "-g", "_rspamd", "-c", "/etc/rspamd/rspamd.conf", ...vars(ctx)], logFile(ctx, "rspamd"));
    writeFileSync(pidFile(ctx, "rspamd"), `${pid}\n`);
  },
  async ready(ctx) {
    await waitPorts("rspamd", [ctx.topology.internal.milter, ctx.topology.internal.rspamdController], 60000);
  },
  async stop(ctx) {
    await stopPid(readPid(pidFile(ctx, "rspamd")));
  },
};

export const rspamdPidFile = (ctx: LocalContext) => join(ctx.stateDir, "run", "rspamd.pid");
