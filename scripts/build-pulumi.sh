#!/usr/bin/env bash
# Builds the Pulumi CLI this project pins (the version of @pulumi/pulumi in package-lock.json) from
# the Go module proxy with the ordinary `go` client, into .cache/pulumi/bin/ (git-ignored). Owns
# only that cache folder: it never writes the repository's tracked files, ~/.pulumi or a system
# path, and it downloads no release binary.
#
#   scripts/build-pulumi.sh           build what is missing (a second run rebuilds nothing)
#   scripts/build-pulumi.sh --probe   also ask the module proxy for the Node.js language host and
#                                     the provider plugin modules, and print its answer for each
#
# Upstream's go.mod replaces github.com/pulumi/pulumi/sdk/v3 with ../sdk (a sibling folder of the
# monorepo), so `go install pkg@version` refuses it. The script generates a wrapper module under
# .cache/pulumi/build/ at run time whose go.mod repeats upstream's replace directives, read from
# the module proxy's copy of upstream's go.mod: a relative one (../sdk) becomes the same module at
# the same release, every other one is copied as it is. Nothing of Pulumi's source is kept here.
#
# Environment: MAILSTACK_PULUMI_CACHE (default <repo>/.cache/pulumi); GOMODCACHE/GOCACHE as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
cache="${MAILSTACK_PULUMI_CACHE:-$repo/.cache/pulumi}"
bin="$cache/bin"
export PATH="/usr/local/go/bin:$PATH"
# The proxy only: a module it does not serve must fail, not fall back to cloning from the network.
export GOPROXY=https://proxy.golang.org GOFLAGS="${GOFLAGS:-} -mod=mod"

say() { printf 'build-pulumi: %s\n' "$*"; }
die() { printf 'build-pulumi: %s\n' "$*" >&2; exit 1; }

probe=0
case "${1:-}" in
  "") ;;
  --probe) probe=1 ;;
  *) die "usage: $0 [--probe]" ;;
esac

command -v go >/dev/null || die "no go toolchain (expected /usr/local/go/bin/go)"
lock_version() { # npm package name -> its exact version in package-lock.json
  node -e 'const l=require("./package-lock.json"); const p=l.packages["node_modules/"+process.argv[1]];
    if(!p) { console.error("not in package-lock.json: "+process.argv[1]); process.exit(1); } console.log(p.version)' "$1"
}
kib() { du -sk "$1" 2>/dev/null | cut -f1 || echo 0; }

sdk_version="$(lock_version @pulumi/pulumi)"
cli_module=github.com/pulumi/pulumi/pkg/v3
cli_package="$cli_module/cmd/pulumi"
cli_version="v$sdk_version"
mkdir -p "$bin"

build_cli() {
  local out="$bin/pulumi"
  if [ -x "$out" ] && [ "$("$out" version 2>/dev/null)" = "$cli_version" ]; then
    say "pulumi $cli_version: present ($out)"
    return 0
  fi
  local work="$cache/build/pulumi-$cli_version"
  local modcache gocache mod0 build0 t0
  modcache="$(go env GOMODCACHE)"
  gocache="$(go env GOCACHE)"
  mod0="$(kib "$modcache")"
  build0="$(kib "$gocache")"
  t0="$(date +%s)"
  say "pulumi $cli_version: building $cli_package (first time on a machine: about 10 minutes on 2 cores)"

  # Upstream's go.mod as the proxy serves it: the wrapper's replace directives come from here.
  local download upstream_mod
  download="$(go mod download -json "$cli_module@$cli_version" 2>&1)" || die "the module proxy did not serve $cli_module@$cli_version: $download"
  upstream_mod="$(sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p' <<<"$download")"
  [ -f "$upstream_mod" ] || die "no go.mod for $cli_module@$cli_version in: $download"

  rm -rf "$work"
  mkdir -p "$work"
  go mod edit -json "$upstream_mod" |
    "$repo/node_modules/.bin/tsx" "$repo/tools/engine/wrapperModule.ts" mailstack.local/build/pulumi "$cli_module" "$cli_version" \
      >"$work/go.mod"
  (
    cd "$work"
    if ! go get "$cli_package@$cli_version" >get.log 2>&1; then
      grep -v '^go: downloading' get.log >&2
      exit 1
    fi
    go build -o "$out.tmp" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version" "$cli_package"
  )
  mv -f "$out.tmp" "$out"
  [ "$("$out" version)" = "$cli_version" ] || die "built $out but it reports $("$out" version), not $cli_version"
  say "pulumi $cli_version: built in $(( $(date +%s) - t0 )) s; binary $(( $(kib "$out") / 1024 )) MiB;" \
    "module cache +$(( ($(kib "$modcache") - mod0) / 1024 )) MiB, build cache +$(( ($(kib "$gocache") - build0) / 1024 )) MiB"
}

# What a real `pulumi preview` of this program needs besides the CLI. Module paths are those in
# each project's own go.mod; the Node.js host is versioned with the CLI. Providers are asked for
# their version list, since their repositories tag the SDK release (vX.Y.Z, sdk/vX.Y.Z) and not
# the provider module, so any version at all would do for the question "is it served".
probe_rest() {
  local answer
  say "probe: pulumi-language-nodejs (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@$cli_version)"
  answer="$(go mod download -json "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@$cli_version" 2>&1 |
    sed -n 's/^\t"Error": "\(.*\)"$/\1/p' | sed 's/\\n\\t/ /g' || true)"
  say "  -> ${answer:-served}"
  local row pkg module
  for row in random:github.com/pulumi/pulumi-random/provider/v4 tls:github.com/pulumi/pulumi-tls/provider/v5 \
    command:github.com/pulumi/pulumi-command/provider docker:github.com/pulumi/pulumi-docker/provider/v5 \
    hcloud:github.com/pulumi/pulumi-hcloud/provider cloudflare:github.com/pulumi/pulumi-cloudflare/provider/v6; do
    pkg="${row%%:*}"
    module="${row#*:}"
    say "probe: pulumi-resource-$pkg $(lock_version "@pulumi/$pkg") ($module)"
    answer="$(go list -m -versions "$module" 2>&1 | tr '\n\t' '  ' | sed 's/  */ /g' || true)"
    say "  -> $answer"
  done
}

build_cli
[ "$probe" = 1 ] && probe_rest
say "binaries in $bin: $(find "$bin" -maxdepth 1 -type f -printf '%f ')"
