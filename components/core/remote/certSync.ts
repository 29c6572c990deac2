// The certificate hook on the VM as plain data: files/tls/sync-certs.sh installed at
// /srv/mail/bin/sync-certs.sh, a oneshot systemd service that runs it for the mail host name, and
// a timer that runs it every five minutes, plus the shell script (for `sh -s` over SSH) that
// installs all three, enables the timer and runs the service once, so a (self-signed, until
// Caddy has one) certificate exists before Postfix and Dovecot start. Installed by a remote
// command rather than cloud-init: the hostname can change after first boot and the server
// ignores later user data. Pure: reads files/tls/sync-certs.sh, returns text; it never touches
// Caddy's storage or the daemons (the script itself does that on the VM).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { VOLUME_MOUNT } from "../topology";
import { FILES_DIR } from "../paths";

export const CERT_SYNC_SCRIPT = `${VOLUME_MOUNT}/bin/sync-certs.sh`;
/** Host folder bind-mounted (as a folder: the hook swaps symlinks in it) onto the topology's TLS dir. */
export const HOST_TLS_DIR = `${VOLUME_MOUNT}/tls`;
export const CERT_SYNC_UNIT = "mailstack-sync-certs";
const UNIT_DIR = "/etc/systemd/system";
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$/;

export interface CertSyncFiles {
  /** Absolute path on the VM → content and mode. */
  files: { path: string; content: string; mode: string }[];
  /** Changes exactly when one of the files changes. */
  contentHash: string;
  /** For `sh -s`: installs the files, enables the timer, runs the hook once and fails if it fails. */
  script: string;
}

export function certSyncService(hostname: string): string {
  if (!HOSTNAME.test(hostname)) throw new Error(`"${hostname}" is not a host name the certificate hook can use`);
  return [
    "[Unit]",
    `Description=Copy the certificate of ${hostname} from Caddy to Postfix and Dovecot`,
    "Documentation=file://" + CERT_SYNC_SCRIPT,
    // The certificates and Caddy's storage live on the volume; reloads go through Docker.
    `RequiresMountsFor=${VOLUME_MOUNT}`,
    "After=docker.service",
    "",
    "[Service]",
    "Type=oneshot",
    // The script's other defaults (Caddy's storage, TLS folder, reload commands) are the VM's.
    `ExecStart=/usr/bin/env MAIL_HOST=${hostname} /bin/bash ${CERT_SYNC_SCRIPT}`,
    "",
  ].join("\n");
}

export function certSyncTimer(): string {
  return [
    "[Unit]",
    "Description=Copy a renewed mail certificate from Caddy to Postfix and Dovecot every 5 minutes",
    "",
    "[Timer]",
    "OnBootSec=1min",
    "OnUnitActiveSec=5min",
    `Unit=${CERT_SYNC_UNIT}.service`,
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

/** Only tests pass other folders. */
export interface CertSyncPaths {
  unitDir?: string;
  scriptPath?: string;
  /** Where the hook puts fullchain.pem and privkey.pem (its TLS_CERT/TLS_KEY defaults). */
  tlsDir?: string;
}

export function certSyncFiles(hostname: string, paths: CertSyncPaths = {}): CertSyncFiles {
  const { unitDir = UNIT_DIR, scriptPath = CERT_SYNC_SCRIPT, tlsDir = HOST_TLS_DIR } = paths;
  const files = [
    { path: scriptPath, content: readFileSync(join(FILES_DIR, "tls", "sync-certs.sh"), "utf8"), mode: "0755" },
    { path: `${unitDir}/${CERT_SYNC_UNIT}.service`, content: certSyncService(hostname), mode: "0644" },
    { path: `${unitDir}/${CERT_SYNC_UNIT}.timer`, content: certSyncTimer(), mode: "0644" },
  ];
  const h = createHash("sha256");
  for (const f of files) h.update(`${f.path}\0${f.mode}\0${f.content}\0`);
  const lines = ["set -eu"];
  for (const f of files) {
    const dir = f.path.slice(0, f.path.lastIndexOf("/"));
    lines.push(
      `install -d -m 0755 '${dir}'`,
      `base64 -d > '${f.path}.tmp' <<'MAILSTACK_FILE'`,
      ...(Buffer.from(f.content, "utf8").toString("base64").match(/.{1,76}/g) ?? []),
      "MAILSTACK_FILE",
      `chmod ${f.mode} '${f.path}.tmp'`,
      `mv -f '${f.path}.tmp' '${f.path}'`,
    );
  }
  lines.push(
    "systemctl daemon-reload",
    `systemctl enable --now ${CERT_SYNC_UNIT}.timer`,
    // Runs it now and waits: Postfix and Dovecot are created only after a certificate exists.
    // A failed reload (Postfix or Dovecot not running yet while Caddy already has a newer
    // certificate) leaves the new pair installed, which the daemons read when they start: only
    // a missing certificate fails the deploy.
    `if ! systemctl start ${CERT_SYNC_UNIT}.service; then`,
    `  if [ -s '${tlsDir}/fullchain.pem' ] && [ -s '${tlsDir}/privkey.pem' ]; then`,
    `    echo "certificate hook failed (journalctl -u ${CERT_SYNC_UNIT}); a certificate is in place, continuing" >&2`,
    "  else",
    `    echo "certificate hook failed and ${tlsDir} has no certificate: journalctl -u ${CERT_SYNC_UNIT}" >&2`,
    "    exit 1",
    "  fi",
    "fi",
  );
  return { files, contentHash: h.digest("hex"), script: lines.join("\n") + "\n" };
}
