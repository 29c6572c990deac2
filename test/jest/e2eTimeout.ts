// Timeout of every e2e test and hook (the e2e project's setup file; Jest takes `testTimeout` from
// the top-level config only). A scenario waits for mail, a restarted container or Chromium for up
// to a few minutes (the stack itself is started once, by the global setup, outside any timeout).
// Tests that need more state their own.
import { jest } from "@jest/globals";

jest.setTimeout(310_000);
