// @ts-check
// Jest's configuration: one project per test folder. `npm test` (test/run.sh) runs the four fast
// projects on parallel workers, then the images project and the e2e project, each alone and in
// band (they share the container engine; e2e's files share one local stack); see the README's
// "Tests". Plain JavaScript because Jest on
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
 * @param {string} name folder under test/ and the project's name
 * @param {import("jest").Config} [extra]
 * @returns {import("jest").Config}
 */
const project = (name, extra = {}) => ({
  displayName: name,
  rootDir: __dirname,
  roots: [`<rootDir>/test/${name}`],
  testMatch: ["**/*.test.ts"],
  testEnvironment: "node",
  transform,
  ...extra,
});

/** @type {import("jest").Config} */
module.exports = {
  projects: [
    project("unit"),
    // Each evaluation of the program under mocks runs in a child process of its own
    // (test/mock/harness/evaluate.ts): the Pulumi runtime cannot be reset within one.
    project("mock"),
    project("tools"),
    project("policy"),
    // Our images with rendered files on the container engine: one file at a time (they share the
    // engine and build nothing themselves: test/run.sh builds the images first).
    // The real Pulumi CLI (npm run test:engine builds it first); not part of `npm test`.
    project("engine"),
    project("images", { setupFilesAfterEnv: ["<rootDir>/test/jest/e2eTimeout.ts"] }),
    // Sets its own, longer timeout: Jest reads testTimeout from the top level only.
    project("e2e", {
      globalSetup: "<rootDir>/test/jest/e2eGlobalSetup.ts",
      globalTeardown: "<rootDir>/test/jest/e2eGlobalTeardown.ts",
      setupFilesAfterEnv: ["<rootDir>/test/jest/e2eTimeout.ts"],
    }),
  ],
  testSequencer: "<rootDir>/test/jest/sequencer.js",
  // Per test and per beforeAll/afterAll. node:test had no limit and Jest's default is 5 s: a
  // mock-engine evaluation or a daemon's config checker can take longer on a loaded machine.
  // Tests that need more state their own.
  testTimeout: 120_000,
};
