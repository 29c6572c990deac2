#!/usr/bin/env bash
# Restores .pulumi-ssh/<stack>/deploy_key and known_hosts from the stack's outputs, so that a fresh
# clone or a CI runner can run `pulumi preview`/`pulumi up`: the Docker provider reaches the VM with
# the system ssh and exactly these two files, and `pulumi up` writes them only when the key or the
# host changes. Run it from anywhere before the Pulumi step; it writes into the repository root.
#
# Usage: scripts/restore-ssh-access.sh <stack>     (<stack> may be org/stack or org/project/stack)
# Needs the pulumi CLI, logged in (PULUMI_ACCESS_TOKEN or PULUMI_BACKEND_URL, plus
# PULUMI_CONFIG_PASSPHRASE for a passphrase-encrypted stack).
#
# Only a stack that exists and has no outputs at all is a first deploy: nothing to restore,
# `pulumi up` writes the files itself; the script says so and exits 0. Everything else that goes
# wrong fails loudly (exit 1) with the CLI's own message: no CLI, not logged in, a network error,
# a stack that does not exist (create it with `pulumi stack init` first), or outputs without the
# two this script needs (a stack deployed by an older program).
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
fail() {
  printf 'restore-ssh-access: %s\n' "$*" >&2
  exit 1
}

command -v pulumi >/dev/null 2>&1 || fail "the pulumi CLI is not on PATH; install it before this step"

# Non-secret outputs only (secrets show as "[secret]"): enough to tell "no outputs" from "has them".
err_file="$(mktemp)"
trap 'rm -f "$err_file"' EXIT
if ! outputs="$(pulumi stack output --stack "$stack" --json 2>"$err_file")"; then
  fail "cannot read the outputs of stack $stack: $(tr '\n' ' ' <"$err_file")(check the login, the backend URL, the network, and that the stack exists: pulumi stack init $stack)"
fi
compact="$(printf '%s' "$outputs" | tr -d ' \n\t\r')"
if [ "$compact" = "{}" ]; then
  say "stack $stack has no outputs yet (first deploy); pulumi up writes $dir itself"
  exit 0
fi
case "$compact" in
  *'"sshKnownHosts":'*'"'*) ;;
  *) fail "stack $stack has outputs but no sshKnownHosts; deployed by an older program? Run pulumi up once by hand" ;;
esac
known_hosts="$(pulumi stack output --stack "$stack" sshKnownHosts 2>"$err_file")" || fail "reading sshKnownHosts of $stack: $(tr '\n' ' ' <"$err_file")"
[ -n "$known_hosts" ] || fail "stack $stack has an empty sshKnownHosts output"

mkdir -p "$dir"
chmod 0700 .pulumi-ssh "$dir"
rm -f "$dir/deploy_key.tmp" "$dir/known_hosts.tmp"
if ! pulumi stack output --stack "$stack" --show-secrets deployPrivateKey >"$dir/deploy_key.tmp" 2>"$err_file"; then
  rm -f "$dir/deploy_key.tmp"
  fail "reading deployPrivateKey of $stack: $(tr '\n' ' ' <"$err_file")"
fi
if ! grep -q -- '-----BEGIN OPENSSH PRIVATE' "$dir/deploy_key.tmp"; then
  rm -f "$dir/deploy_key.tmp"
  fail "deployPrivateKey of $stack is not an OpenSSH private key; nothing written"
fi
chmod 0600 "$dir/deploy_key.tmp"
mv -f "$dir/deploy_key.tmp" "$dir/deploy_key"
printf '%s\n' "$known_hosts" >"$dir/known_hosts.tmp"
chmod 0600 "$dir/known_hosts.tmp"
mv -f "$dir/known_hosts.tmp" "$dir/known_hosts"
say "wrote $dir/deploy_key and $dir/known_hosts for ${known_hosts%% *}"
