// Renders the mail host's cloud-init user data from files/cloud-init/user-data.yaml: Docker from
// Debian's docker.io package with the userland proxy off, the Hetzner volume mounted at
// /srv/mail through its stable /dev/disk/by-id path, the Pulumi-generated SSH host key, sshd's
// MaxStartups, the IPv6 egress rule, and the container guard (nftables). No admin keys: those go over SSH on every server.
// Pure: values in, YAML text out; it never creates a resource.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MailConfig } from "../config/config";
import { renderFile } from "../render/template";
import { productionTopology, VOLUME_MOUNT } from "../topology";
import { DOCKER_DAEMON_CONFIG } from "./dockerNetwork";
import { GUARD_FILE, GUARD_UNIT, GUARD_UNIT_NAME, guardRuleset } from "./hostFirewall";
import { FILES_DIR } from "../paths";

export interface CloudInitInputs {
  /** OpenSSH-format ED25519 private host key (secret). */
  hostKeyPrivateOpenssh: string;
  /** `ssh-ed25519 AAAA...` */
  hostKeyPublicOpenssh: string;
  /** Hetzner volume id (numeric). */
  volumeId: string | number;
  /** The mail host's IPv6 address (the ::1 of the VM's /64). */
  ipv6Address: string;
}

/** Hetzner exposes attached volumes under this stable name; /dev/sdX may change between boots. */
export function volumeDevicePath(volumeId: string | number): string {
  return `/dev/disk/by-id/scsi-0HC_Volume_${volumeId}`;
}

const indent = (text: string, spaces: number) =>
  text
    .replace(/\n+$/, "")
    .split("\n")
    .map((l) => (l === "" ? "" : " ".repeat(spaces) + l))
    .join("\n");

export function cloudInitUserData(cfg: MailConfig, inputs: CloudInitInputs): string {
  if (!/^\d+$/.test(String(inputs.volumeId))) throw new Error(`volume id "${inputs.volumeId}" is not numeric`);
  return renderFile("cloud-init/user-data.yaml", {
    hostname: cfg.hostname,
    shortHostname: cfg.hostname.split(".")[0],
    hostKeyPrivate: indent(inputs.hostKeyPrivateOpenssh, 4),
    hostKeyPublic: inputs.hostKeyPublicOpenssh.trim(),
    dockerDaemonJson: indent(JSON.stringify(DOCKER_DAEMON_CONFIG, null, 2), 6),
    volumeDevice: volumeDevicePath(inputs.volumeId),
    volumeMount: VOLUME_MOUNT,
    ipv6Address: inputs.ipv6Address,
    containerIpv6Subnet: productionTopology.networks.mail.ipv6Subnet ?? "",
    ipv6EgressScript: indent(readFileSync(join(FILES_DIR, "cloud-init/ipv6-egress.sh"), "utf8"), 6),
    guardFile: GUARD_FILE,
    guardUnitName: GUARD_UNIT_NAME,
    guardRuleset: indent(guardRuleset(productionTopology), 6),
    guardUnit: indent(GUARD_UNIT, 6),
  });
}
