// The workflow files, read as data: they parse, run only scripts and tools that exist, pass
// secrets only through env, preview and deploy with the policy pack, close the temporary SSH window
// and write the PR comment whatever happened, and use only secrets and variables the README
// documents.
import { test } from "@jest/globals";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const ROOT = join(__dirname, "..", "..");
const DIR = join(ROOT, ".github", "workflows");
const scripts = Object.keys((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);

interface Step { name?: string; id?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown>; env?: Record<string, string> }
interface Job { steps?: Step[]; "runs-on"?: string; if?: string; environment?: string; env?: Record<string, string>; strategy?: { matrix?: Record<string, unknown> } }
interface Workflow { on: Record<string, unknown>; jobs: Record<string, Job> }

const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)) : [];
const load = (f: string) => parse(readFileSync(join(DIR, f), "utf8")) as Workflow;
const steps = (wf: Workflow) => Object.values(wf.jobs).flatMap((j) => j.steps ?? []);
const index = (list: Step[], re: RegExp) => list.findIndex((s) => re.test(s.run ?? ""));

test("both workflows exist and parse as YAML with jobs", () => {
  assert.ok(files.includes("preview.yml") && files.includes("deploy.yml"), `found ${files.join(", ")}`);
  for (const f of files) {
    const wf = load(f);
    assert.ok(wf.on !== undefined && Object.keys(wf.jobs ?? {}).length > 0, f);
  }
});

test("every npm script, tsx tool and shell script a workflow runs exists", () => {
  let checked = 0;
  for (const f of files) {
    for (const step of steps(load(f))) {
      const run = step.run ?? "";
      for (const m of run.matchAll(/npm run ([\w:-]+)/g)) {
        assert.ok(scripts.includes(m[1]), `${f}: "npm run ${m[1]}" but package.json has no such script`);
        checked++;
      }
      for (const m of run.matchAll(/\b(?:tsx|bash) ([\w./-]+\.(?:ts|sh))\b/g)) {
        assert.ok(existsSync(join(ROOT, m[1])), `${f}: runs ${m[1]}, which does not exist`);
        checked++;
      }
      for (const m of run.matchAll(/--policy-pack (\S+)/g)) {
        assert.ok(existsSync(join(ROOT, m[1], "PulumiPolicy.yaml")), `${f}: policy pack ${m[1]} has no PulumiPolicy.yaml`);
        checked++;
      }
      if (step.uses?.startsWith("./")) assert.ok(existsSync(join(ROOT, step.uses)), `${f}: ${step.uses} missing`);
    }
  }
  assert.ok(checked >= 12, `expected the workflows to call the tools, scripts and policy pack (checked ${checked})`);
});

test("secrets reach commands only through env, never inline in a run script", () => {
  for (const f of files) {
    for (const step of steps(load(f))) {
      assert.doesNotMatch(step.run ?? "", /\$\{\{\s*(secrets|github\.token)/, `${f}: a run script expands a secret inline; pass it through env`);
      // Not even a matrix value: a run script gets data only through env.
      assert.doesNotMatch(step.run ?? "", /\$\{\{/, `${f}: ${step.name ?? step.run}: expression inline in a run script`);
    }
  }
});

test("the preview runs per touched stack with diff and the policy pack, inside a temporary SSH window", () => {
  const wf = load("preview.yml");
  assert.ok("pull_request" in wf.on);
  const job = wf.jobs.preview;
  const list = job.steps ?? [];
  const preview = list.findIndex((s) => s.id === "preview");
  assert.match(list[preview].run ?? "", /^set -o pipefail\npulumi preview --stack "\$STACK" --diff --policy-pack policy --non-interactive 2>&1 \| tee /m);
  assert.match(String(job.env?.STACK), /matrix\.stack/, "one run, hence one comment, per stack");
  const restore = index(list, /bash scripts\/restore-ssh-access\.sh "\$STACK"/);
  const open = index(list, /sshWindow\.ts open "\$STACK"/);
  const close = index(list, /sshWindow\.ts close "\$STACK"/);
  assert.ok(restore >= 0 && restore < open && open < preview && preview < close, `restore ${restore}, open ${open}, preview ${preview}, close ${close}`);
  assert.match(list[close].if ?? "", /^always\(\)/, "the window is closed even when the preview failed");
  assert.match(String(wf.jobs.select.steps?.map((s) => s.run).join("\n")), /git diff --name-only .*\| npx tsx tools\/touchedStacks\.ts/);
});

test("a failed preview rewrites the pull-request comment: the comment step always runs and reads the outcome", () => {
  const list = load("preview.yml").jobs.preview.steps ?? [];
  const comment = list[index(list, /tools\/ci\/prComment\.ts/)];
  assert.equal(comment.if, "always()");
  assert.equal(comment.env?.OUTCOME, "${{ steps.preview.outcome }}");
  assert.match(comment.run ?? "", /--outcome "\$OUTCOME" --log "\$RUNNER_TEMP\/preview\.log"/);
  assert.ok(list.indexOf(comment) > list.findIndex((s) => s.id === "preview"));
});

test("a misnamed stack file fails its own job, which the previews do not wait for", () => {
  const wf = load("preview.yml");
  assert.match(String(wf.jobs["stack-files"].steps?.map((s) => s.run).join("\n")), /npx tsx tools\/stackNames\.ts/);
  assert.equal((wf.jobs.preview as { needs?: string }).needs, "select");
});

test("the deploy runs pulumi up with the policy pack on pushes to main, in the production environment, inside an SSH window", () => {
  const wf = load("deploy.yml");
  assert.deepEqual((wf.on.push as { branches: string[] }).branches, ["main"]);
  const job = wf.jobs.up;
  assert.equal(job.environment, "mailstack-production");
  const list = job.steps ?? [];
  const up = index(list, /^pulumi up --stack "\$STACK" --diff --policy-pack policy --yes --non-interactive/);
  const close = index(list, /sshWindow\.ts close/);
  assert.ok(index(list, /sshWindow\.ts open/) < up && up < close && up >= 0);
  assert.match(list[close].if ?? "", /^always\(\)/);
  const matrixJobs = Object.values(wf.jobs).filter((j) => j.strategy?.matrix !== undefined);
  assert.ok(matrixJobs.every((j) => /stacks != '\[\]'/.test(j.if ?? "")), "an empty selection must skip the job, not fail the matrix");
});

test("every secret and variable the workflows use is documented in the README", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const used = new Set<string>();
  for (const f of files) for (const m of readFileSync(join(DIR, f), "utf8").matchAll(/\b(secrets|vars)\.([A-Z_]+)/g)) used.add(m[2]);
  assert.ok(used.size >= 10, [...used].join(", "));
  for (const name of used) assert.match(readme, new RegExp(`\\| \`${name}\` \\((secret|variable)`), `${name} is not in the README's table of secrets and variables`);
  assert.match(readme, /`mailstack-production`/, "the deploy environment is documented");
});
