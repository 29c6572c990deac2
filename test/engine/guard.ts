// When the real-CLI tests run: only with the CLI that scripts/build-pulumi.sh builds (and, for the
// existing-host deployment, the provider plugins scripts/build-providers.sh builds and the
// container engine). Without them they are reported as skipped (never as passed), and
// `npm run test:engine`, which builds and starts all of it first and sets
// MAILSTACK_ENGINE_REQUIRED=1, fails instead of skipping.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "@jest/globals";
import { cliBuilt, PULUMI_BIN, PULUMI_CACHE, providersBuilt } from "../../tools/engine/offlineCli";

const missing = `no Pulumi CLI at ${PULUMI_BIN}: npm run test:engine builds it (scripts/build-pulumi.sh, about 10 minutes)`;
if (!cliBuilt() && process.env.MAILSTACK_ENGINE_REQUIRED === "1") throw new Error(missing);

/** `it` for a real-CLI test: Jest's `it.skip` (reported as skipped, never passed) without the CLI. */
export const engineIt = cliBuilt() ? it : it.skip;
if (!cliBuilt()) console.warn(`real-CLI tests skipped: ${missing}`);

/**
 * The container engine the existing-host stack deploys onto: the first socket that exists, in the
 * local runner's order (local/engine/engine.ts): DOCKER_HOST (unix://), Docker's, then the podman
 * service scripts/install-container-engine.sh starts.
 */
export const ENGINE_SOCKET =
  [process.env.DOCKER_HOST?.startsWith("unix://") ? process.env.DOCKER_HOST.slice("unix://".length) : undefined, "/var/run/docker.sock", "/run/mailstack/podman.sock"]
    .filter((s): s is string => s !== undefined)
    .find((s) => existsSync(s)) ?? "/run/mailstack/podman.sock";

const hostMissing = !cliBuilt()
  ? missing
  : !providersBuilt()
    ? `no provider plugins in ${PULUMI_CACHE}/bin: npm run test:engine builds them (scripts/build-providers.sh)`
    : !existsSync(ENGINE_SOCKET)
      ? `no container engine at ${ENGINE_SOCKET}: bash scripts/install-container-engine.sh starts it`
      : undefined;
if (hostMissing !== undefined && process.env.MAILSTACK_ENGINE_REQUIRED === "1") throw new Error(hostMissing);

/** `it` for a deployment with the real CLI and our provider plugins onto this machine's engine. */
export const hostIt = hostMissing === undefined ? it : it.skip;
if (hostMissing !== undefined && cliBuilt()) console.warn(`existing-host tests skipped: ${hostMissing}`);

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
