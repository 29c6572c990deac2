// Runs this project's Pulumi program with the real Pulumi CLI (scripts/build-pulumi.sh) and the
// provider plugins built here (scripts/build-providers.sh), with no Node.js language host: the
// Automation API runs the program inline. It serves the program's language-runtime gRPC service
// from this Node process and hands the CLI `--client=127.0.0.1:<port>`, so the CLI never starts
// pulumi-language-nodejs (which the Go module proxy does not serve). Offline like
// tools/engine/offlineCli.ts: a file backend and the CLI's home under a state folder, passphrase
// secrets with the fixed test passphrase, no update check, no plugin download.
//
//   npm run engine -- <preview|up|destroy|outputs> --stack <name> [--stack-file <path>]
//                     [--state <dir>] [--outputs-file <path>] [--policy-pack <dir>]
//                     [--test-instance <n>]
//
// --stack-file    the stack's settings (default Pulumi.<stack>.yaml); copied into the state
//                 folder's project on every run, keeping the `encryptionsalt` the CLI added there
// --state         backend, CLI home and project folder (default .cache/engine/<stack>)
// --policy-pack   preview and up run this policy pack (`policy`), through
//                 tools/engine/bin/pulumi-analyzer-policy-nodejs (there is no language host)
// --outputs-file  `outputs` writes every output there, secrets in plain text, mode 0600; without
//                 it, only the names of the outputs are printed
// --test-instance tests only: an existing host gets the local stack's ports and names of
//                 MAILSTACK_INSTANCE=<n> (127.0.0.1 only, greylisting off) instead of production's
//
// The last line of every operation is `engine-summary: {json}` (operation, resource changes).
// Owns the state folder; never writes the repository's stack files, never prints a secret.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LocalWorkspace, PulumiCommand, type ProjectSettings, type Stack } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { REPO_ROOT } from "../../components/core/paths";
import { localTopology, type Topology } from "../../components/core/topology";
import { mailProgram } from "../../components/program";
import { offlineEnv, PULUMI_CACHE } from "./offlineCli";

export const OPERATIONS = ["preview", "up", "destroy", "outputs"] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface InlineOptions {
  stack: string;
  stackFile: string;
  state: string;
  outputsFile?: string;
  policyPack?: string;
  testInstance?: number;
}

/** Tests only: the local stack's instance-n ports, names and network for an existing host, on 127.0.0.1. */
export function testInstanceTopology(instance: number): Topology {
  return { ...localTopology(join(tmpdir(), "mailstack-unused"), { instance, greylisting: false }), publicBind: ["127.0.0.1"] };
}

/** The repository's project settings (name, runtime, project config), for the scratch project. */
function projectSettings(): ProjectSettings {
  const p = parse(readFileSync(join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as ProjectSettings;
  return { name: p.name, runtime: p.runtime, description: p.description, config: p.config } as ProjectSettings;
}

/**
 * The stack file as the project folder's Pulumi.<stack>.yaml: the given settings, with the
 * `encryptionsalt` the CLI wrote there on the first run (without it the passphrase would no
 * longer open the secrets in the state).
 */
function syncStackFile(project: string, opts: InlineOptions): void {
  const target = join(project, `Pulumi.${opts.stack}.yaml`);
  const settings = (parse(readFileSync(opts.stackFile, "utf8")) ?? {}) as Record<string, unknown>;
  if (existsSync(target)) {
    const salt = (parse(readFileSync(target, "utf8")) as Record<string, unknown> | null)?.encryptionsalt;
    if (salt !== undefined) settings.encryptionsalt = salt;
  }
  writeFileSync(target, stringify(settings));
}

export async function openStack(opts: InlineOptions): Promise<Stack> {
  const project = join(opts.state, "project");
  mkdirSync(project, { recursive: true });
  mkdirSync(join(opts.state, "state"), { recursive: true });
  syncStackFile(project, opts);
  const env = offlineEnv(opts.state);
  const pulumiCommand = await PulumiCommand.get({ root: PULUMI_CACHE, skipVersionCheck: false });
  const base = opts.testInstance === undefined ? undefined : testInstanceTopology(opts.testInstance);
  const program = async () => mailProgram(base === undefined ? {} : { existingHostBase: base });
  return LocalWorkspace.createOrSelectStack(
    { stackName: opts.stack, projectName: projectSettings().name, program },
    { workDir: project, pulumiCommand, envVars: env, secretsProvider: "passphrase", projectSettings: projectSettings() },
  );
}

const policy = (opts: InlineOptions) => (opts.policyPack === undefined ? {} : { policyPacks: [opts.policyPack] });

/**
 * Runs one operation, the CLI's own output passed through (its standard error too: the errors of
 * failed resources are there, not in the standard output); returns the resource changes.
 */
export async function runOperation(
  op: Operation,
  opts: InlineOptions,
  out: (s: string) => void = (s) => void process.stdout.write(s),
  err: (s: string) => void = (s) => void process.stderr.write(s),
): Promise<Record<string, number>> {
  const stack = await openStack(opts);
  let changes: Record<string, number> = {};
  switch (op) {
    case "preview":
      changes = (await stack.preview({ diff: true, onOutput: out, onError: err, ...policy(opts) })).changeSummary as Record<string, number>;
      break;
    case "up":
      changes = ((await stack.up({ diff: true, onOutput: out, onError: err, ...policy(opts) })).summary.resourceChanges ?? {}) as Record<string, number>;
      break;
    case "destroy":
      changes = ((await stack.destroy({ onOutput: out, onError: err })).summary.resourceChanges ?? {}) as Record<string, number>;
      break;
    case "outputs": {
      const outputs = await stack.outputs();
      if (opts.outputsFile !== undefined) {
        const plain = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
        writeFileSync(opts.outputsFile, `${JSON.stringify(plain, null, 2)}\n`, { mode: 0o600 });
        out(`outputs written to ${opts.outputsFile} (mode 0600: it holds secrets)\n`);
      } else {
        for (const [k, v] of Object.entries(outputs)) out(`${k}${v.secret ? " (secret)" : ""}\n`);
      }
      break;
    }
  }
  out(`engine-summary: ${JSON.stringify({ operation: op, changes })}\n`);
  return changes;
}

export function parseArgs(argv: string[]): { op: Operation; opts: InlineOptions } {
  const [op, ...rest] = argv;
  if (!(OPERATIONS as readonly string[]).includes(op ?? "")) throw new Error(`the first argument must be one of ${OPERATIONS.join(", ")}`);
  const flags: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 2) {
    const k = rest[i];
    const v = rest[i + 1];
    if (!["--stack", "--stack-file", "--state", "--outputs-file", "--policy-pack", "--test-instance"].includes(k) || v === undefined) throw new Error(`unknown or incomplete argument ${k}`);
    flags[k] = v;
  }
  const stack = flags["--stack"];
  if (stack === undefined) throw new Error("--stack is required");
  const instance = flags["--test-instance"];
  if (instance !== undefined && !/^[1-5]$/.test(instance)) throw new Error("--test-instance must be 1 to 5");
  return {
    op: op as Operation,
    opts: {
      stack,
      stackFile: resolve(flags["--stack-file"] ?? join(REPO_ROOT, `Pulumi.${stack}.yaml`)),
      state: resolve(flags["--state"] ?? join(REPO_ROOT, ".cache", "engine", stack)),
      ...(flags["--outputs-file"] !== undefined ? { outputsFile: resolve(flags["--outputs-file"]) } : {}),
      ...(flags["--policy-pack"] !== undefined ? { policyPack: resolve(flags["--policy-pack"]) } : {}),
      ...(instance !== undefined ? { testInstance: Number(instance) } : {}),
    },
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.length === 0) {
    console.log(readFileSync(__filename, "utf8").split("\n").filter((l) => l.startsWith("//")).slice(0, 25).map((l) => l.slice(3)).join("\n"));
    return;
  }
  const { op, opts } = parseArgs(argv);
  await runOperation(op, opts);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    // The CLI's output and errors were already passed through; its CommandError repeats all of it.
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`engine: ${msg.length > 4000 ? `${msg.slice(0, 300)}\n... (the CLI's output above has the whole story)` : msg}`);
    process.exit(1);
  });
}
