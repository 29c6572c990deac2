// Runs the Pulumi CLI that scripts/build-pulumi.sh built (.cache/pulumi/bin/pulumi) so that it
// reaches nothing outside this machine: a local file backend, a passphrase secrets provider with
// a fixed test passphrase, no update check, no plugin download, no Pulumi Cloud token, its own
// PULUMI_HOME. Owns a scratch folder per use: a copy of the project file whose `main` points at
// this repository, the copied stack files, the backend state and the CLI's home. It never writes
// the repository's own Pulumi.<stack>.yaml (`pulumi stack init` rewrites the stack file it uses:
// it drops blank lines and adds `encryptionsalt`), never ~/.pulumi, and never passes a secret on
// a command line: secret values go to `pulumi config set --secret` on stdin.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { REPO_ROOT } from "../../components/core/paths";

export const PULUMI_CACHE = process.env.MAILSTACK_PULUMI_CACHE ?? join(REPO_ROOT, ".cache", "pulumi");
export const PULUMI_BIN = join(PULUMI_CACHE, "bin", "pulumi");

/**
 * Protects only the fake credentials of offline stacks, so it is no secret and is written here
 * on purpose; it reaches the CLI through PULUMI_CONFIG_PASSPHRASE, never its command line.
 */
export const TEST_PASSPHRASE = "mailstack-offline-test-passphrase";

export function cliBuilt(): boolean {
  return existsSync(PULUMI_BIN);
}

/** The provider plugins scripts/build-providers.sh builds, next to the CLI. */
export const PROVIDER_PLUGINS = ["docker", "random", "tls"] as const;

export function providersBuilt(): boolean {
  return PROVIDER_PLUGINS.every((p) => existsSync(join(PULUMI_CACHE, "bin", `pulumi-resource-${p}`)));
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface OfflineProject {
  /** The scratch project directory (Pulumi.yaml, the copied stack files). */
  dir: string;
  /** Environment for the CLI and for the Automation API's LocalWorkspace. */
  env: Record<string, string>;
  run(args: string[], input?: string): CliResult;
  /** `pulumi config set --secret <key>` with the value on stdin; throws when the CLI fails. */
  setSecret(stack: string, key: string, value: string): void;
}

/**
 * Where the engine finds plugins without any download: the CLI's folder (the CLI, and the
 * providers scripts/build-providers.sh builds), our policy-pack launcher (tools/engine/bin) and
 * @pulumi/pulumi's own folder, whose
 * pulumi-resource-pulumi-nodejs runs dynamic resources (components/hostCommand.ts). That script
 * finds the SDK with require.resolve from its working directory, a scratch folder here: NODE_PATH
 * points it at this repository's node_modules.
 */
const SDK_DIR = join(REPO_ROOT, "node_modules", "@pulumi", "pulumi");
/** pulumi-analyzer-policy-nodejs: runs a policy pack when the CLI has no Node.js language host. */
const LAUNCHERS = join(REPO_ROOT, "tools", "engine", "bin");

/** Every PULUMI_* variable of the caller is dropped: none may point the CLI at a real backend. */
export function offlineEnv(scratch: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PULUMI_")) env[k] = v;
  return {
    ...env,
    PATH: `${join(PULUMI_CACHE, "bin")}:${SDK_DIR}:${LAUNCHERS}:${env.PATH ?? "/usr/bin:/bin"}`,
    NODE_PATH: join(REPO_ROOT, "node_modules"),
    PULUMI_HOME: join(scratch, "home"),
    PULUMI_BACKEND_URL: `file://${join(scratch, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
  };
}

/**
 * A scratch project under `scratch` for the given stacks. Stack files are copied from the
 * repository root, or from `stackFiles[name]` (a path) when given.
 */
export function offlineProject(scratch: string, stacks: string[], stackFiles: Record<string, string> = {}): OfflineProject {
  const dir = join(scratch, "project");
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(scratch, "state"), { recursive: true });
  const project = parse(readFileSync(join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
  project.main = `${REPO_ROOT}/`;
  writeFileSync(join(dir, "Pulumi.yaml"), stringify(project));
  for (const stack of stacks) {
    copyFileSync(stackFiles[stack] ?? join(REPO_ROOT, `Pulumi.${stack}.yaml`), join(dir, `Pulumi.${stack}.yaml`));
  }
  const env = offlineEnv(scratch);
  const run = (args: string[], input?: string): CliResult => {
    const r = spawnSync(PULUMI_BIN, [...args, "--non-interactive"], { cwd: dir, env, input, encoding: "utf8" });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  return {
    dir,
    env,
    run,
    setSecret(stack, key, value) {
      const r = run(["config", "set", "--secret", key, "--stack", stack], value);
      if (r.status !== 0) throw new Error(`pulumi config set --secret ${key} failed: ${r.stderr.trim()}`);
    },
  };
}
