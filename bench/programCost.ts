// Program cost: the Pulumi program evaluated under the mock engine (test/mock/harness, one fresh
// process per evaluation) for configs of growing size built from Pulumi.prod.yaml's shape:
// 1, 100 and 2000 mailboxes in one domain, and 100 mailboxes over 20 domains. Reports the
// harness's own timing (evaluation only, process start-up excluded) and the resource count.
import { spawn } from "node:child_process";
import { join } from "node:path";

import { prodConfig, request } from "../test/mock/fixtures";
import type { Evaluation } from "../test/mock/harness/types";
import { REPO_ROOT } from "../components/core/paths";

export interface ProgramPoint {
  domains: number;
  mailboxes: number;
  seconds: number[];
  resources: number;
}

/** The prod example with `domains` domains (example.com first: it holds the host name) and `mailboxes` mailboxes spread over them. */
export function scaledConfig(domains: number, mailboxes: number): Record<string, unknown> {
  const base = prodConfig();
  const template = base.domains[0];
  const names = Array.from({ length: domains }, (_, i) => (i === 0 ? "example.com" : `example-${i}.com`));
  return {
    ...base,
    domains: names.map((name, i) => ({ ...structuredClone(template), name, zoneId: i.toString(16).padStart(32, "0") })),
    mailboxes: Array.from({ length: mailboxes }, (_, i) => ({
      address: `user${i}@${names[i % domains]}`,
      name: `User ${i}`,
      quota: "2G",
    })),
    // A catch-all per domain to its first mailbox: the config check wants postmaster@ and the
    // report addresses (DMARC, TLS-RPT, the ACME contact) to receive mail.
    aliases: names.map((name, d) => ({ from: `@${name}`, to: [`user${d}@${name}`] })),
  };
}

/** One evaluation in a fresh process (the Pulumi runtime cannot be reset), asynchronously. */
function evaluateOnce(config: Record<string, unknown>): Promise<Evaluation> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "test", "mock", "harness", "evaluate.ts"), "-"], {
      cwd: REPO_ROOT,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const text = Buffer.concat(out).toString();
      if (code === 2 || text === "") return reject(new Error(`mock harness crashed (exit ${code}): ${err.slice(0, 2000)}`));
      const ev = JSON.parse(text) as Evaluation;
      if (!ev.ok || ev.timing === undefined) return reject(new Error(`mock evaluation failed: ${ev.error ?? "no timing in the answer"}`));
      resolve(ev);
    });
    child.stdin.end(JSON.stringify(request(config, { timing: true })));
  });
}

export async function measureProgram(domains: number, mailboxes: number, rounds: number): Promise<ProgramPoint> {
  const seconds: number[] = [];
  let resources = -1;
  for (let r = 0; r < rounds; r++) {
    const ev = await evaluateOnce(scaledConfig(domains, mailboxes));
    const t = ev.timing!;
    if (resources !== -1 && t.resourceCount !== resources) throw new Error(`resource count changed between rounds (${resources} then ${t.resourceCount})`);
    resources = t.resourceCount;
    seconds.push(t.evaluationSeconds);
  }
  return { domains, mailboxes, seconds, resources };
}
