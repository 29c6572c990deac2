// Shell text of the host-level steps the MailServer component runs over SSH once the VM exists:
// waiting for cloud-init (and saying why when it failed), growing the mail filesystem after the
// Hetzner volume grew, and the rule that a volume never shrinks. Pure: values in, text or an
// error out. It creates no resource and never touches containers or rendered files.
import { volumeDevicePath } from "./cloudInit";

/**
 * Succeeds once cloud-init finished, the volume is mounted and Docker answers. On failure it
 * prints what an operator needs (cloud-init's long status and the end of its output log, the
 * block devices, Docker's unit status) to stderr, which the command provider shows in the error.
 */
export function cloudInitReadyScript(volumeMount: string): string {
  return [
    "set -u",
    "cloud-init status --wait >/dev/null 2>&1",
    "if ! cloud-init status | grep -q 'status: done'; then",
    "  echo 'cloud-init did not finish cleanly:' >&2",
    "  cloud-init status --long >&2 || true",
    "  echo '--- last lines of /var/log/cloud-init-output.log ---' >&2",
    "  tail -n 60 /var/log/cloud-init-output.log >&2 || true",
    "  exit 1",
    "fi",
    `if ! mountpoint -q '${volumeMount}'; then`,
    `  echo '${volumeMount} is not mounted; block devices:' >&2`,
    "  lsblk >&2 || true",
    "  exit 1",
    "fi",
    "if ! docker info >/dev/null 2>&1; then",
    "  echo 'Docker does not answer:' >&2",
    "  systemctl --no-pager status docker.service >&2 || true",
    "  exit 1",
    "fi",
    "",
  ].join("\n");
}

/**
 * Grows the ext4 filesystem on the mail volume to the volume's size, online. Hetzner resizes the
 * block device but never the filesystem on it; the SCSI rescan makes the kernel see the new
 * size at once. resize2fs on a filesystem that already fills the device changes nothing.
 */
export function growFilesystemScript(volumeId: string | number): string {
  if (!/^\d+$/.test(String(volumeId))) throw new Error(`volume id "${volumeId}" is not numeric`);
  return [
    "set -eu",
    `dev=$(readlink -f '${volumeDevicePath(volumeId)}')`,
    'rescan="/sys/class/block/$(basename "$dev")/device/rescan"',
    'if [ -w "$rescan" ]; then echo 1 > "$rescan"; fi',
    'resize2fs "$dev"',
    "",
  ].join("\n");
}

/**
 * The size to ask Hetzner for, or an error when it is smaller than the volume already is: the
 * Hetzner API cannot shrink a volume ("Note that downsizing a Volume is not possible", Cloud API
 * reference, Resize Volume), and the provider would only find out halfway through an `up`.
 */
export function checkedVolumeSize(wantedGb: number, currentGb: number | undefined): number {
  if (currentGb !== undefined && wantedGb < currentGb) {
    throw new Error(
      `mailstack:server.volumeSizeGb: ${wantedGb} is smaller than the mail volume's current ${currentGb} GB; ` +
        `Hetzner volumes can only grow. Set it to ${currentGb} or more (to use less space, move the mail to a new, smaller stack).`,
    );
  }
  return wantedGb;
}
