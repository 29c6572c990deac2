// `tsx tools/ci/prComment.ts --stack <name> --outcome <outcome> --log <file> --pr <number>`: the
// pull request's one comment per customer stack, written after every preview whatever happened
// (the workflow step runs with `if: always()`). Success shows the change summary and the diff;
// a failure (config error, policy violation, an earlier step) says so in the headline and names the
// error lines, replacing any earlier green comment, so a stale "preview passed" never stands.
// Owns the comment's text and the find-or-edit by a hidden marker; the GitHub REST API is reached
// with GITHUB_TOKEN (GITHUB_API_URL, GITHUB_REPOSITORY as GitHub Actions sets them). The preview
// log it quotes is Pulumi's, which shows secrets only as [secret].
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { EXIT, UsageError, runCli, wantsHelp } from "../cliKit";

export const USAGE = `usage: tsx tools/ci/prComment.ts --stack <name> --outcome success|failure|cancelled|skipped --log <file> --pr <number>
Env: GITHUB_TOKEN, GITHUB_REPOSITORY; optional GITHUB_API_URL, GITHUB_SERVER_URL, GITHUB_RUN_ID.
Exit codes: 0 comment written, 1 the GitHub API refused, 2 bad usage.`;

/** GitHub refuses comments over 65,536 characters; the log gets what the rest leaves. */
const MAX_BODY = 65_000;

export const marker = (stack: string) => `<!-- mailstack-preview:${stack} -->`;

export interface CommentInput {
  stack: string;
  outcome: string;
  /** The preview's output, or undefined when the preview never ran. */
  log: string | undefined;
  runUrl?: string;
}

/** Lines worth reading first in a failed preview: errors and policy violations. */
export function errorLines(log: string): string[] {
  const out: string[] = [];
  // A policy violation is a "[mandatory] <policy> (<resource>)" line followed by its message lines.
  let inViolation = false;
  for (const raw of log.split("\n")) {
    const l = raw.trimEnd();
    if (/\[(mandatory|advisory)\]/.test(l)) inViolation = true;
    else if (l.trim() === "") inViolation = false;
    if (inViolation || /\berror\b|mailstack:[\w.[\]" -]+: /i.test(l)) out.push(l);
  }
  return out.slice(0, 40);
}

/** The "Resources:" summary of a preview ("+ 3 to create", "~ 1 to update", "12 unchanged"). */
function summary(log: string): string[] {
  const lines = log.split("\n");
  const at = lines.findIndex((l) => /^Resources:\s*$/.test(l.trim()));
  if (at < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (l.trim() === "") break;
    out.push(l.trim());
  }
  return out;
}

export function previewComment(c: CommentInput): string {
  const ok = c.outcome === "success";
  const head = ok
    ? `### ✅ \`pulumi preview\` of \`${c.stack}\` passed`
    : c.log === undefined
      ? `### ❌ \`pulumi preview\` of \`${c.stack}\` did not run (${c.outcome}): an earlier step failed`
      : `### ❌ \`pulumi preview\` of \`${c.stack}\` failed`;
  const parts = [marker(c.stack), head];
  if (!ok) parts.push("This replaces any earlier result: do not merge until the preview passes.");
  if (c.log !== undefined) {
    const facts = ok ? summary(c.log) : errorLines(c.log);
    if (facts.length > 0) parts.push(["```", ...facts, "```"].join("\n"));
  }
  if (c.runUrl !== undefined) parts.push(`[The run](${c.runUrl})`);
  if (c.log !== undefined) {
    const room = MAX_BODY - parts.join("\n\n").length - 200;
    const log = c.log.length > room ? `...(start cut; the whole log is in the run)\n${c.log.slice(c.log.length - room)}` : c.log;
    parts.push(`<details><summary>Preview output</summary>\n\n\`\`\`\n${log.replace(/```/g, "'''")}\n\`\`\`\n</details>`);
  }
  return parts.join("\n\n");
}

export interface GitHub {
  api: string;
  repo: string;
  token: string;
  fetch: typeof fetch;
}

async function gh<T>(g: GitHub, method: string, path: string, body?: unknown): Promise<T> {
  const res = await g.fetch(`${g.api}${path}`, {
    method,
    headers: { Authorization: `Bearer ${g.token}`, Accept: "application/vnd.github+json", "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`GitHub API ${method} ${path}: ${res.status} ${(await res.text()).slice(0, 200)}`);
  return (await res.json()) as T;
}

/** Edits the stack's comment if the pull request has one (found by marker), else creates it. */
export async function upsertComment(g: GitHub, pr: number, stack: string, body: string): Promise<"created" | "updated"> {
  for (let page = 1; page <= 20; page++) {
    const comments = await gh<{ id: number; body?: string }[]>(g, "GET", `/repos/${g.repo}/issues/${pr}/comments?per_page=100&page=${page}`);
    const mine = comments.find((c) => c.body?.startsWith(marker(stack)));
    if (mine !== undefined) {
      await gh(g, "PATCH", `/repos/${g.repo}/issues/comments/${mine.id}`, { body });
      return "updated";
    }
    if (comments.length < 100) break;
  }
  await gh(g, "POST", `/repos/${g.repo}/issues/${pr}/comments`, { body });
  return "created";
}

async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  let values: { stack?: string; outcome?: string; log?: string; pr?: string };
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: { stack: { type: "string" }, outcome: { type: "string" }, log: { type: "string" }, pr: { type: "string" } } }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const { stack, outcome, log, pr } = values;
  if (stack === undefined || outcome === undefined || pr === undefined || !/^\d+$/.test(pr)) throw new UsageError(USAGE);
  const token = process.env.GITHUB_TOKEN;
  const repo = process.env.GITHUB_REPOSITORY;
  if (!token || !repo) throw new UsageError("GITHUB_TOKEN and GITHUB_REPOSITORY must be set (GitHub Actions sets the second)");
  const server = process.env.GITHUB_SERVER_URL ?? "https://github.com";
  const runUrl = process.env.GITHUB_RUN_ID === undefined ? undefined : `${server}/${repo}/actions/runs/${process.env.GITHUB_RUN_ID}`;
  const text = log !== undefined && existsSync(log) ? readFileSync(log, "utf8") : undefined;
  const body = previewComment({ stack, outcome, log: text, runUrl });
  const how = await upsertComment({ api: process.env.GITHUB_API_URL ?? "https://api.github.com", repo, token, fetch }, Number(pr), stack, body);
  process.stdout.write(`prComment: ${how} the comment for ${stack} (${outcome})\n`);
  return EXIT.ok;
}

if (require.main === module) runCli("prComment", () => main(process.argv.slice(2)));
