// The JSON contract between the mock-engine harness (evaluate.ts, run in a child process) and
// the tests and benchmark that spawn it, plus helpers to run it and to read its answer.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PlannedChange } from "./readBack/model";

/** Every mocked secret (keys, passwords, the relay password in tests) contains this. */
export const MOCK_SECRET_MARKER = "MOCKSECRET";

export interface EvaluateRequest {
  /** Stack config without the `mailstack:` prefix; objects are JSON-encoded like the CLI does. */
  config: Record<string, unknown>;
  relayPassword?: string;
  /** Other `mailstack:` secrets by key (backupPassword, alertWebhookUrl, ...), set as secrets. */
  secrets?: Record<string, string>;
  /**
   * Adds resources with a deliberately unmarked secret (proves the leak check works): one with
   * the secret in plain text, one with it inside a push script (base64, wrapped).
   */
  leakProbe?: boolean;
  /** Report evaluation time and resource count (Evaluation.timing). */
  timing?: boolean;
  /**
   * Run as `pulumi preview`: outputs of resources that do not exist yet (or are being replaced)
   * are unknown, as the engine leaves them before the provider has created them.
   */
  dryRun?: boolean;
  /**
   * The stack's state from an earlier run (priorState(earlierEvaluation)): each resource is then
   * planned against it with its provider's model, and unchanged ones keep their old outputs.
   */
  prior?: Record<string, PriorResource>;
  /** Resource keys (`type::name`) to replace whatever their diff says: `pulumi up --replace`. */
  forceReplace?: string[];
  /**
   * Records already in the Cloudflare zones, returned by the mocked getDnsRecords invoke
   * (filtered by zoneId, as the provider does); none when absent.
   */
  existingDnsRecords?: { id: string; zoneId: string; name: string; type: string; content: string; comment?: string | null }[];
}

/** One resource as the engine keeps it in the stack's state. */
export interface PriorResource {
  id: string;
  /** How many times it was replaced; a replacement gets a new id. */
  generation: number;
  inputs: Record<string, unknown>;
  /** What the provider stored after creating or reading it (readBack/). */
  state: Record<string, unknown>;
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
  /** Provider id ("" while unknown in a preview). */
  id: string;
  generation: number;
  /** Outputs as the provider stores them (read back), secrets unwrapped. */
  state: Record<string, unknown>;
  /** What the engine would do with this resource against `prior` ("create" without one). */
  plan: PlannedChange;
  /** The explicit provider reference (`urn::id`), if the resource names one. */
  provider?: string;
  options: {
    protect: boolean;
    retainOnDelete: boolean;
    deleteBeforeReplace: boolean;
    ignoreChanges: string[];
    additionalSecretOutputs: string[];
    /** The `import` resource option ("" when not importing). */
    importId: string;
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
  // Through a file, not stdin: a request with a prior state is large, and a child reading a big
  // non-blocking stdin pipe synchronously can fail with EAGAIN.
  const dir = mkdtempSync(join(tmpdir(), "mailstack-eval-"));
  const file = join(dir, "request.json");
  try {
    writeFileSync(file, JSON.stringify(request), { mode: 0o600 });
    const r = spawnSync(process.execPath, ["--import", "tsx", join(__dirname, "evaluate.ts"), file], {
      encoding: "utf8",
      maxBuffer: 512 * 1024 * 1024,
      cwd: join(__dirname, "..", "..", ".."),
    });
    if (r.status === 2 || r.stdout === "") throw new Error(`harness crashed (exit ${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout) as Evaluation;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The marker as it appears inside base64 text, at each of the three byte alignments it can have:
 * push and build scripts carry file contents base64-encoded, so a secret that lost its marking
 * there never shows the marker literally. Only the characters that depend on the marker's bytes
 * alone are kept (the ones around it mix in neighbouring bytes).
 */
export function base64Markers(marker = MOCK_SECRET_MARKER): string[] {
  const bytes = Buffer.byteLength(marker, "utf8");
  return [0, 1, 2].map((offset) => {
    const encoded = Buffer.from("\0".repeat(offset) + marker, "utf8").toString("base64");
    // Character i covers bits [6i, 6i + 6); keep those entirely inside the marker's bytes.
    return encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes)) / 6));
  });
}

const MARKERS_IN_BASE64 = base64Markers();

/** Whether a value holds the marker, literally or base64-encoded (line breaks of wrapped base64 ignored). */
export function holdsMarker(value: unknown): boolean {
  const text = JSON.stringify(value ?? null);
  if (text.includes(MOCK_SECRET_MARKER)) return true;
  // JSON writes a line break as the two characters \n; wrapped base64 has one every 76 columns.
  const joined = text.replace(/\\r|\\n/g, "");
  return MARKERS_IN_BASE64.some((m) => joined.includes(m));
}

/** Where a marked secret value appears outside a secret input or output: "type name: input". */
export function unmarkedSecrets(ev: Evaluation): string[] {
  const found: string[] = [];
  for (const r of ev.resources) {
    for (const [k, v] of Object.entries(r.inputs)) {
      if (!r.secretInputs.includes(k) && holdsMarker(v)) found.push(`${r.type} ${r.name}: ${k}`);
    }
  }
  for (const [k, o] of Object.entries(ev.outputs)) if (!o.secret && holdsMarker(o.value)) found.push(`stack output ${k}`);
  return found;
}

export const key = (r: RegisteredResource) => `${r.type}::${r.name}`;

/** The state a real `up` of this evaluation would leave behind, as `prior` for the next one. */
export function priorState(ev: Evaluation): Record<string, PriorResource> {
  if (!ev.ok) throw new Error(`cannot take the state of a failed evaluation: ${ev.error}`);
  return Object.fromEntries(ev.resources.map((r) => [key(r), { id: r.id, generation: r.generation, inputs: r.inputs, state: r.state }]));
}
