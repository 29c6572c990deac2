// root's authorized_keys on the VM: the deploy key Pulumi connects with, then every admin key of
// `mailstack:ssh.adminKeys`. Cloud-init installs the admin keys only at first boot and the server
// ignores later user-data changes, so this file is rewritten over SSH whenever the list changes.
// Pure: keys in, file text and install script out.

// Shape only, as a last guard against a line that could break the file: admin keys were already
// decoded and checked by the config parser (config/sshKeys.ts), including the FIDO types.
const KEY_LINE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/=]+( [^\n]*)?$/;

export const AUTHORIZED_KEYS_PATH = "/root/.ssh/authorized_keys";
const END = "MAILSTACK_KEYS";

/** The deploy key always comes first: dropping it would lock Pulumi out of the VM. */
export function authorizedKeysFile(deployPublicKey: string, adminKeys: readonly string[]): string {
  const keys = [deployPublicKey.trim(), ...adminKeys.map((k) => k.trim())];
  for (const k of keys) if (!KEY_LINE.test(k)) throw new Error(`"${k}" is not an OpenSSH public key line`);
  return [...new Set(keys)].join("\n") + "\n";
}

/**
 * Script for `sh -s`: writes the file beside the old one with mode 0600 and renames it over, so
 * sshd never sees a half-written or empty authorized_keys (which would refuse every login).
 */
export function authorizedKeysScript(content: string): string {
  const lines = content.replace(/\n$/, "").split("\n");
  if (lines.includes(END)) throw new Error(`authorized_keys may not contain a line "${END}"`);
  const tmp = `${AUTHORIZED_KEYS_PATH}.mailstack-tmp`;
  return [
    "set -eu",
    "umask 077",
    "install -d -m 0700 -o root -g root /root/.ssh",
    // Plain lines (no base64) so a preview's diff shows which key changed. A quoted heredoc expands
    // nothing, and a key line never equals the terminator.
    `cat > '${tmp}' <<'${END}'`,
    ...lines,
    END,
    `chown root:root '${tmp}'`,
    `chmod 0600 '${tmp}'`,
    `mv -f '${tmp}' '${AUTHORIZED_KEYS_PATH}'`,
  ].join("\n") + "\n";
}
