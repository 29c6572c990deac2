// @ts-check
// The order Jest runs test files in. Fast projects keep Jest's own order (files that failed or
// ran longest last time start first, which balances the workers). End-to-end files all share
// one running stack, so their order is fixed: by path, except the disruptive ones (under
// test/e2e/disruptive/: they stop containers and SIGKILL Postfix's master), which run after every
// other e2e file.
// JavaScript because Jest loads the sequencer without its transform.
const { relative, sep } = require("node:path");
const Sequencer = require("@jest/test-sequencer").default;

/** @param {import("@jest/test-result").Test} test */
const e2ePath = (test) => {
  const path = relative(test.context.config.rootDir, test.path).split(sep).join("/");
  return path.startsWith("test/e2e/") ? path : undefined;
};

/** @param {string} path repository-relative, with forward slashes */
const isDisruptive = (path) => path.startsWith("test/e2e/disruptive/");

class MailstackSequencer extends Sequencer {
  /**
   * @param {import("@jest/test-result").Test[]} tests
   * @returns {Promise<import("@jest/test-result").Test[]>}
   */
  async sort(tests) {
    const others = await super.sort(tests.filter((t) => e2ePath(t) === undefined));
    const e2e = tests
      .map((test) => ({ test, path: /** @type {string} */ (e2ePath(test)) }))
      .filter((t) => t.path !== undefined)
      .sort((a, b) => Number(isDisruptive(a.path)) - Number(isDisruptive(b.path)) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map((t) => t.test);
    return [...others, ...e2e];
  }
}

module.exports = MailstackSequencer;
