// The backup container's rendered files (files/images/backup/ reads them from /config): the
// settings (files/backup/backup.env) and the secrets, each in its own file: restic's repository
// password, the read-only database role's password, Valkey's password, and the repository's credentials by kind
// (s3.env, rest.env, or an SSH key and known_hosts for SFTP). Nothing when the stack configures
// no backup. The local topology replaces the repository with a folder on this machine. Pure.
import type { MailConfig } from "../config/config";
import { backupMaxAgeSeconds, longestScheduleGapSeconds } from "../config/operations";
import { BACKUP_LOCAL_REPOSITORY, type Topology } from "../topology";
import { oneLine } from "./quote";
import type { RenderedFile } from "./render";
import type { ServiceSecrets } from "./secrets";
import { renderSpecs } from "./spec";

/** A value for a bash-sourced file: single-quoted, refusing what a line-based file cannot hold. */
export function shellQuoted(value: string, what: string): string {
  return `'${oneLine(value, what).replace(/'/g, `'\\''`)}'`;
}

/** The repository as logs may show it: an S3/REST URL's query string and user info removed. */
export function repositoryShown(repo: string): string {
  return repo.replace(/\/\/[^/@\s]*@/, "//").replace(/\?.*$/, "");
}

export function backupFiles(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  const b = cfg.backup;
  if (b === undefined) return [];
  const s = secrets.backup;
  if (s === undefined) throw new Error("mailstack:backup is set but its secrets were not passed to the renderer (mailstack:backupPassword)");
  const local = topo.backupRepository !== undefined;
  const repository = local ? BACKUP_LOCAL_REPOSITORY : b.repository;
  const gap = longestScheduleGapSeconds(b.schedule);
  const files = renderSpecs([
    {
      service: "backup",
      template: "backup/backup.env",
      values: {
        repository: shellQuoted(repository, "backup.repository"),
        repositoryShown: shellQuoted(local ? `${BACKUP_LOCAL_REPOSITORY} (local stack: ${topo.backupRepository})` : repositoryShown(repository), "backup.repository"),
        repositoryNote: local ? "the local stack's folder, instead of backup.repository" : "mailstack:backup.repository",
        hostTag: shellQuoted(cfg.hostname, "hostname"),
        schedule: shellQuoted(b.schedule.join(" "), "backup.schedule"),
        gapSeconds: gap,
        maxAgeSeconds: backupMaxAgeSeconds(b, cfg.alerts),
        keepDaily: b.retention.daily,
        keepWeekly: b.retention.weekly,
        keepMonthly: b.retention.monthly,
        pgHost: topo.internal.postgres.host,
        pgPort: topo.internal.postgres.port,
        valkeyHost: topo.internal.valkey.host,
        valkeyPort: topo.internal.valkey.port,
      },
    },
  ]);
  const secret = (path: string, content: string): RenderedFile => ({ service: "backup", path, content, mode: 0o600, secret: true });
  files.push(secret("restic-password", `${oneLine(s.password, "mailstack:backupPassword")}\n`));
  files.push(secret("db-password", `${oneLine(secrets.backupDbPassword, "backup database password")}\n`));
  // Valkey wants its password (requirepass) from every client, the backup's RDB copy included.
  files.push(secret("valkey-password", `${oneLine(secrets.valkeyPassword, "valkey password")}\n`));
  if (!local && b.kind === "s3") {
    if (s.accessKeyId === undefined || s.secretAccessKey === undefined) throw new Error("an s3: backup repository needs mailstack:backupAccessKeyId and mailstack:backupSecretAccessKey");
    files.push(secret("s3.env", `AWS_ACCESS_KEY_ID=${shellQuoted(s.accessKeyId, "mailstack:backupAccessKeyId")}\nAWS_SECRET_ACCESS_KEY=${shellQuoted(s.secretAccessKey, "mailstack:backupSecretAccessKey")}\n`));
  }
  if (!local && b.kind === "rest" && b.restUsername !== undefined) {
    if (s.restPassword === undefined) throw new Error("a REST backup repository with restUsername needs mailstack:backupRestPassword");
    files.push(secret("rest.env", `RESTIC_REST_USERNAME=${shellQuoted(b.restUsername, "backup.restUsername")}\nRESTIC_REST_PASSWORD=${shellQuoted(s.restPassword, "mailstack:backupRestPassword")}\n`));
  }
  if (!local && b.kind === "sftp") {
    if (s.sshKey === undefined || b.sftpKnownHosts === undefined) throw new Error("an sftp: backup repository needs mailstack:backupSshKey and backup.sftpKnownHosts");
    files.push(secret("sftp/id", s.sshKey.endsWith("\n") ? s.sshKey : `${s.sshKey}\n`));
    files.push({ service: "backup", path: "sftp/known_hosts", content: `${oneLine(b.sftpKnownHosts, "backup.sftpKnownHosts")}\n`, mode: 0o644, secret: false });
  }
  return files;
}
