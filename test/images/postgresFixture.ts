// A throwaway PostgreSQL for tests that must run SQL for real (not a test file itself): a
// container from our own postgres image (the PostgreSQL 17 that deploys), with its data in a temp
// folder, no network at all, and the superuser reached through the container's own socket
// (`psql` exec'd as the postgres user, as the deploy's database setup does). `stop()` removes the
// container and the folder. Needs the container engine; test/run.sh builds the images first.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { imagePlans } from "../../components/core/containers/images";
import { ACCOUNT_IDS } from "../../components/core/containers/serviceAccounts";
import { productionTopology } from "../../components/core/topology";
import { execIn, removeContainer, waitHealthy } from "../../local/engine/containers";
import { connectEngine } from "../../local/engine/engine";

export interface TestPostgres {
  /** Runs SQL through psql (ON_ERROR_STOP) in `db`; returns stdout (unaligned, tuples only). */
  psql(sql: string, db?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<TestPostgres> {
  const docker = (await connectEngine({ install: false })).docker;
  const dir = mkdtempSync(join(tmpdir(), "mailstack-pg-"));
  const config = join(dir, "config");
  const data = join(dir, "data");
  mkdirSync(config);
  mkdirSync(data);
  const pg = ACCOUNT_IDS.postgres;
  chownSync(data, pg.uid, pg.gid);
  chmodSync(data, 0o700);
  // Socket only (no TCP), trust for the container's own socket: nothing outside can reach it.
  writeFileSync(join(config, "postgresql.conf"), "listen_addresses = ''\nunix_socket_directories = '/run/postgresql'\nhba_file = '/config/pg_hba.conf'\nfsync = off\n");
  writeFileSync(join(config, "pg_hba.conf"), "local all all trust\n");
  writeFileSync(join(config, "superuser-password"), "test-only\n");
  chownSync(join(config, "superuser-password"), 0, pg.gid);
  chmodSync(join(config, "superuser-password"), 0o640);
  const name = `mailstack-test-pg-${process.pid}-${Date.now().toString(36)}`;
  const c = await docker.createContainer({
    name,
    Image: imagePlans(productionTopology).services.postgres.tag,
    Env: ["PGDATA=/var/lib/postgresql/data"],
    NetworkDisabled: true,
    Healthcheck: { Test: ["CMD", "pg_isready", "-q", "-U", "postgres"], Interval: 1e9, Timeout: 5e9, Retries: 30, StartPeriod: 60e9 },
    HostConfig: { NetworkMode: "none", Binds: [`${config}:/config:ro`, `${data}:/var/lib/postgresql/data`] },
  });
  await c.start();
  await waitHealthy(docker, name, 60_000);
  return {
    async psql(sql: string, db = "postgres"): Promise<string> {
      const r = await execIn(docker, name, ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-d", db], { input: sql, user: "postgres" });
      if (r.code !== 0) throw new Error(`psql: ${r.stderr.trim()}`);
      return r.stdout;
    },
    async stop(): Promise<void> {
      await removeContainer(docker, name, 30);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
