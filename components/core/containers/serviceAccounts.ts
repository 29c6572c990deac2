// Fixed user and group ids inside each image, so files written from outside (rendered configs,
// maildirs, queues and databases on the volume) have owners the daemons recognise after every
// image rebuild. Our Dockerfiles create these users before the packages would pick dynamic ids;
// Debian fixes www-data at 33 itself. Pure constants.
import type { ServiceName, Topology } from "../topology";

export const ACCOUNT_IDS = {
  postfix: { uid: 200, gid: 200 },
  postdrop: { gid: 201 },
  dovecot: { uid: 210, gid: 210 },
  dovenull: { uid: 211, gid: 211 },
  rspamd: { uid: 220, gid: 220 },
  postgres: { uid: 230, gid: 230 },
  valkey: { uid: 240, gid: 240 },
  unbound: { uid: 250, gid: 250 },
  wwwData: { uid: 33, gid: 33 },
} as const;

/** Build args for files/images/* Dockerfiles (each Dockerfile declares the ones it uses). */
export function imageBuildArgs(topo: Pick<Topology, "mailUser">): Record<string, string> {
  const a = ACCOUNT_IDS;
  return {
    POSTFIX_UID: String(a.postfix.uid),
    POSTFIX_GID: String(a.postfix.gid),
    POSTDROP_GID: String(a.postdrop.gid),
    DOVECOT_UID: String(a.dovecot.uid),
    DOVECOT_GID: String(a.dovecot.gid),
    DOVENULL_UID: String(a.dovenull.uid),
    DOVENULL_GID: String(a.dovenull.gid),
    RSPAMD_UID: String(a.rspamd.uid),
    RSPAMD_GID: String(a.rspamd.gid),
    POSTGRES_UID: String(a.postgres.uid),
    POSTGRES_GID: String(a.postgres.gid),
    VALKEY_UID: String(a.valkey.uid),
    VALKEY_GID: String(a.valkey.gid),
    UNBOUND_UID: String(a.unbound.uid),
    UNBOUND_GID: String(a.unbound.gid),
    VMAIL_UID: String(topo.mailUser.uid),
    VMAIL_GID: String(topo.mailUser.gid),
    VMAIL_USER: topo.mailUser.name,
  };
}

/**
 * Owner of each service's rendered files: root, with the group the daemon runs as, so a 0640
 * secret file is readable by the service and nobody else.
 */
export const CONFIG_FILE_OWNER: Record<ServiceName, { uid: number; gid: number }> = {
  postfix: { uid: 0, gid: ACCOUNT_IDS.postfix.gid },
  dovecot: { uid: 0, gid: ACCOUNT_IDS.dovecot.gid },
  rspamd: { uid: 0, gid: ACCOUNT_IDS.rspamd.gid },
  valkey: { uid: 0, gid: ACCOUNT_IDS.valkey.gid },
  postgres: { uid: 0, gid: ACCOUNT_IDS.postgres.gid },
  roundcube: { uid: 0, gid: ACCOUNT_IDS.wwwData.gid },
  nginx: { uid: 0, gid: ACCOUNT_IDS.wwwData.gid },
  certbot: { uid: 0, gid: 0 },
  unbound: { uid: 0, gid: ACCOUNT_IDS.unbound.gid },
  // fail2ban runs as root (it changes the host's nftables); its files are root's alone.
  fail2ban: { uid: 0, gid: 0 },
  // Runs as root (it reads every service's files); its files hold the repository's secrets.
  backup: { uid: 0, gid: 0 },
};
