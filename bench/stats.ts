// Pure helpers for the benchmark report: medians over rounds, rounding, and a plain-text table
// with aligned columns. No I/O, so the unit tests can check them directly.

/** Median of the values (mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Rounds to a fixed number of decimals and returns a number (for results.json). */
export function round(value: number, decimals = 1): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/**
 * Formats rows as a table: the first row is the header, columns are padded to their widest cell,
 * columns whose every body cell looks numeric are right-aligned so digits line up.
 */
export function formatTable(rows: string[][]): string {
  if (rows.length === 0) return "";
  const cols = Math.max(...rows.map((r) => r.length));
  const cell = (r: string[], c: number) => r[c] ?? "";
  const width = Array.from({ length: cols }, (_, c) => Math.max(...rows.map((r) => cell(r, c).length)));
  const numeric = Array.from({ length: cols }, (_, c) => rows.slice(1).every((r) => /^[-+]?[\d.,]+( ?[%x×])?$|^$/.test(cell(r, c))));
  const line = (r: string[]) =>
    Array.from({ length: cols }, (_, c) => (numeric[c] ? cell(r, c).padStart(width[c]) : cell(r, c).padEnd(width[c]))).join("  ").trimEnd();
  const rule = width.map((w) => "-".repeat(w)).join("  ");
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join("\n");
}

/**
 * Per-unit increments between measured points, e.g. resources per mailbox from 1 to 100 and from
 * 100 to 2000: growth is linear when the increments agree (within `tolerance`, relative).
 */
export function increments(points: { x: number; y: number }[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < points.length; i++) out.push((points[i].y - points[i - 1].y) / (points[i].x - points[i - 1].x));
  return out;
}

export function isLinear(incs: number[], tolerance = 0.05): boolean {
  if (incs.length < 2) return true;
  const ref = incs[incs.length - 1];
  return incs.every((v) => Math.abs(v - ref) <= Math.abs(ref) * tolerance + 1e-9);
}
