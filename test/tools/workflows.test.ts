import { test } from "@jest/globals";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const ROOT = join(__dirname, "..", "..");
const DIR = join(ROOT, ".github", "workflows");
const scripts = Object.keys((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);

interface Step { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> }
interface Job { steps?: Step[]; "runs-on"?: string; if?: string; strategy?: { matrix?: Record<string, unknown> } }
interface Workflow { on: Record<string, unknown>; jobs: Record<string, Job> }

const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)) : [];
const load = (f: string) => parse(readFileSync(join(DIR, f), "utf8")) as Workflow;
const steps = (wf: Workflow) => Object.values(wf.jobs).flatMap((j) => j.steps ?? []);

test("both workflows exist and parse as YAML with jobs", () => {
  assert.ok(files.includes("preview.yml") && files.includes("deploy.yml"), `found ${files.join(", ")}`);
  for (const f of files) {
    const wf = load(f);
    assert.ok(wf.on !== undefined && Object.keys(wf.jobs ?? {}).length > 0, f);
  }
});

test("every npm script, tsx tool and local path a workflow runs exists", () => {
  let checked = 0;
  for (const f of files) {
    for (const step of steps(load(f))) {
      const run = step.run ?? "";
      for (const m of run.matchAll(/npm run ([\w:-]+)/g)) {
        assert.ok(scripts.includes(m[1]), `${f}: "npm run ${m[1]}" but package.json has no such script`);
        checked++;
      }
      for (const m of run.matchAll(/\btsx ([\w./-]+\.ts)\b/g)) {
        assert.ok(existsSync(join(ROOT, m[1])), `${f}: runs ${m[1]}, which does not exist`);
        checked++;
      }
      const packs = step.with?.policyPacks;
      if (typeof packs === "string") {
        for (const p of packs.split(/[\n,]/).map((s) => s.trim()).filter(Boolean)) {
          assert.ok(existsSync(join(ROOT, p, "PulumiPolicy.yaml")), `${f}: policy pack ${p} has no PulumiPolicy.yaml`);
          checked++;
        }
      }
      if (step.uses?.startsWith("./")) assert.ok(existsSync(join(ROOT, step.uses)), `${f}: ${step.uses} missing`);
    }
  }
  assert.ok(checked >= 4, `expected the workflows to call the touched-stacks tool and the policy pack (checked ${checked})`);
});

test("secrets reach commands only through env, never inline in a run script", () => {
  for (const f of files) {
    for (const step of steps(load(f))) {
      assert.doesNotMatch(step.run ?? "", /\$\{\{\s*secrets\./, `${f}: a run script expands a secret inline; pass it through env`);
    }
  }
});

test("the preview runs on pull requests with diff, the policy pack and one edited comment per stack", () => {
  const wf = load("preview.yml");
  assert.ok("pull_request" in wf.on);
  const pulumi = steps(wf).filter((s) => s.uses?.startsWith("pulumi/actions@"));
  assert.equal(pulumi.length, 1);
  const w = pulumi[0].with ?? {};
  assert.equal(w.command, "preview");
  assert.equal(w.diff, true);
  assert.equal(w.policyPacks, "policy");
  assert.equal(w["comment-on-pr"], true);
  assert.equal(w["edit-pr-comment"], true);
  assert.match(String(w["stack-name"]), /matrix\.stack/, "one run, hence one comment, per stack");
  assert.match(steps(wf).map((s) => s.run ?? "").join("\n"), /git diff --name-only .*\| npx tsx tools\/touchedStacks\.ts/);
});

test("the deploy runs pulumi up with the policy pack on pushes to main, per touched stack", () => {
  const wf = load("deploy.yml");
  assert.deepEqual((wf.on.push as { branches: string[] }).branches, ["main"]);
  const up = steps(wf).find((s) => s.uses?.startsWith("pulumi/actions@"));
  assert.equal(up?.with?.command, "up");
  assert.equal(up?.with?.policyPacks, "policy");
  assert.match(String(up?.with?.["stack-name"]), /matrix\.stack/);
  const matrixJobs = Object.values(wf.jobs).filter((j) => j.strategy?.matrix !== undefined);
  assert.ok(matrixJobs.every((j) => /stacks != '\[\]'/.test(j.if ?? "")), "an empty selection must skip the job, not fail the matrix");
});
