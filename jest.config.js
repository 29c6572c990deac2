// @ts-check
// Jest's configuration: one project per test folder. `npm test` (test/run.sh) runs the four fast
// projects on parallel workers, then the e2e project alone and in band (its files share one local
// stack on fixed loopback ports); see the README's "Tests". Plain JavaScript because Jest on
// Node 20 can load a TypeScript config only through ts-node, one more dependency for one file.

/**
 * TypeScript through SWC: it strips types without checking them (`npm run build` is the type
 * check), so a test file costs milliseconds to load instead of a type-checker pass.
 * @type {import("jest").Config["transform"]}
 */
const transform = {
  "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } }],
};

/**
 * node:test had no timeout at all; Jest's default is 5 s. Each project gets room for its slowest
 * test on a loaded machine; longer tests state their own.
 * @param {string} name folder under test/ and the project's name
 * @param {number} testTimeout milliseconds per test and per beforeAll/afterAll
 * @param {import("jest").Config} [extra]
 * @returns {import("jest").Config}
 */
const project = (name, testTimeout, extra = {}) => ({
  displayName: name,
  rootDir: __dirname,
  roots: [`<rootDir>/test/${name}`],
  testMatch: ["**/*.test.ts"],
  testEnvironment: "node",
  transform,
  testTimeout,
  ...extra,
});

/** @type {import("jest").Config} */
module.exports = {
  projects: [
    project("unit", 60_000),
    // Each evaluation of the program under mocks runs in a child process of its own
    // (test/mock/harness/evaluate.ts): the Pulumi runtime cannot be reset within one.
    project("mock", 120_000),
    project("tools", 60_000),
    project("policy", 60_000),
    // Covers the per-file beforeAll that calls `local/cli.ts up` (a no-op once the global setup
    // has started the stack; its own limit is 300 s).
    project("e2e", 310_000, {
      globalSetup: "<rootDir>/test/jest/e2eGlobalSetup.ts",
      globalTeardown: "<rootDir>/test/jest/e2eGlobalTeardown.ts",
    }),
  ],
  testSequencer: "<rootDir>/test/jest/sequencer.js",
};
