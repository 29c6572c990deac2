// The host side of every container mount: which folder under the topology's host root (the
// Hetzner volume on the VM, .local/data here) holds what, and who owns it. One table, so the
// config push, the certificate hook, the container description, the local runner and (later)
// backups agree on where things are. Pure constants and path joins.
import { join } from "node:path";
import type { ServiceName, Topology } from "../topology";
import { ACCOUNT_IDS } from "./serviceAccounts";

/** Folders under the host root, relative. */
export const HOST_DIRS = {
  /** Rendered files, one folder per service (the config push writes them). */
  config: "config",
  vmail: "vmail",
  sieve: "sieve",
  postgres: "postgres",
  valkey: "valkey",
  rspamd: "rspamd",
  postfixSpool: "postfix/spool",
  postfixLib: "postfix/lib",
  /** Certificates the daemons read, one folder per certificate name (the hook maintains it). */
  tls: "tls",
  /** certbot's /etc/letsencrypt: account, issued certificates, renewal settings. */
  letsencrypt: "letsencrypt",
  /** ACME HTTP-01 challenge files: certbot writes, nginx serves. */
  acmeWebroot: "acme",
  /** Roundcube's public files, copied there by its image, served by nginx. */
  roundcubePublic: "roundcube",
  /** Dovecot's LMTP, SASL and quota-policy sockets; mounted by Dovecot and Postfix only. */
  postfixDovecot: "run/dovecot-postfix",
  /** Dovecot's failed-login events: Dovecot writes, fail2ban reads (and truncates). */
  authLog: "log/auth",
  /** fail2ban's database: current bans and each address's history, across restarts. */
  fail2ban: "fail2ban",
  /** Local only: pebble's TLS certificate and issuing root (the stand-in for Let's Encrypt). */
  testCa: "test-ca",
  /** Image build contexts on the VM. */
  build: "build",
  /** The certificate hook script and the alert checks on the VM. */
  bin: "bin",
  /** The backup container's work folder: status file, restic's cache, staging and restore trees. */
  backup: "backup",
} as const;

export const hostDir = (topo: Pick<Topology, "hostRoot">, key: keyof typeof HOST_DIRS): string => join(topo.hostRoot, HOST_DIRS[key]);

/** Host folder bind-mounted read-only onto topology.configDirs[service]. */
export const hostConfigDir = (topo: Pick<Topology, "hostRoot">, service: ServiceName): string => join(hostDir(topo, "config"), service);

export interface DataDir {
  path: string;
  uid: number;
  gid: number;
  /** Octal, as install(1) takes it. */
  mode: string;
}

/** Every data folder the containers mount, with the owner its daemon needs. Created before start. */
export function dataDirs(topo: Topology): DataDir[] {
  const a = ACCOUNT_IDS;
  const d = (key: keyof typeof HOST_DIRS, uid: number, gid: number, mode: string): DataDir => ({ path: hostDir(topo, key), uid, gid, mode });
  const dirs = [
    d("postgres", a.postgres.uid, a.postgres.gid, "0700"),
    d("valkey", a.valkey.uid, a.valkey.gid, "0700"),
    d("rspamd", a.rspamd.uid, a.rspamd.gid, "0750"),
    d("vmail", topo.mailUser.uid, topo.mailUser.gid, "0750"),
    d("sieve", topo.mailUser.uid, topo.mailUser.gid, "0750"),
    d("postfixSpool", 0, 0, "0755"),
    d("postfixLib", a.postfix.uid, a.postfix.gid, "0700"),
    // Root only: private keys. Postfix, Dovecot and nginx read them as root before dropping privileges.
    d("tls", 0, 0, "0700"),
    d("letsencrypt", 0, 0, "0700"),
    d("acmeWebroot", 0, 0, "0755"),
    d("roundcubePublic", 0, 0, "0755"),
    // Dovecot (root) creates the sockets; Postfix's processes reach them through the group.
    d("postfixDovecot", 0, a.postfix.gid, "0750"),
    // Dovecot's stats process (the dovecot user) appends; fail2ban reads as root.
    d("authLog", a.dovecot.uid, a.dovecot.gid, "0750"),
    d("fail2ban", 0, 0, "0700"),
    d("backup", 0, 0, "0700"),
  ];
  if (topo.acme.issuer === "pebble") dirs.push(d("testCa", 0, 0, "0755"));
  return dirs.sort((x, y) => (x.path < y.path ? -1 : 1));
}
