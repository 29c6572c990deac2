// Local Dovecot from the rendered dovecot.conf: doveconf validates it, the master runs in the
// foreground of its own session, mail and Sieve scripts under .local/mail owned by the mail user.
import { join } from "node:path";
import { readPid, run, startDetached, stopPid, waitPorts } from "../proc";
import { logFile, ownedDir } from "./common";
import type { LocalContext, LocalService } from "./types";

const conf = (ctx: LocalContext) => join(ctx.topology.configDirs.dovecot, "dovecot.conf");

export const dovecot: LocalService = {
  name: "dovecot",
  async check(ctx) {
    const t = ctx.topology;
    ownedDir(t.paths.mailRoot, t.mailUser, 0o750);
    ownedDir(t.paths.sieveRoot, t.mailUser, 0o750);
    ownedDir(t.paths.dovecotBase, { uid: 0, gid: 0 }, 0o755);
    const r = await run("doveconf", ["-c", conf(ctx), "-n"]);
    if (r.code !== 0 || /Error|Warning/i.test(r.stderr)) throw new Error(`doveconf rejects ${conf(ctx)}:\n${r.stderr.trim()}`);
  },
  async start(ctx) {
    startDetached("dovecot", ["-F", "-c", conf(ctx)], logFile(ctx, "dovecot"));
  },
  async ready(ctx) {
    const t = ctx.topology;
    const lo = t.publicBind[0];
    await waitPorts("dovecot", [
      { host: lo, port: t.ports.imap },
      { host: lo, port: t.ports.imaps },
      { host: lo, port: t.ports.sieve },
      t.internal.lmtp,
      t.internal.sasl,
      t.internal.quotaPolicy,
    ]);
  },
  async stop(ctx) {
    await stopPid(readPid(join(ctx.topology.paths.dovecotBase, "master.pid")));
  },
};
