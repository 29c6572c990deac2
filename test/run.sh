#!/usr/bin/env bash
# `npm test`: the whole suite. Fast tests first (pure core, mock engine, tools, policies), then
# the end-to-end suite, which starts real daemons on loopback and needs the Debian packages
# from scripts/install-debian-packages.sh (run as root). Set E2E=0 to skip only the end-to-end
# part while iterating; CI never sets it.
set -euo pipefail
cd "$(dirname "$0")/.."

fast=()
for dir in test/unit test/mock test/tools test/policy; do
  [ -d "$dir" ] && while IFS= read -r f; do fast+=("$f"); done < <(find "$dir" -name '*.test.ts' | sort)
done
node --import tsx --test --test-reporter=spec "${fast[@]}"

if [ "${E2E:-1}" != "0" ]; then
  e2e=()
  while IFS= read -r f; do e2e+=("$f"); done < <(find test/e2e -name '*.test.ts' | sort)
  if [ ${#e2e[@]} -gt 0 ]; then
    # One file at a time: the files share one local stack on fixed loopback ports.
    node --import tsx --test --test-concurrency=1 --test-reporter=spec "${e2e[@]}"
  fi
fi
