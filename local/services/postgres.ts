// Local PostgreSQL: initdb once (superuser password from a 0600 file, never argv), then the server
// as the postgres user with the rendered postgresql.conf/pg_hba.conf. The data dir lives under
// .local/ and is owned by postgres. Roles, schema and the mailbox sync are applied by the runner.
import { chownSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { readPid, run, runOk, startDetached, stopPid, waitPorts } from "../proc";
import { statePaths } from "../state";
import { asUser, logFile, ownedDir, unixUser } from "./common";
import type { LocalContext, LocalService } from "./types";

const configFile = (ctx: LocalContext) => join(ctx.topology.configDirs.postgres, "postgresql.conf");

export const postgres: LocalService = {
  name: "postgres",
  async check(ctx) {
    const pg = unixUser("postgres");
    const data = ctx.topology.paths.postgresData;
    ownedDir(dirname(data), { uid: 0, gid: 0 });
    ownedDir(join(dirname(data), "run"), pg);
    if (!existsSync(join(data, "PG_VERSION"))) {
      ownedDir(data, pg, 0o700);
      // initdb reads the superuser password from a file only postgres can read, then it is removed.
      const pwfile = join(data, "..", "run", ".initpw");
      const secrets = JSON.parse(readFileSync(statePaths(ctx.stateDir).serviceSecrets, "utf8")) as { postgresPassword: string };
      writeFileSync(pwfile, `${secrets.postgresPassword}\n`, { mode: 0o600 });
      chownSync(pwfile, pg.uid, pg.gid);
      try {
        const [cmd, args] = asUser("postgres", "initdb", ["-D", data, "-U", "postgres", "--pwfile", pwfile, "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"]);
        await runOk("initdb", cmd, args);
      } finally {
        rmSync(pwfile, { force: true });
      }
    }
    const [cmd, args] = asUser("postgres", "postgres", ["-D", data, "-c", `config_file=${configFile(ctx)}`, "-C", "port"]);
    const r = await run(cmd, args);
    if (r.code !== 0) throw new Error(`postgres rejects ${configFile(ctx)}:\n${r.stderr.trim()}`);
  },
  async start(ctx) {
    const [cmd, args] = asUser("postgres", "postgres", ["-D", ctx.topology.paths.postgresData, "-c", `config_file=${configFile(ctx)}`]);
    startDetached(cmd, args, logFile(ctx, "postgres"));
  },
  async ready(ctx) {
    const { host, port } = ctx.topology.internal.postgres;
    await waitPorts("postgres", [{ host, port }]);
    const until = Date.now() + 30000;
    while (Date.now() < until) {
      const r = await run("pg_isready", ["-h", host, "-p", String(port), "-q"]);
      if (r.code === 0) return;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error("postgres did not become ready within 30s; see .local/log/postgres.out");
  },
  async stop(ctx) {
    // SIGINT = "fast" shutdown: open transactions roll back, nothing committed is lost.
    await stopPid(readPid(join(ctx.topology.paths.postgresData, "postmaster.pid")), "SIGINT", 30000);
  },
};
