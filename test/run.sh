#!/usr/bin/env bash
# `npm test`: the whole suite. Fast tests first (pure core, mock engine, tools, policies), then
# the image tests (test/images: our images on the container engine), then the end-to-end suite,
# which starts real daemons on loopback and needs the Debian packages from
# scripts/install-debian-packages.sh (installed here when missing, as root). Set E2E=0 to skip the
# image and end-to-end parts while iterating; CI never sets it.
set -euo pipefail
cd "$(dirname "$0")/.."

fast=()
for dir in test/unit test/mock test/tools test/policy; do
  [ -d "$dir" ] && while IFS= read -r f; do fast+=("$f"); done < <(find "$dir" -name '*.test.ts' | sort)
done
node --import tsx --test --test-reporter=spec "${fast[@]}"

if [ "${E2E:-1}" != "0" ] && [ -d test/images ]; then
  # Our images with the rendered files: each daemon's checker, and real clients against them.
  # Needs the container engine; builds missing images. One file at a time (shared networks).
  images=()
  while IFS= read -r f; do images+=("$f"); done < <(find test/images -name '*.test.ts' | sort)
  node --import tsx --test --test-concurrency=1 --test-reporter=spec "${images[@]}"
fi

if [ "${E2E:-1}" != "0" ]; then
  # The daemons the end-to-end suite runs; installs what is missing when run as root.
  bash scripts/install-debian-packages.sh
  e2e=()
  while IFS= read -r f; do e2e+=("$f"); done < <(find test/e2e -name '*.test.ts' | sort)
  if [ ${#e2e[@]} -gt 0 ]; then
    # A fresh start of the e2e stack (test/e2e/Pulumi.e2e.yaml), greylisting off (tests only);
    # mail and secrets in .local/ are kept. Stopped again however the tests end.
    npx tsx local/cli.ts down >/dev/null
    MAILSTACK_GREYLISTING=off npx tsx local/cli.ts up --stack-file test/e2e/Pulumi.e2e.yaml | grep -v "password:"
    trap 'npx tsx local/cli.ts down >/dev/null' EXIT
    # One file at a time: the files share one local stack on fixed loopback ports.
    node --import tsx --test --test-concurrency=1 --test-reporter=spec "${e2e[@]}"
  fi
fi
