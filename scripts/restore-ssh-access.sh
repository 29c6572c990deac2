#!/usr/bin/env bash
# Restores .pulumi-ssh/<stack>/deploy_key and known_hosts from the stack's outputs, so that a fresh
# clone or a CI runner can run `pulumi preview`/`pulumi up`: the Docker provider reaches the VM with
# the system ssh and exactly these two files, and `pulumi up` writes them only when the key or the
# host changes. Run it from anywhere before the Pulumi step; it writes into the repository root.
#
# Usage: scripts/restore-ssh-access.sh <stack>     (<stack> may be org/stack or org/project/stack)
# Needs the pulumi CLI, logged in (PULUMI_ACCESS_TOKEN or PULUMI_BACKEND_URL, plus
# PULUMI_CONFIG_PASSPHRASE for a passphrase-encrypted stack).
# A stack that does not exist yet, or has no outputs yet (first deploy), is not an error: there is
# nothing to restore and `pulumi up` writes the files itself; the script says so and exits 0.
# The private key goes from `pulumi stack output` straight into a 0600 file: never echoed, never in
# a variable or on a command line.
set -euo pipefail

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 <stack>" >&2
  exit 2
fi
stack="$1"
# The files are named by the stack's own name (pulumi.getStack()), without org or project.
name="${stack##*/}"
if ! [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; then
  echo "restore-ssh-access: \"$stack\" is not a stack name usable as a folder name" >&2
  exit 2
fi

cd "$(dirname "$0")/.."
umask 077
dir=".pulumi-ssh/$name"

say() { printf 'restore-ssh-access: %s\n' "$*"; }

if ! err="$(pulumi stack output --stack "$stack" --json 2>&1 >/dev/null)"; then
  say "stack $stack has no outputs to restore from (${err##*$'\n'}); a first deploy writes $dir itself"
  exit 0
fi
if ! known_hosts="$(pulumi stack output --stack "$stack" sshKnownHosts 2>/dev/null)" || [ -z "$known_hosts" ]; then
  say "stack $stack has no sshKnownHosts output yet (first deploy not finished); pulumi up writes $dir itself"
  exit 0
fi

mkdir -p "$dir"
chmod 0700 .pulumi-ssh "$dir"
rm -f "$dir/deploy_key.tmp" "$dir/known_hosts.tmp"
pulumi stack output --stack "$stack" --show-secrets deployPrivateKey > "$dir/deploy_key.tmp"
if ! grep -q -- '-----BEGIN OPENSSH PRIVATE' "$dir/deploy_key.tmp"; then
  rm -f "$dir/deploy_key.tmp"
  echo "restore-ssh-access: deployPrivateKey of $stack is not an OpenSSH private key; nothing written" >&2
  exit 1
fi
chmod 0600 "$dir/deploy_key.tmp"
mv -f "$dir/deploy_key.tmp" "$dir/deploy_key"
printf '%s\n' "$known_hosts" > "$dir/known_hosts.tmp"
chmod 0600 "$dir/known_hosts.tmp"
mv -f "$dir/known_hosts.tmp" "$dir/known_hosts"
say "wrote $dir/deploy_key and $dir/known_hosts for ${known_hosts%% *}"
