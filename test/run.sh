#!/usr/bin/env bash
# `npm test [-- <Jest arguments>]`: the whole suite on Jest (projects in jest.config.js). Two Jest
# runs: the fast projects (unit, mock, tools, policy) on parallel workers, then the e2e project in
# band, because its files share one local stack on fixed loopback ports; Jest's global setup and
# teardown start and stop that stack (test/jest/e2eGlobalSetup.ts). The end-to-end part needs the
# Debian packages from scripts/install-debian-packages.sh (installed here when missing, as root).
# Arguments go to both runs: `npm test -- config` runs the files whose path matches "config", and
# a run whose project has no matching file is not started (so no stack, no package install).
# Set E2E=0 to skip only the end-to-end part while iterating; CI never sets it.
# Each run writes Jest's JSON results to test-results/, which `npx tsx test/jest/summary.ts` sums
# up in one line, `N passed, N failed` (.ci/run prints it last).
set -euo pipefail
cd "$(dirname "$0")/.."

results=test-results
rm -rf "$results"
mkdir -p "$results"
jest=node_modules/.bin/jest

# Whether Jest would run any file with these arguments. The user's arguments go first:
# --selectProjects takes every word after it as a project name.
matches() {
  local list
  list=$("$jest" --listTests "$@") || { echo "run.sh: jest --listTests $* failed" >&2; exit 2; }
  grep -q '^/' <<<"$list"
}

# One Jest run, recorded in $results/runs for the summary; returns Jest's exit code.
run_jest() {
  local name=$1
  shift
  echo "$name" >>"$results/runs"
  "$jest" --json --outputFile="$results/$name.json" "$@"
}

fast_projects=(--selectProjects unit mock tools policy)
# One worker per core (Jest's default leaves one core to itself): a worker mostly waits for a
# child process, a mock-engine evaluation of the program or a daemon's own config checker.
fast_workers=$(nproc)

status=0
ran=0
if matches "$@" "${fast_projects[@]}"; then
  ran=1
  run_jest fast "$@" --maxWorkers="$fast_workers" "${fast_projects[@]}" || status=$?
fi

# As before, a failing fast part skips the end-to-end part.
if [ "$status" -eq 0 ] && [ "${E2E:-1}" != "0" ] && matches "$@" --selectProjects e2e; then
  ran=1
  # The daemons the end-to-end suite runs; installs what is missing when run as root.
  bash scripts/install-debian-packages.sh
  # Jest runs no global teardown when it is interrupted: stop the stack here then.
  trap 'npx tsx local/cli.ts down >/dev/null; exit 130' INT TERM
  run_jest e2e "$@" --runInBand --selectProjects e2e || status=$?
  trap - INT TERM
fi

if [ "$ran" -eq 0 ]; then
  echo "no test file matches: $*${E2E:+ (E2E=$E2E)}" >&2
  exit 1
fi
exit "$status"
