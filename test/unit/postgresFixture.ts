// A throwaway PostgreSQL for tests that must run SQL for real (not a test file itself): initdb in
// a temp folder, the server on a Unix socket in that folder only (no TCP port), trust login for
// the postgres role, stopped with `stop()`. Uses the newest /usr/lib/postgresql/<v>/bin (Debian's
// postgresql package, installed by scripts/install-debian-packages.sh). As root the server runs
// as the postgres user, which PostgreSQL requires.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

export interface TestPostgres {
  /** Runs SQL through psql (ON_ERROR_STOP) in `db`; returns stdout (unaligned, tuples only). */
  psql(sql: string, db?: string): string;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))) : [];
  if (versions.length === 0) throw new Error("no PostgreSQL server under /usr/lib/postgresql; run scripts/install-debian-packages.sh as root");
  return join(root, versions.sort((a, b) => Number(b) - Number(a))[0], "bin");
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "mailstack-pg-"));
  const asRoot = userInfo().uid === 0;
  const pgUser = asRoot ? Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim()) : undefined;
  if (asRoot && pgUser !== undefined) chownSync(dir, pgUser, Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim()));
  const as = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ["setpriv", ["--reuid", "postgres", "--regid", "postgres", "--init-groups", "--", cmd, ...args]] : [cmd, args];
  const data = join(dir, "data");
  const [ic, ia] = as(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]);
  const init = spawnSync(ic, ia, { encoding: "utf8" });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const [sc, sa] = as(join(bin, "postgres"), ["-D", data, "-k", dir, "-c", "listen_addresses=", "-c", "fsync=off"]);
  const server: ChildProcess = spawn(sc, sa, { stdio: "ignore" });
  const psql = (sql: string, db = "postgres"): string => {
    const r = spawnSync("psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", dir, "-U", "postgres", "-d", db], { input: sql, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`psql: ${r.stderr.trim()}`);
    return r.stdout;
  };
  const until = Date.now() + 30_000;
  for (;;) {
    const ready = spawnSync(join(bin, "pg_isready"), ["-q", "-h", dir, "-U", "postgres"]);
    if (ready.status === 0) break;
    if (Date.now() > until || server.exitCode !== null) throw new Error("the test PostgreSQL did not start within 30 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    psql,
    stop: () =>
      new Promise((resolve) => {
        if (server.exitCode !== null) return resolve();
        server.once("exit", () => resolve());
        // SIGINT: fast shutdown (setpriv passes the signal on by exec'ing the server).
        server.kill("SIGINT");
      }),
  };
}
