// The shape of a provider model for the mock engine, and the plan it leads to: what a resource's
// state looks like after its provider created or read it (readBack), and what the next plan does
// with a new set of inputs (planChange: no change, an update, a replacement, plus the warnings
// and errors the provider would raise). One module per provider holds the rules, each citing the
// provider source it comes from; this file holds only the generic comparison. Pure: no Pulumi,
// no I/O. It never decides what the program creates.

export type Props = Record<string, unknown>;

/** What the engine sends for a value not known yet (the SDK's rpc.unknownValue). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface ResourceModel {
  /** State the provider stores after create or read: inputs as it normalises them, plus `computed`. */
  readBack(inputs: Props, computed: Props): Props;
  /** Output-only properties (unknown in a preview until the resource exists). */
  computed: readonly string[];
  /** Inputs a change of which replaces the resource (ForceNew / RequiresReplace / replaceOnChanges). */
  replaceOnChanges: readonly string[];
  /** Optional+Computed inputs: leaving one out of the config keeps what the provider read. */
  optionalComputed?: readonly string[];
  /**
   * Optional (not Computed) inputs the provider may fill in on read: one the config leaves unset
   * is planned back to null, a change on every run if the read filled it in.
   */
  filledOnRead?: readonly string[];
  /**
   * Whether an input differs between the old state and the new inputs, when plain equality of
   * the read-back forms is not what the provider does (diff suppression, set semantics).
   */
  changed?: Partial<Record<string, (oldValue: unknown, newValue: unknown, ctx: { oldState: Props; newInputs: Props }) => boolean>>;
  /**
   * Planned value of an input when the provider's plan rewrites the configured value (schema
   * defaults, StateFuncs, plan modifiers). Without one, the configured value is compared as is:
   * read-back normalisation (sorting, trimming, reformatting) does NOT happen at plan time.
   */
  planned?: Partial<Record<string, (newValue: unknown, oldState: Props) => unknown>>;
  /** Diagnostics the provider's validation attaches to these inputs on every plan. */
  warnings?(inputs: Props): string[];
  /** Errors the provider (or its API) raises when applying this change. */
  errors?(oldState: Props, newInputs: Props): string[];
}

export type Op = "create" | "same" | "update" | "replace";

export interface PlannedChange {
  op: Op;
  /** Inputs that differ (all of them, including those that replace). */
  changes: string[];
  /** Inputs whose change forces replacement. */
  replaces: string[];
  warnings: string[];
  errors: string[];
}

export function holdsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(holdsUnknown);
  if (typeof v === "object" && v !== null) return Object.values(v).some(holdsUnknown);
  return false;
}

/** JSON with object keys sorted: equal values, equal text. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    return `{${Object.keys(v)
      .filter((k) => (v as Props)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Props)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

export const deepEqual = (a: unknown, b: unknown): boolean => !holdsUnknown(a) && !holdsUnknown(b) && canonical(a) === canonical(b);

/** Equality of two lists as sets (Terraform TypeSet / set attributes): order never matters. */
export function setEqual(a: unknown, b: unknown, normalise: (x: unknown) => unknown = (x) => x): boolean {
  if (holdsUnknown(a) || holdsUnknown(b)) return false;
  const as = ((a as unknown[] | undefined) ?? []).map((x) => canonical(normalise(x))).sort();
  const bs = ((b as unknown[] | undefined) ?? []).map((x) => canonical(normalise(x))).sort();
  return as.length === bs.length && as.every((x, i) => x === bs[i]);
}

/**
 * The next plan for a resource whose last known inputs and state are `old*`: compares every input
 * the new config sets (and every one it drops) with the state, the way the provider's diff does.
 * `ignoreChanges` inputs never count; `forceReplace` is `pulumi up --replace`.
 */
export function planChange(
  model: ResourceModel,
  old: { inputs: Props; state: Props },
  newInputs: Props,
  opts: { ignoreChanges?: readonly string[]; forceReplace?: boolean } = {},
): PlannedChange {
  const ignored = new Set(opts.ignoreChanges ?? []);
  const computed = new Set(model.computed);
  const keys = [...new Set([...Object.keys(newInputs), ...Object.keys(old.inputs), ...(model.filledOnRead ?? [])])].filter((k) => !ignored.has(k) && !computed.has(k)).sort();
  const changes: string[] = [];
  for (const key of keys) {
    let next = newInputs[key];
    if (next === undefined && (model.optionalComputed ?? []).includes(key)) continue;
    const planned = model.planned?.[key];
    if (planned !== undefined) next = planned(next, old.state);
    const before = old.state[key];
    const differs = model.changed?.[key];
    if (differs !== undefined ? differs(before, next, { oldState: old.state, newInputs }) : !deepEqual(before ?? null, next ?? null)) changes.push(key);
  }
  const replaces = changes.filter((k) => model.replaceOnChanges.includes(k));
  const errors = changes.length > 0 ? (model.errors?.(old.state, newInputs) ?? []) : [];
  const op: Op = opts.forceReplace || replaces.length > 0 ? "replace" : changes.length > 0 ? "update" : "same";
  return { op, changes, replaces, warnings: model.warnings?.(newInputs) ?? [], errors };
}
