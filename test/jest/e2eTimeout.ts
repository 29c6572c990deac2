// Timeout of every e2e test and hook (the e2e project's setup file; Jest takes `testTimeout` from
// the top-level config only). A scenario waits for mail and daemons for up to a few minutes, and
// each file's beforeAll runs `local/cli.ts up`, which allows itself 300 s when the stack is not
// running yet. Tests that need more state their own.
import { jest } from "@jest/globals";

jest.setTimeout(310_000);
