// The post-deploy check's results: one line per check (PASS, WARN or FAIL, what was checked, what
// was found) and, for every failure, what to do about it. As a table for a person and as JSON for
// machines; the exit code is non-zero when anything failed. Pure.

export type Verdict = "pass" | "warn" | "fail";

export interface CheckResult {
  /** Stable identifier, such as "dns example.com MX" or "tls 465". */
  id: string;
  /** Group in the table: DNS, reverse DNS, TLS, MTA-STS, SMTP, probe. */
  group: string;
  verdict: Verdict;
  /** What was found, in words. */
  detail: string;
  /** What to do, for a failure or warning. */
  fix?: string;
}

export function exitCode(results: readonly CheckResult[]): number {
  return results.some((r) => r.verdict === "fail") ? 1 : 0;
}

export function table(results: readonly CheckResult[]): string {
  const width = Math.min(48, Math.max(...results.map((r) => r.id.length), 10));
  const lines: string[] = [];
  let group = "";
  for (const r of results) {
    if (r.group !== group) {
      group = r.group;
      lines.push("", group);
    }
    lines.push(`  ${r.verdict.toUpperCase().padEnd(4)}  ${r.id.padEnd(width)}  ${r.detail}`);
  }
  const todo = results.filter((r) => r.verdict !== "pass" && r.fix !== undefined);
  if (todo.length > 0) {
    lines.push("", "To fix:");
    for (const r of todo) lines.push(`  - ${r.id}: ${r.fix}`);
  }
  const count = (v: Verdict) => results.filter((r) => r.verdict === v).length;
  lines.push("", `${count("pass")} passed, ${count("fail")} failed, ${count("warn")} warnings`);
  return lines.join("\n").replace(/^\n/, "");
}
