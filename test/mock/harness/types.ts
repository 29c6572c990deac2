// The JSON contract between the mock-engine harness (evaluate.ts, run in a child process) and
// the tests and benchmark that spawn it, plus helpers to run it and to read its answer.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

/** Every mocked secret (keys, passwords, the relay password in tests) contains this. */
export const MOCK_SECRET_MARKER = "MOCKSECRET";

export interface EvaluateRequest {
  /** Stack config without the `mailstack:` prefix; objects are JSON-encoded like the CLI does. */
  config: Record<string, unknown>;
  relayPassword?: string;
  /** Adds a resource with a deliberately unmarked secret (proves the leak check works). */
  leakProbe?: boolean;
  /** Report evaluation time and resource count (Evaluation.timing). */
  timing?: boolean;
}

export interface RegisteredResource {
  type: string;
  name: string;
  custom: boolean;
  /** Name of the parent resource ("" for the root). */
  parent: string;
  inputs: Record<string, unknown>;
  /** Top-level inputs that arrived as secrets (the SDK lifts nested secrets to the top). */
  secretInputs: string[];
  options: {
    protect: boolean;
    retainOnDelete: boolean;
    deleteBeforeReplace: boolean;
    ignoreChanges: string[];
    additionalSecretOutputs: string[];
    /**
     * Names of the resources it waits for: its `dependsOn` and those whose outputs feed its
     * inputs (the SDK registers a resource only once these are registered).
     */
    dependencies: string[];
  };
}

export interface EvaluationTiming {
  /** Wall time from importing the program until all resources and outputs are resolved. */
  evaluationSeconds: number;
  resourceCount: number;
  /** Mailboxes in the request's config. */
  mailboxes: number;
  /** Whether stack traces were source-mapped while the program ran (slower; see evaluate.ts). */
  sourceMaps: boolean;
}

export interface Evaluation {
  ok: boolean;
  error?: string;
  resources: RegisteredResource[];
  outputs: Record<string, { value: unknown; secret: boolean }>;
  timing?: EvaluationTiming;
}

/** Runs the program once under mocks in a fresh process. */
export function evaluate(request: EvaluateRequest): Evaluation {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(__dirname, "evaluate.ts"), "-"], {
    input: JSON.stringify(request),
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
    cwd: join(__dirname, "..", "..", ".."),
  });
  if (r.status === 2 || r.stdout === "") throw new Error(`harness crashed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Evaluation;
}

/** Where a marked secret value appears outside a secret input or output: "type name: input". */
export function unmarkedSecrets(ev: Evaluation): string[] {
  const found: string[] = [];
  const contains = (v: unknown) => JSON.stringify(v ?? null).includes(MOCK_SECRET_MARKER);
  for (const r of ev.resources) {
    for (const [k, v] of Object.entries(r.inputs)) {
      if (!r.secretInputs.includes(k) && contains(v)) found.push(`${r.type} ${r.name}: ${k}`);
    }
  }
  for (const [k, o] of Object.entries(ev.outputs)) if (!o.secret && contains(o.value)) found.push(`stack output ${k}`);
  return found;
}

export const key = (r: RegisteredResource) => `${r.type}::${r.name}`;
