// PostgreSQL's rendered files: server settings, who may log in from where, the roles and
// databases (run on every deploy), the mail schema, and the superuser's initial password (read
// once by initdb). Pure: reads files/postgres/, never writes.
import type { MailConfig } from "../config/config";
import type { Topology } from "../topology";
import { oneLine, sqlString } from "./quote";
import type { RenderedFile } from "./render";
import type { ServiceSecrets } from "./secrets";
import { renderSpecs } from "./spec";

export function postgresFiles(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  return renderSpecs([
    {
      service: "postgres",
      template: "postgres/postgresql.conf",
      values: { hostname: cfg.hostname, port: topo.internal.postgres.port, configDir: topo.configDirs.postgres },
    },
    // IPv4 only: the database networks are internal and have no IPv6 (topology.ts).
    { service: "postgres", template: "postgres/pg_hba.conf", values: { mailDbNet: topo.networks.maildb.ipv4Subnet, webmailDbNet: topo.networks.webmaildb.ipv4Subnet, backupDbNet: topo.networks.backupdata.ipv4Subnet } },
    {
      service: "postgres",
      template: "postgres/roles.sql",
      secret: true,
      mode: 0o640,
      values: {
        mailDbPassword: sqlString(secrets.mailDbPassword),
        roundcubeDbPassword: sqlString(secrets.roundcubeDbPassword),
        mailPasswordDbPassword: sqlString(secrets.mailPasswordDbPassword),
        backupDbPassword: sqlString(secrets.backupDbPassword),
      },
    },
    { service: "postgres", template: "postgres/schema.sql", values: {} },
    // 0640 group postgres: initdb runs as postgres and reads it once, when the cluster is new.
    { service: "postgres", template: "postgres/superuser-password", secret: true, mode: 0o640, values: { superuserPassword: oneLine(secrets.postgresPassword, "postgresPassword") } },
  ]);
}
