// Fixed user and group ids inside each container, so files pushed from outside (rendered configs,
// maildirs, queues on the volume) have owners the daemons recognise after every image rebuild.
// Our images create their users with these ids (passed as docker build args); the official
// images' ids are what those images use. Pure constants.
import type { ServiceName, Topology } from "../topology";

/** Build args for files/images/* Dockerfiles. */
export function imageBuildArgs(topo: Topology): Record<string, string> {
  return {
    POSTFIX_UID: "200",
    POSTFIX_GID: "200",
    POSTDROP_GID: "201",
    DOVECOT_UID: "210",
    DOVECOT_GID: "210",
    DOVENULL_UID: "211",
    DOVENULL_GID: "211",
    RSPAMD_UID: "220",
    RSPAMD_GID: "220",
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
  postfix: { uid: 0, gid: 200 },
  dovecot: { uid: 0, gid: 210 },
  rspamd: { uid: 0, gid: 220 },
  // Official images: redis and postgres run as uid/gid 999, Roundcube's PHP as www-data (33).
  redis: { uid: 0, gid: 999 },
  postgres: { uid: 0, gid: 999 },
  roundcube: { uid: 0, gid: 33 },
  caddy: { uid: 0, gid: 0 },
};
