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
  const net = topo.network;
  const v6 =
    net.ipv6Subnet === undefined
      ? []
      : [
          `host    mail       mailserver    ${net.ipv6Subnet}  scram-sha-256`,
          `host    mail       mailpassword  ${net.ipv6Subnet}  scram-sha-256`,
          `host    roundcube  roundcube     ${net.ipv6Subnet}  scram-sha-256`,
          `host    mail,roundcube mailbackup ${net.ipv6Subnet}  scram-sha-256`,
        ];
  return renderSpecs([
    {
      service: "postgres",
      template: "postgres/postgresql.conf",
      values: { hostname: cfg.hostname, port: topo.internal.postgres.port, configDir: topo.configDirs.postgres },
    },
    { service: "postgres", template: "postgres/pg_hba.conf", values: { clientNet4: net.ipv4Subnet, clientNet6Lines: v6.join("\n") } },
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
