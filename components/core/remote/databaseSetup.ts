// The remote command that brings the mail database up to date on every deploy, in the order the
// local runner uses (local/cli.ts): wait until PostgreSQL accepts TCP connections, then roles.sql
// in the default database, `\connect mail`, schema.sql, and the mailbox sync SQL, all in one psql
// session inside the postgres container as the postgres OS user (pg_hba allows only peer login on
// the socket for it). Then, when Dovecot runs, its auth cache is flushed, so a password the sync
// replaced stops working at once instead of up to auth_cache_ttl later. roles.sql and schema.sql are idempotent, so rerunning all three is safe.
// Secrets (role passwords in roles.sql, password hashes in the sync SQL) reach psql only through
// its stdin: roles.sql is read from the pushed host file, the sync SQL from this command's stdin.
// Pure: builds shell text; it never runs anything and never writes SQL itself.
import type { Topology } from "../topology";
import { hostConfigDir } from "../containers/hostLayout";

/** Database the mail lookups read (created by roles.sql, tables by schema.sql). */
export const MAIL_DATABASE = "mail";

export interface DatabaseSetupOptions {
  /** Name of the postgres container. */
  container: string;
  /** Name of the dovecot container, whose auth cache is flushed after the sync when it runs. */
  dovecotContainer?: string;
  /** Host folder holding the pushed roles.sql and schema.sql. */
  configDir?: string;
  /** How long to wait for PostgreSQL, in seconds (first start runs initdb first). */
  timeoutSeconds?: number;
  /** Seconds between readiness checks. */
  pollSeconds?: number;
}

/**
 * What psql reads, in order, in one session as the superuser: roles and databases, then the mail
 * schema and the mailbox sync in the mail database. The VM's script and the local runner both
 * feed exactly this sequence.
 */
export function databaseSetupInput(rolesSql: string, schemaSql: string, syncSql: string): string {
  return `${rolesSql}\n\\connect ${MAIL_DATABASE}\n${schemaSql}\n${syncSql}`;
}

export function databaseSetupScript(topo: Topology, opts: DatabaseSetupOptions): string {
  const dir = opts.configDir ?? hostConfigDir(topo, "postgres");
  const poll = opts.pollSeconds ?? 2;
  const attempts = Math.max(1, Math.ceil((opts.timeoutSeconds ?? 180) / poll));
  const c = opts.container;
  const d = opts.dovecotContainer;
  for (const [what, v] of [["container", c], ["config dir", dir], ["dovecot container", d ?? "x"]] as const) {
    if (!/^[A-Za-z0-9._\/-]+$/.test(v)) throw new Error(`${what} "${v}" has characters a shell command cannot take unquoted`);
  }
  const port = topo.internal.postgres.port;
  return [
    "set -eu",
    // TCP, not the socket: during the image's first-start initialisation a temporary server
    // listens on the socket only, and it stops again before the real one starts.
    "i=0",
    `until docker exec ${c} pg_isready -q -h 127.0.0.1 -p ${port} -U postgres </dev/null; do`,
    "  i=$((i + 1))",
    `  if [ "$i" -ge ${attempts} ]; then echo "PostgreSQL in container ${c} did not accept connections within ${attempts * poll}s" >&2; exit 1; fi`,
    `  sleep ${poll}`,
    "done",
    // The last `cat` passes this command's stdin (the mailbox sync SQL) on to psql.
    // Line breaks between the parts: a file without a final newline must not swallow the next line.
    `{ cat '${dir}/roles.sql'; printf '\\n\\\\connect ${MAIL_DATABASE}\\n'; cat '${dir}/schema.sql'; echo; cat; } |`,
    `  docker exec -i -u postgres ${c} psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 -d postgres`,
    ...(d === undefined
      ? []
      : [`if [ "$(docker inspect -f '{{.State.Running}}' ${d} 2>/dev/null)" = true ]; then docker exec ${d} doveadm auth cache flush >/dev/null; fi`]),
  ].join("\n") + "\n";
}
