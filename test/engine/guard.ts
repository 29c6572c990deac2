// When the real-CLI tests run: only with the CLI that scripts/build-pulumi.sh builds. Without it
// they are reported as skipped (never as passed), and `npm run test:engine`, which builds the CLI
// first and sets MAILSTACK_ENGINE_REQUIRED=1, fails instead of skipping.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "@jest/globals";
import { cliBuilt, PULUMI_BIN } from "../../tools/engine/offlineCli";

const missing = `no Pulumi CLI at ${PULUMI_BIN}: npm run test:engine builds it (scripts/build-pulumi.sh, about 10 minutes)`;
if (!cliBuilt() && process.env.MAILSTACK_ENGINE_REQUIRED === "1") throw new Error(missing);

/** `it` for a real-CLI test: Jest's `it.skip` (reported as skipped, never passed) without the CLI. */
export const engineIt = cliBuilt() ? it : it.skip;
if (!cliBuilt()) console.warn(`real-CLI tests skipped: ${missing}`);

/** Syntactically valid fake provider credentials: never accepted anywhere, never printed. */
export const FAKE_HCLOUD_TOKEN = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01";
export const FAKE_CLOUDFLARE_TOKEN = "fakeCloudflareApiToken0123456789abcdefgh";
export const FAKE_RELAY_PASSWORD = "fake-relay-password-for-offline-tests";

const scratchDirs: string[] = [];
process.on("exit", () => {
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
});

/** A temporary folder for one test's scratch project and backend, removed when the run ends. */
export function scratchDir(): string {
  const d = mkdtempSync(join(tmpdir(), "mailstack-engine-"));
  scratchDirs.push(d);
  return d;
}
