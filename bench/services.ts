// The root process of each local service, read from the pid files the local runner and the
// daemons already write under .local/ (no process-name guessing), checked against the process's
// command line so a stale pid file reused by another process is never measured.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readPid } from "../local/proc";
import type { Topology } from "../components/core/topology";

export const SERVICES = ["postgres", "redis", "rspamd", "dovecot", "postfix", "php-fpm", "caddy"] as const;
export type Service = (typeof SERVICES)[number];

/** Pid file of each service and a word its root process's command line must contain. */
function pidSources(stateDir: string, t: Topology): Record<Service, { file: string; cmd: RegExp }> {
  return {
    postgres: { file: join(t.paths.postgresData, "postmaster.pid"), cmd: /postgres/ },
    redis: { file: join(stateDir, "run", "redis.pid"), cmd: /redis-server/ },
    rspamd: { file: join(stateDir, "run", "rspamd.pid"), cmd: /rspamd/ },
    dovecot: { file: join(t.paths.dovecotBase, "master.pid"), cmd: /dovecot/ },
    postfix: { file: join(t.paths.postfixQueue, "pid", "master.pid"), cmd: /master/ },
    "php-fpm": { file: join(t.configDirs.roundcube, "..", "run", "php-fpm.pid"), cmd: /php-fpm/ },
    caddy: { file: join(t.configDirs.caddy, "..", "caddy.pid"), cmd: /caddy/ },
  };
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/** service -> [root pid]; throws naming the service whose pid file is missing or stale. */
export function serviceRootPids(stateDir: string, t: Topology): Record<Service, number[]> {
  const src = pidSources(stateDir, t);
  const out = {} as Record<Service, number[]>;
  for (const s of SERVICES) {
    const pid = readPid(src[s].file);
    if (pid === undefined || !src[s].cmd.test(cmdline(pid))) throw new Error(`${s}: no running process for pid file ${src[s].file}`);
    out[s] = [pid];
  }
  return out;
}
