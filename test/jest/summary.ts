// Prints the one summary line CI reads, `N passed, N failed`, over every Jest run of `npm test`
// (test/run.sh lists each run it starts in test-results/runs, and Jest writes test-results/<run>.json).
// A test file that could not run (it failed to load, or a hook outside any test threw) and a run
// that ended without results (its global setup failed, or it was killed) count as one failure
// each, so the line never reads "0 failed" for a suite that did not pass. Exit code 1 when
// anything failed.
//
// Usage: npx tsx test/jest/summary.ts [results folder, default test-results]
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The fields of Jest's `--json` result (AggregatedResult) read here. */
interface JestResults {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: { name: string; status: "passed" | "failed"; assertionResults: { status: string }[]; message: string }[];
}

const dir = process.argv[2] ?? "test-results";
const runsFile = join(dir, "runs");
const runs = existsSync(runsFile) ? readFileSync(runsFile, "utf8").split("\n").filter((r) => r !== "") : [];

let passed = 0;
let failed = 0;
if (runs.length === 0) {
  console.log(`no test run recorded in ${runsFile}: npm test stopped before running Jest`);
  failed++;
}
for (const run of runs) {
  const file = join(dir, `${run}.json`);
  if (!existsSync(file)) {
    console.log(`${run}: Jest ended without results (see its output above)`);
    failed++;
    continue;
  }
  const r = JSON.parse(readFileSync(file, "utf8")) as JestResults;
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  for (const suite of r.testResults) {
    // Failed with no failing test: the file did not load, or a hook around its tests threw.
    if (suite.status === "failed" && !suite.assertionResults.some((a) => a.status === "failed")) {
      // The first line of Jest's message that is not a "●" heading says why.
      const reason = suite.message
        .replace(/\x1b\[[0-9;]*m/g, "")
        .split("\n")
        .map((l) => l.trim())
        .find((l) => l !== "" && !l.startsWith("●"));
      console.log(`${run}: ${suite.name} failed outside its tests: ${reason ?? "no message"}`);
      failed++;
    }
  }
  if (r.numPendingTests + r.numTodoTests > 0) console.log(`${run}: ${r.numPendingTests + r.numTodoTests} skipped (not counted)`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
