// Roundcube on the local stack: Debian's Roundcube 1.6 behind a PHP-FPM pool of our own, reading
// the rendered config.inc.php. Builds a small install tree at topology.paths.roundcubeRoot
// (an index.php that sets INSTALL_PATH, symlinks into /usr/share/roundcube, a config/ folder with
// Debian's defaults and our config), and loads Roundcube's schema once. Never edits /etc/roundcube or anything in /usr;
// the PostgreSQL server, the roundcube role and its database belong to the postgres service.
import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { renderFile } from "../../components/core/render/template";
import type { Topology } from "../../components/core/topology";
import { readPid, run, runOk, startDetached, stopPid, waitPorts } from "../proc";
import { statePaths } from "../state";
import type { LocalContext, LocalService } from "./types";

const DEBIAN_ROUNDCUBE = "/usr/share/roundcube";
/** Debian ships defaults.inc.php only in its config folder; we read it, never edit it. */
const DEBIAN_DEFAULTS = "/etc/roundcube/defaults.inc.php";
const PHP_FPM = "/usr/sbin/php-fpm8.2";
/** PHP runs as the web user, never as root. */
const FPM_USER = "www-data";

function paths(topo: Topology) {
  const base = join(topo.configDirs.roundcube, "..");
  return {
    www: topo.paths.roundcubeRoot,
    config: join(topo.configDirs.roundcube, "config.inc.php"),
    fpmConf: join(base, "run", "php-fpm.conf"),
    fpmPid: join(base, "run", "php-fpm.pid"),
    fpmLog: join(topo.paths.logDir, "roundcube-php-fpm.log"),
  };
}

function uidOf(user: string): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith(`${user}:`));
  if (line === undefined) throw new Error(`no user ${user} on this machine (install php8.2-fpm)`);
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

function link(target: string, path: string): void {
  if (existsSync(path) || isSymlink(path)) unlinkSync(path);
  symlinkSync(target, path);
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The install tree Caddy serves and PHP runs: code from Debian's package, config from us. */
function buildInstallTree(topo: Topology): void {
  const p = paths(topo);
  const web = uidOf(FPM_USER);
  mkdirSync(p.www, { recursive: true, mode: 0o755 });
  writeFileSync(
    join(p.www, "index.php"),
    "<?php\n// Local stack: Roundcube's code from Debian's package, its config from this folder's config/.\n" +
      "define('INSTALL_PATH', __DIR__ . '/');\nrequire '" + DEBIAN_ROUNDCUBE + "/index.php';\n",
    { mode: 0o644 },
  );
  for (const name of ["program", "skins", "plugins", "SQL"]) link(join(DEBIAN_ROUNDCUBE, name), join(p.www, name));
  const configDir = join(p.www, "config");
  mkdirSync(configDir, { recursive: true, mode: 0o755 });
  link(DEBIAN_DEFAULTS, join(configDir, "defaults.inc.php"));
  link(p.config, join(configDir, "config.inc.php"));
  for (const dir of ["temp", "logs"]) {
    mkdirSync(join(p.www, dir), { recursive: true, mode: 0o750 });
    chownSync(join(p.www, dir), web.uid, web.gid);
  }
  // The rendered config holds the DB password and des_key: readable by root and PHP's group only.
  chownSync(p.config, 0, web.gid);
}

/**
 * Loads Roundcube's schema into its database once. The role and the database themselves come
 * from the postgres service's roles.sql (the same file production runs).
 */
async function ensureSchema(ctx: LocalContext): Promise<void> {
  const pg = ctx.topology.internal.postgres;
  const secrets = JSON.parse(readFileSync(statePaths(ctx.stateDir).serviceSecrets, "utf8")) as { roundcubeDbPassword: string };
  const conn = ["-h", pg.host, "-p", String(pg.port), "-U", "roundcube", "-d", "roundcube", "-v", "ON_ERROR_STOP=1", "-q", "-X"];
  // The password goes through the environment, never argv.
  const env = { PATH: process.env.PATH, PGCONNECT_TIMEOUT: "5", PGPASSWORD: secrets.roundcubeDbPassword };
  const schema = await runOk("check Roundcube's schema (database roundcube, role roundcube)", "psql", [...conn, "-tAc", "SELECT to_regclass('public.system') IS NOT NULL"], { env });
  if (schema.stdout.trim() !== "t") {
    await runOk("load Roundcube's schema", "psql", [...conn, "-f", join(DEBIAN_ROUNDCUBE, "SQL", "postgres.initial.sql")], { env });
    ctx.log("  roundcube: database schema loaded");
  }
}

function writeFpmConfig(topo: Topology): void {
  const p = paths(topo);
  const fpm = topo.internal.roundcubeFpm;
  mkdirSync(join(p.fpmConf, ".."), { recursive: true, mode: 0o755 });
  mkdirSync(topo.paths.logDir, { recursive: true });
  writeFileSync(
    p.fpmConf,
    renderFile("roundcube/php-fpm.conf", {
      pidFile: p.fpmPid,
      errorLog: p.fpmLog,
      user: FPM_USER,
      group: FPM_USER,
      listen: `${fpm.host}:${fpm.port}`,
      allowedClients: "127.0.0.1",
    }),
    { mode: 0o644 },
  );
}

export const roundcubeService: LocalService = {
  name: "roundcube",

  async check(ctx) {
    const p = paths(ctx.topology);
    const lint = await run("php", ["-l", p.config]);
    if (lint.code !== 0) throw new Error(`${p.config}: ${lint.stdout.trim()}`);
    writeFpmConfig(ctx.topology);
    await runOk(`php-fpm -t (${p.fpmConf})`, PHP_FPM, ["-t", "--fpm-config", p.fpmConf]);
  },

  async start(ctx) {
    if (userInfo().uid !== 0) throw new Error("roundcube: the local stack runs PHP-FPM as www-data and needs root to do so");
    buildInstallTree(ctx.topology);
    writeFpmConfig(ctx.topology);
    await ensureSchema(ctx);
    const p = paths(ctx.topology);
    await stopPid(readPid(p.fpmPid));
    startDetached(PHP_FPM, ["--nodaemonize", "--fpm-config", p.fpmConf], p.fpmLog);
  },

  async ready(ctx) {
    await waitPorts("roundcube (php-fpm)", [ctx.topology.internal.roundcubeFpm], 20000);
  },

  async stop(ctx) {
    await stopPid(readPid(paths(ctx.topology).fpmPid), "SIGQUIT");
  },
};
