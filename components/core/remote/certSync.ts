// The certificate hook on the VM as plain data: files/tls/sync-certs.sh installed at
// /srv/mail/bin/sync-certs.sh, a oneshot systemd service that runs it for the stack's certificates
// (components/core/containers/certificates.ts), and a timer that runs it every five minutes, plus
// the shell script (for `sh -s` over SSH) that installs all three, enables the timer and runs the
// service once, so a (self-signed, until certbot has one) certificate exists for every name before
// Postfix, Dovecot and nginx start. Installed by a remote command rather than cloud-init: the
// hostname and the domains can change after first boot and the server ignores later user data.
// Pure: reads files/tls/sync-certs.sh, returns text; it never touches certbot's state or the
// daemons (the script itself does that on the VM).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import type { MailConfig } from "../config/config";
import { MAIL_CERTIFICATE, webCertificates, type WebCertificate } from "../containers/certificates";
import { hostDir } from "../containers/hostLayout";
import { FILES_DIR } from "../paths";
import { containerName, VOLUME_MOUNT, type Topology } from "../topology";
import { atomicInstallLines } from "./heredoc";

export const CERT_SYNC_SCRIPT = `${VOLUME_MOUNT}/bin/sync-certs.sh`;
/** Host folder bind-mounted (as a folder: the hook swaps symlinks in it) onto the topology's TLS dir. */
export const HOST_TLS_DIR = `${VOLUME_MOUNT}/tls`;
export const CERT_SYNC_UNIT = "mailstack-sync-certs";
const UNIT_DIR = "/etc/systemd/system";
const CERT_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
// Punycode top-level domains (xn--...) included: internationalised domains arrive converted.
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

export interface CertSyncFiles {
  /** Absolute path on the VM → content and mode. */
  files: { path: string; content: string; mode: string }[];
  /** Changes exactly when one of the files changes. */
  contentHash: string;
  /** For `sh -s`: installs the files, enables the timer, runs the hook once and fails if it fails. */
  script: string;
}

/**
 * The hook's CERTIFICATES value: `<name>=<DNS name>[,<DNS name>...]` entries separated by
 * spaces. Refuses anything that is not a plain certificate or host name, so no value can inject a
 * line into the unit file or a word into the script.
 */
export function certificatesEnv(certs: readonly WebCertificate[]): string {
  if (certs.length === 0) throw new Error("the certificate hook needs at least one certificate");
  return certs
    .map((c) => {
      if (!CERT_NAME.test(c.name)) throw new Error(`"${c.name}" is not a certificate name the certificate hook can use`);
      for (const n of c.names) if (!HOSTNAME.test(n)) throw new Error(`"${n}" is not a host name the certificate hook can use`);
      if (c.names.length === 0) throw new Error(`certificate ${c.name} has no names`);
      return `${c.name}=${c.names.join(",")}`;
    })
    .join(" ");
}

/** Shell commands the hook runs to reload each daemon (an engine CLI, or a test's fake). */
export interface HookReloads {
  dovecot: string;
  postfix: string;
  nginx: string;
}

/** The reload commands on a host whose engine has a docker-compatible CLI (the VM's defaults). */
export function engineReloads(topo: Topology, cli = "docker"): HookReloads {
  return {
    dovecot: `${cli} exec ${containerName(topo, "dovecot")} doveadm reload`,
    postfix: `${cli} exec ${containerName(topo, "postfix")} postfix reload`,
    nginx: `${cli} kill --signal HUP ${containerName(topo, "nginx")}`,
  };
}

/**
 * The hook's whole environment for a topology: what the local runner passes when it runs
 * files/tls/sync-certs.sh on this host. For the production topology with engineReloads() it
 * equals the script's own defaults, which is why the VM's unit sets CERTIFICATES only.
 */
export function certHookEnv(cfg: Pick<MailConfig, "hostname" | "domains">, topo: Topology, reloads: HookReloads): Record<string, string> {
  return {
    CERTIFICATES: certificatesEnv(webCertificates(cfg, topo)),
    LETSENCRYPT_DIR: hostDir(topo, "letsencrypt"),
    TLS_DIR: hostDir(topo, "tls"),
    MAIL_CERTIFICATE,
    RELOAD_DOVECOT: reloads.dovecot,
    RELOAD_POSTFIX: reloads.postfix,
    RELOAD_NGINX: reloads.nginx,
  };
}

export function certSyncService(certs: readonly WebCertificate[]): string {
  const env = certificatesEnv(certs);
  return [
    "[Unit]",
    "Description=Install certbot's certificates for Postfix, Dovecot and nginx",
    "Documentation=file://" + CERT_SYNC_SCRIPT,
    // certbot's state and the TLS folder live on the volume; reloads go through Docker.
    `RequiresMountsFor=${VOLUME_MOUNT}`,
    "After=docker.service",
    "",
    "[Service]",
    "Type=oneshot",
    // The script's other defaults (certbot's folder, TLS folder, reload commands) are the VM's.
    `Environment="CERTIFICATES=${env}"`,
    `ExecStart=/bin/bash ${CERT_SYNC_SCRIPT}`,
    "",
  ].join("\n");
}

export function certSyncTimer(): string {
  return [
    "[Unit]",
    "Description=Install renewed certificates from certbot for Postfix, Dovecot and nginx every 5 minutes",
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

/** A value for a shell assignment; every hook value is a path, a name list or a docker command. */
function shellWord(v: string): string {
  if (v.includes("'")) throw new Error(`certificate hook value ${v} holds a quote`);
  return `'${v}'`;
}

/**
 * The hook on an existing host, which has no systemd timer of ours: the script installs
 * files/tls/sync-certs.sh at <host root>/bin/sync-certs.sh and runs it once with the topology's
 * folders and `docker` reloads (DOCKER_HOST comes from the step's environment), so every name has
 * a pair before the daemons start; `command` is the line that runs it again, for the operator's
 * cron (renewed certificates reach the daemons only through it).
 */
export function certHookOnce(cfg: Pick<MailConfig, "hostname" | "domains">, topo: Topology): { script: string; contentHash: string; command: string } {
  const path = `${hostDir(topo, "bin")}/sync-certs.sh`;
  const content = readFileSync(join(FILES_DIR, "tls", "sync-certs.sh"), "utf8");
  const env = certHookEnv(cfg, topo, engineReloads(topo, "docker"));
  const command = [...Object.entries(env).map(([k, v]) => `${k}=${shellWord(v)}`), "bash", path].join(" ");
  const tls = hostDir(topo, "tls");
  const pairs = certificatesEnv(webCertificates(cfg, topo))
    .split(" ")
    .map((e) => e.split("=")[0])
    .map((name) => `[ -s '${tls}/${name}/fullchain.pem' ] && [ -s '${tls}/${name}/privkey.pem' ]`)
    .join(" && ");
  const script = [
    "set -eu",
    `install -d -m 0755 '${hostDir(topo, "bin")}'`,
    `base64 -d > '${path}.tmp' <<'MAILSTACK_FILE'`,
    ...(Buffer.from(content, "utf8").toString("base64").match(/.{1,76}/g) ?? []),
    "MAILSTACK_FILE",
    `chmod 0755 '${path}.tmp'`,
    `mv -f '${path}.tmp' '${path}'`,
    // As on the VM: a failed reload (daemons not running yet) is fine once every pair is there.
    `if ! ${command}; then`,
    `  if ${pairs}; then echo "certificate hook failed; every certificate is in place, continuing" >&2`,
    `  else echo "certificate hook failed and ${tls} lacks a certificate" >&2; exit 1; fi`,
    "fi",
  ].join("\n") + "\n";
  return { script, contentHash: createHash("sha256").update(script).digest("hex"), command };
}

/** Only tests pass other folders. */
export interface CertSyncPaths {
  unitDir?: string;
  scriptPath?: string;
  /** Where the hook keeps one sub-folder per certificate (its TLS_DIR default). */
  tlsDir?: string;
}

export function certSyncFiles(certs: readonly WebCertificate[], paths: CertSyncPaths = {}): CertSyncFiles {
  const { unitDir = UNIT_DIR, scriptPath = CERT_SYNC_SCRIPT, tlsDir = HOST_TLS_DIR } = paths;
  const files = [
    { path: scriptPath, content: readFileSync(join(FILES_DIR, "tls", "sync-certs.sh"), "utf8"), mode: "0755" },
    { path: `${unitDir}/${CERT_SYNC_UNIT}.service`, content: certSyncService(certs), mode: "0644" },
    { path: `${unitDir}/${CERT_SYNC_UNIT}.timer`, content: certSyncTimer(), mode: "0644" },
  ];
  const h = createHash("sha256");
  for (const f of files) h.update(`${f.path}\0${f.mode}\0${f.content}\0`);
  const lines = ["set -eu"];
  for (const f of files) lines.push(...atomicInstallLines(f));
  // Every certificate must have a pair in place after the first run: nginx, Postfix and Dovecot
  // refuse to start without theirs.
  const pairs = certs.map((c) => `[ -s '${tlsDir}/${c.name}/fullchain.pem' ] && [ -s '${tlsDir}/${c.name}/privkey.pem' ]`).join(" && ");
  lines.push(
    "systemctl daemon-reload",
    `systemctl enable --now ${CERT_SYNC_UNIT}.timer`,
    // Runs it now and waits: the daemons are created only after every certificate exists. A
    // failed reload (a daemon not running yet while certbot already has a newer certificate)
    // leaves the new pair installed, which the daemons read when they start: only a missing
    // certificate fails the deploy.
    `if ! systemctl start ${CERT_SYNC_UNIT}.service; then`,
    `  if ${pairs}; then`,
    `    echo "certificate hook failed (journalctl -u ${CERT_SYNC_UNIT}); every certificate is in place, continuing" >&2`,
    "  else",
    `    echo "certificate hook failed and ${tlsDir} lacks a certificate: journalctl -u ${CERT_SYNC_UNIT}" >&2`,
    "    exit 1",
    "  fi",
    "fi",
  );
  return { files, contentHash: h.digest("hex"), script: lines.join("\n") + "\n" };
}
