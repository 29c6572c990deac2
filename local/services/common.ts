// Helpers shared by the local service modules: Unix accounts from /etc/passwd, directories
// owned by a daemon's user, and where each daemon's pid and log live under .local/.
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { LocalContext } from "./types";

export function unixUser(name: string): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}:`));
  if (line === undefined) throw new Error(`no Unix user "${name}"; install the Debian packages (scripts/install-debian-packages.sh)`);
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/** Creates path (parents 0755, so daemons can traverse) owned by owner with mode. */
export function ownedDir(path: string, owner: { uid: number; gid: number }, mode = 0o755): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  mkdirSync(path, { recursive: true, mode });
  chmodSync(path, mode);
  chownSync(path, owner.uid, owner.gid);
  return path;
}

export const pidFile = (ctx: LocalContext, service: string) => join(ctx.stateDir, "run", `${service}.pid`);
export const logFile = (ctx: LocalContext, service: string) => join(ctx.topology.paths.logDir, `${service}.out`);

export function ensureLogDir(ctx: LocalContext): void {
  if (!existsSync(ctx.topology.paths.logDir)) mkdirSync(ctx.topology.paths.logDir, { recursive: true, mode: 0o755 });
  mkdirSync(join(ctx.stateDir, "run"), { recursive: true, mode: 0o755 });
}

/** Runs cmd as a Unix user without a wrapper process left behind (setpriv execs). */
export function asUser(user: string, cmd: string, args: string[]): [string, string[]] {
  return ["setpriv", ["--reuid", user, "--regid", user, "--init-groups", "--", cmd, ...args]];
}
