// A stand-in `pulumi` CLI for tool tests (not a test file itself): a script on PATH that logs each
// call's arguments and answers from a list of rules (first rule whose words all appear in the
// call wins). `version` answers unless the rules say otherwise.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface FakeRule {
  /** Every word must appear among the call's arguments. */
  when: string[];
  code?: number;
  stdout?: string;
  stderr?: string;
}

export interface FakePulumi {
  /** PATH with the fake first. */
  env: NodeJS.ProcessEnv;
  /** The argument lists of every call so far. */
  calls(): string[][];
}

export function fakePulumi(rules: FakeRule[]): FakePulumi {
  const dir = mkdtempSync(join(tmpdir(), "fake-pulumi-"));
  const log = join(dir, "calls.jsonl");
  writeFileSync(join(dir, "rules.json"), JSON.stringify([...rules, { when: ["version"], stdout: "v3.248.0\n" }]));
  writeFileSync(
    join(dir, "pulumi"),
    [
      `#!${process.execPath}`,
      'const fs = require("fs");',
      `fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + "\\n");`,
      `const rules = JSON.parse(fs.readFileSync(${JSON.stringify(join(dir, "rules.json"))}, "utf8"));`,
      "const args = process.argv.slice(2);",
      "const rule = rules.find((r) => r.when.every((w) => args.includes(w))) || { code: 0 };",
      "if (rule.stdout) process.stdout.write(rule.stdout);",
      "if (rule.stderr) process.stderr.write(rule.stderr);",
      "process.exitCode = rule.code || 0;",
    ].join("\n") + "\n",
  );
  chmodSync(join(dir, "pulumi"), 0o755);
  return {
    env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}` },
    calls: () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as string[]) : []),
  };
}

/** PATH without any pulumi: only the system folders that hold node, sh and the core tools. */
export const pathWithoutPulumi = (): NodeJS.ProcessEnv => ({ ...process.env, PATH: "/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin" });
