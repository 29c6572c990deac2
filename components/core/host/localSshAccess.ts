// How `pulumi up` itself reaches the VM's Docker engine: the Docker provider runs the system
// `ssh`, which needs the deploy key in a file and the VM's host key in a known_hosts file. Both
// live in a per-stack folder of the working directory (.pulumi-ssh/<stack>/, git-ignored), written
// by a local command whose script is built here. Paths are relative to the project directory, the
// working directory of the program and of every provider plugin, so the provider's options are the
// same on every machine and a preview stays empty. Pure: names, paths and shell text only.

/** The git-ignored folder that holds every stack's SSH access files. */
export const LOCAL_SSH_ROOT = ".pulumi-ssh";

export interface LocalSshPaths {
  dir: string;
  /** The deploy private key, mode 0600 (ssh refuses a key others can read). */
  privateKey: string;
  /** One line: the VM's address and its pinned host key. */
  knownHosts: string;
}

const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function localSshPaths(stack: string): LocalSshPaths {
  // The stack name becomes a path inside single quotes: refuse anything that could escape either.
  if (!STACK_NAME.test(stack)) throw new Error(`stack name "${stack}" is not usable as a folder name`);
  const dir = `${LOCAL_SSH_ROOT}/${stack}`;
  return { dir, privateKey: `${dir}/deploy_key`, knownHosts: `${dir}/known_hosts` };
}

const HOST = /^[0-9A-Za-z.:-]+$/;
const HOST_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+$/;

/** `203.0.113.10 ssh-ed25519 AAAA...`: what ssh compares the VM's host key against. */
export function knownHostsLine(host: string, hostKey: string): string {
  if (!HOST.test(host)) throw new Error(`"${host}" is not an address ssh can pin a host key for`);
  const key = hostKey.trim();
  if (!HOST_KEY.test(key)) throw new Error(`host key "${key}" is not an OpenSSH public key without comment`);
  return `${host} ${key}`;
}

/**
 * Shell script (for /bin/sh -c) that installs the private key read from stdin and the known_hosts
 * line. The key never appears in the script: it arrives on stdin only. Each file is written to a
 * temp file with its final mode and renamed, so ssh never reads half a key.
 */
export function writeLocalSshAccessScript(paths: LocalSshPaths, knownHosts: string): string {
  if (/['\n]/.test(knownHosts)) throw new Error("the known_hosts line must be one line without quotes");
  return [
    "set -eu",
    "umask 077",
    `mkdir -p '${paths.dir}'`,
    `chmod 0700 '${LOCAL_SSH_ROOT}' '${paths.dir}'`,
    `cat > '${paths.privateKey}.tmp'`,
    `chmod 0600 '${paths.privateKey}.tmp'`,
    `mv -f '${paths.privateKey}.tmp' '${paths.privateKey}'`,
    `printf '%s\\n' '${knownHosts}' > '${paths.knownHosts}.tmp'`,
    `chmod 0600 '${paths.knownHosts}.tmp'`,
    `mv -f '${paths.knownHosts}.tmp' '${paths.knownHosts}'`,
  ].join("\n");
}

/** Removes the stack's folder when the stack (or its server) is destroyed. */
export function removeLocalSshAccessScript(paths: LocalSshPaths): string {
  return `rm -rf '${paths.dir}'`;
}

/**
 * Options the Docker provider appends to its `ssh` command: only this key (no agent, no
 * ~/.ssh keys), only this known_hosts file, and a host key that does not match is a failure,
 * never a prompt.
 */
export function dockerSshOpts(paths: LocalSshPaths): string[] {
  return [
    "-i",
    paths.privateKey,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    `UserKnownHostsFile=${paths.knownHosts}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
  ];
}
