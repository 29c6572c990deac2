#!/usr/bin/env bash
# `npm test [-- <Jest arguments>]`: the whole suite on Jest (projects in jest.config.js). Three Jest
# runs: the fast projects (unit, mock, tools, policy) on parallel workers; then the images project
# (our images with rendered files, on the container engine) in band; then the e2e project in band,
# because its files share one local stack; Jest's global setup and teardown start and stop that
# stack (test/jest/e2eGlobalSetup.ts). The images and e2e parts need the container engine
# (scripts/install-container-engine.sh, run here: it installs podman from Debian when no engine
# answers) and build our images first (cached by content hash), outside any test's timeout.
# Arguments go to every run: `npm test -- config` runs the files whose path matches "config", and
# a run whose project has no matching file is not started (so no stack, no install, no build).
# Set E2E=0 to skip the images and end-to-end parts while iterating; CI never sets it.
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

# The engine and our images, once, before the first project that needs them.
engine_ready=0
prepare_engine() {
  [ "$engine_ready" -eq 1 ] && return 0
  bash scripts/install-container-engine.sh
  # The host tools the tests drive (Chromium for the webmail test, BIND's zone checker, ...).
  bash scripts/install-debian-packages.sh
  npx tsx tools/images.ts build
  engine_ready=1
}

# As before, a failing fast part skips the slower parts.
if [ "$status" -eq 0 ] && [ "${E2E:-1}" != "0" ] && matches "$@" --selectProjects images; then
  ran=1
  prepare_engine
  run_jest images "$@" --runInBand --selectProjects images || status=$?
fi

if [ "$status" -eq 0 ] && [ "${E2E:-1}" != "0" ] && matches "$@" --selectProjects e2e; then
  ran=1
  prepare_engine
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
