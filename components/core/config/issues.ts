// Turns what the schema library (zod) finds wrong with the shape of a stack config into sentences
// an operator can act on, each naming the config path, what was found and what would be valid, and
// removes the bad values so the semantic checks can still run on everything else in the same pass
// (a quoted number must not hide a mail host outside every zone). No zod wording ever reaches the
// operator. Pure: no Pulumi, no I/O.
import type { z } from "zod";
import { closestKey } from "./stackValues";

export type ConfigPath = readonly PropertyKey[];

export function configPath(namespace: string, path: ConfigPath): string {
  const [key, ...rest] = path;
  let out = `${namespace}:${String(key ?? "")}`;
  // A key such as "example.com MX" (domains[].adopt) is quoted, so the path stays unambiguous.
  for (const p of rest) out += typeof p === "number" ? `[${p}]` : /^[A-Za-z_][\w-]*$/.test(String(p)) ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`;
  return out;
}

export function valueAt(root: unknown, path: ConfigPath): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** What a value is, in words: `the text "50"`, `the number 7`, `a list`. */
export function found(v: unknown): string {
  if (v === null) return "an empty value";
  if (Array.isArray(v)) return v.length === 0 ? "an empty list" : "a list";
  switch (typeof v) {
    case "string":
      return v.length > 60 ? `the text "${v.slice(0, 57)}..."` : `the text "${v}"`;
    case "number":
    case "bigint":
      return `the number ${String(v)}`;
    case "boolean":
      return `${String(v)}`;
    case "object":
      return "a mapping";
    default:
      return "nothing";
  }
}

/** A hint for the usual YAML slip behind a type mismatch. */
function hint(value: unknown, expected: string | undefined): string {
  if (typeof value === "string" && expected === "number" && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return " (write the number without quotes)";
  if (typeof value === "string" && expected === "boolean" && /^(true|false)$/i.test(value.trim())) return " (write true or false without quotes)";
  if (typeof value === "string" && expected === "array") return ' (a YAML list: one "- item" per line, or [a, b])';
  return "";
}

/** zod's own messages start like this; a leaf without our wording falls back to a generic sentence. */
const ZOD_WORDING = /^(Invalid|Too (small|big)|Expected|Unrecognized)/;

/** Sentences for one issue; `keysAt` gives the settings allowed where an unknown key was found. */
export function describeIssue(
  issue: z.core.$ZodIssue,
  root: unknown,
  namespace: string,
  keysAt: (path: ConfigPath) => readonly string[],
): string[] {
  const path = issue.path;
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((k) => {
      const near = closestKey(k, keysAt(path));
      const where = path.length === 0 ? `${namespace}:` : `${configPath(namespace, path)}.`;
      return (
        `${configPath(namespace, [...path, k])}: unknown setting` +
        (near !== undefined ? `; did you mean ${where}${near}?` : "; check the spelling against the README's configuration reference")
      );
    });
  }
  const value = valueAt(root, path);
  const message = ZOD_WORDING.test(issue.message) ? "has the wrong form; see the README's configuration reference" : issue.message;
  if (value === undefined) return [`${configPath(namespace, path)}: is required; ${message}`];
  const expected = issue.code === "invalid_type" ? String(issue.expected) : undefined;
  return [`${configPath(namespace, path)}: found ${found(value)}; ${message}${hint(value, expected)}`];
}

/**
 * A copy of `root` with every value an issue points at removed (list entries become undefined, so
 * later paths keep their indices) and unknown keys dropped: what is left has the schema's types
 * wherever it has a value.
 */
export function prune(root: unknown, issues: readonly z.core.$ZodIssue[]): unknown {
  const copy = structuredClone(root) as unknown;
  for (const issue of issues) {
    const parent = valueAt(copy, issue.path.slice(0, -1));
    const last = issue.path.at(-1);
    if (issue.code === "unrecognized_keys") {
      const obj = valueAt(copy, issue.path);
      if (obj !== null && typeof obj === "object") for (const k of issue.keys) delete (obj as Record<string, unknown>)[k];
    } else if (last === undefined) {
      return {};
    } else if (parent !== null && typeof parent === "object") {
      (parent as Record<PropertyKey, unknown>)[last] = undefined;
    }
  }
  return copy;
}
