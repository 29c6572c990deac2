// Local Redis for Rspamd, as the redis user, data under .local/redis.
import { join } from "node:path";
import { isAlive, readPid, startDetached, stopPid, waitPorts } from "../proc";
import { asUser, logFile, ownedDir, pidFile, unixUser } from "./common";
import type { LocalService } from "./types";
import { writeFileSync, closeSync, openSync, chownSync } from "node:fs";

export const redis: LocalService = {
  name: "redis",
  async check(ctx) {
    const u = unixUser("redis");
    ownedDir(ctx.topology.paths.redisData, u, 0o750);
    const log = join(ctx.topology.paths.logDir, "redis.log");
    closeSync(openSync(log, "a"));
    chownSync(log, u.uid, u.gid);
  },
  async start(ctx) {
    const [cmd, args] = asUser("redis", "redis-server", [join(ctx.topology.configDirs.redis, "redis.conf")]);
    const pid = startDetached(cmd, args, logFile(ctx, "redis"));
    writeFileSync(pidFile(ctx, "redis"), `${pid}\n`);
  },
  async ready(ctx) {
    await waitPorts("redis", [ctx.topology.internal.redis]);
  },
  async stop(ctx) {
    const pid = readPid(pidFile(ctx, "redis"));
    if (pid !== undefined && isAlive(pid)) await stopPid(pid);
  },
};
