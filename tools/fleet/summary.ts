// What an operator reads after `npm run fleet`: the change counts of one stack in words, the
// first line of a failure worth reading, and the closing table. Pure string work; never sees
// the Pulumi engine and never prints stack output (which may carry secrets in clear only if a
// program forgot to mark them; the engine's own masking applies to what reaches us).
import type { OpMap } from "@pulumi/pulumi/automation";

export interface StackResult {
  stack: string;
  ok: boolean;
  changes?: OpMap;
  /** First meaningful line of the failure. */
  error?: string;
  seconds: number;
  /** Where the full engine output of this stack went, if it was kept. */
  log?: string;
}

// Order in which counts are listed: what an operator fears most first.
const ORDER = ["delete", "replace", "create-replacement", "delete-replaced", "create", "update", "import", "refresh", "read", "same"] as const;

/** "1 replace, 2 update, 14 same" or "no changes"; unknown op kinds follow in name order. */
export function describeChanges(changes: OpMap | undefined): string {
  const entries = Object.entries(changes ?? {}).filter(([, n]) => typeof n === "number" && n > 0) as [string, number][];
  const rank = (k: string) => {
    const i = (ORDER as readonly string[]).indexOf(k);
    return i === -1 ? ORDER.length : i;
  };
  entries.sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const text = entries.map(([k, n]) => `${n} ${k}`).join(", ");
  return countChanges(changes) === 0 ? (text === "" ? "no changes" : `no changes (${text})`) : text;
}

/** Resources that would change, i.e. everything except `same` and plain reads. */
export function countChanges(changes: OpMap | undefined): number {
  return Object.entries(changes ?? {})
    .filter(([k]) => k !== "same" && k !== "read")
    .reduce((sum, [, n]) => sum + (n ?? 0), 0);
}

/**
 * The line that says what went wrong. Automation API errors carry the whole CLI transcript
 * ("code: 255\n stdout: ...\n stderr: error: ..."); the first `error:` line is the cause.
 */
export function firstErrorLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const lines = text
    .split("\n")
    .map((l) => l.trim().replace(/^(stderr|stdout|err\?):\s*/, ""))
    .filter((l) => l !== "" && !/^code: -?\d+$/.test(l));
  const errorLine = lines.find((l) => /^error\b/i.test(l)) ?? lines.find((l) => /error/i.test(l)) ?? lines[0];
  const line = errorLine ?? "failed without a message";
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

export function summaryTable(op: string, results: readonly StackResult[]): string {
  const rows = [...results]
    .sort((a, b) => (a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : 0))
    .map((r) => [r.stack, r.ok ? "ok" : "FAILED", `${r.seconds.toFixed(0)}s`, r.ok ? describeChanges(r.changes) : (r.error ?? "")]);
  const header = ["STACK", "RESULT", "TIME", op === "preview" ? "PLANNED CHANGES / ERROR" : "CHANGES / ERROR"];
  const widths = header.slice(0, 3).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c)).join("  ").trimEnd();
  const failed = results.filter((r) => !r.ok);
  const changed = results.filter((r) => r.ok && countChanges(r.changes) > 0).length;
  const foot =
    `${results.length} stack(s): ${results.length - failed.length} ok, ${failed.length} failed, ` +
    `${changed} with changes` +
    (failed.some((r) => r.log !== undefined)
      ? `\nFull output of failed stacks: ${failed.filter((r) => r.log !== undefined).map((r) => r.log).join(", ")}`
      : "");
  return [fmt(header), ...rows.map(fmt), "", foot].join("\n");
}
