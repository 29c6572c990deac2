#!/usr/bin/env bash
# Builds the Pulumi provider plugins this project can have on these machines from the Go module
# proxy with the ordinary `go` client: docker, random and tls, each a Terraform provider bridged
# with the Pulumi Terraform bridge and our own mapping (tools/engine/providers/<name>/main.go),
# into .cache/pulumi/bin/pulumi-resource-<name> next to the CLI (git-ignored). Pulumi's own
# provider modules (pulumi-docker/provider, ...) are not served; the Terraform providers and the
# bridge are. Owns only .cache/providers/ and those binaries: never the repository's tracked files,
# never ~/.pulumi, and it downloads no release binary. Nothing of upstream's code is kept here: the
# wrapper module is generated under .cache/providers/build/<name>/ on every build.
#
#   scripts/build-providers.sh                  build every provider that is missing or stale
#   scripts/build-providers.sh docker random    only these
#
# A provider is rebuilt only when its wrapper (go.mod, main.go) or the Go version changed: a
# second run builds nothing. The versions, module paths and why the go.mod needs each line are in
# tools/engine/providerModule.ts. One build at a time (each is a large link on 2 cores).
#
# Environment: MAILSTACK_PULUMI_CACHE (default <repo>/.cache/pulumi), the CLI's folder, where the
# plugins go; GOMODCACHE/GOCACHE as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
bin="${MAILSTACK_PULUMI_CACHE:-$repo/.cache/pulumi}/bin"
work_root="$repo/.cache/providers/build"
export PATH="/usr/local/go/bin:$PATH"
# The proxy only: a module it does not serve must fail, not fall back to cloning from the network.
export GOPROXY=https://proxy.golang.org GOFLAGS="${GOFLAGS:-} -mod=mod"

say() { printf 'build-providers: %s\n' "$*"; }
die() { printf 'build-providers: %s\n' "$*" >&2; exit 1; }
kib() { du -sk "$1" 2>/dev/null | cut -f1 || echo 0; }
tsx() { "$repo/node_modules/.bin/tsx" "$@"; }
lock_version() { # npm package name -> its exact version in package-lock.json
  node -e 'const l=require("./package-lock.json"); const p=l.packages["node_modules/"+process.argv[1]];
    if(!p) { console.error("not in package-lock.json: "+process.argv[1]); process.exit(1); } console.log(p.version)' "$1"
}

command -v go >/dev/null || die "no go toolchain (expected /usr/local/go/bin/go)"
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(docker random tls)
mkdir -p "$bin" "$work_root"
go_version="$(go env GOVERSION | sed 's/^go//')"

# The bridge's go.mod as the proxy serves it: its replace of terraform-plugin-sdk/v2 is repeated.
bridge_module="$(tsx tools/engine/providerModule.ts bridge)"
bridge_mod_json=""
bridge_gomod() {
  if [ -z "$bridge_mod_json" ]; then
    local download gomod
    download="$(go mod download -json "$bridge_module" 2>&1)" || die "the module proxy did not serve $bridge_module: $download"
    gomod="$(sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p' <<<"$download")"
    [ -f "$gomod" ] || die "no go.mod for $bridge_module in: $download"
    bridge_mod_json="$(go mod edit -json "$gomod")"
  fi
  printf '%s' "$bridge_mod_json"
}

build_one() {
  local name=$1
  local field sdk version out work stamp want tags modcache gocache mod0 build0 t0
  field() { tsx tools/engine/providerModule.ts field "$name" "$1"; }
  sdk="$(field sdk)" || die "unknown provider $name"
  version="$(tsx tools/engine/providerModule.ts version "$name" "$(lock_version "$sdk")")"
  tags="$(field tags)"
  out="$bin/pulumi-resource-$name"
  work="$work_root/$name"
  mkdir -p "$work"
  bridge_gomod | tsx tools/engine/providerModule.ts gomod "$name" "$go_version" >"$work/go.mod.new"
  cp "tools/engine/providers/$name/main.go" "$work/main.go.new"
  want="$(cat "$work/go.mod.new" "$work/main.go.new" <(echo "$go_version $tags $version") | sha256sum | cut -d' ' -f1)"
  stamp="$work/built-from"
  if [ -x "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ "$("$out" -version 2>/dev/null)" = "$version" ]; then
    rm -f "$work/go.mod.new" "$work/main.go.new"
    say "pulumi-resource-$name $version: present ($out)"
    return 0
  fi
  # A fresh wrapper each time: go.sum is resolved again from the proxy, nothing stale is reused.
  find "$work" -mindepth 1 -maxdepth 1 ! -name '*.new' -exec rm -rf {} +
  mv "$work/go.mod.new" "$work/go.mod"
  mv "$work/main.go.new" "$work/main.go"
  modcache="$(go env GOMODCACHE)"
  gocache="$(go env GOCACHE)"
  mod0="$(kib "$modcache")"
  build0="$(kib "$gocache")"
  t0="$(date +%s)"
  say "pulumi-resource-$name $version: building (first time on a machine: several minutes on 2 cores)"
  (
    cd "$work"
    if ! go build -tags "$tags" -o "$out.tmp" -ldflags "-s -w -X main.version=$version" . >build.log 2>&1; then
      grep -v '^go: downloading' build.log >&2
      exit 1
    fi
  ) || die "pulumi-resource-$name did not build (the go command's own words above; wrapper in $work)"
  mv -f "$out.tmp" "$out"
  [ "$("$out" -version)" = "$version" ] || die "built $out but it reports $("$out" -version), not $version"
  echo "$want" >"$stamp"
  say "pulumi-resource-$name $version: built in $(( $(date +%s) - t0 )) s; binary $(( $(kib "$out") / 1024 )) MiB;" \
    "module cache +$(( ($(kib "$modcache") - mod0) / 1024 )) MiB, build cache +$(( ($(kib "$gocache") - build0) / 1024 )) MiB"
}

for n in "${names[@]}"; do build_one "$n"; done
say "plugins in $bin: $(find "$bin" -maxdepth 1 -type f -name 'pulumi-resource-*' -printf '%f ')"
