import { test } from "@jest/globals";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { touchedStacks } from "../../tools/touchedStacks";
import { customerStacksIn } from "../../tools/stackNames";

const customers = ["acme", "beta", "gamma"];

test("a change to one customer's stack file previews only that customer", () => {
  assert.deepEqual(touchedStacks(["Pulumi.beta.yaml"], customers).stacks, ["beta"]);
});

test("shared code touches every customer", () => {
  for (const path of ["components/server.ts", "index.ts", "files/postfix/main.cf", "Pulumi.yaml", "package-lock.json", "policy/index.ts"]) {
    assert.deepEqual(touchedStacks([path], customers).stacks, ["acme", "beta", "gamma"], path);
  }
});

test("documentation and tests touch nobody", () => {
  const sel = touchedStacks(["README.md", "docs/operations.md", "components/README.md", "test/unit/x.test.ts", "jest.config.js"], customers);
  assert.deepEqual(sel.stacks, []);
});

test("the local example stacks are never selected", () => {
  assert.deepEqual(touchedStacks(["Pulumi.local.yaml", "Pulumi.e2e.yaml"], customers).stacks, []);
});

test("a removed customer is not previewed, and the log says it needs a manual destroy", () => {
  const sel = touchedStacks(["Pulumi.gone.yaml", "Pulumi.acme.yaml"], customers);
  assert.deepEqual(sel.stacks, ["acme"]);
  assert.match(sel.reasons.join("\n"), /Pulumi\.gone\.yaml.*npm run customer -- remove gone/);
});

test("two customers' files plus docs select exactly those two, sorted", () => {
  const sel = touchedStacks(["Pulumi.gamma.yaml", "README.md", "", "./Pulumi.acme.yaml"], customers);
  assert.deepEqual(sel.stacks, ["acme", "gamma"]);
});

test("a stack file inside a sub-folder is not a root stack file", () => {
  assert.deepEqual(touchedStacks(["examples/Pulumi.beta.yaml"], customers).stacks, customers);
});

test("customer stacks exclude local/e2e and the project file; a misnamed stack file is named, not fatal", () => {
  assert.deepEqual(customerStacksIn(["Pulumi.yaml", "Pulumi.local.yaml", "Pulumi.e2e.yaml", "Pulumi.b.yaml", "Pulumi.a.yaml", "x.ts"]), { stacks: ["a", "b"], problems: [] });
  const listing = customerStacksIn(["Pulumi.Acme_Corp.yaml", "Pulumi.beta.yaml"]);
  assert.deepEqual(listing.stacks, ["beta"], "the other customers are still listed");
  assert.equal(listing.problems.length, 1);
  assert.match(listing.problems[0], /^Pulumi\.Acme_Corp\.yaml: .*lower-case.*rename the file/);
});

test("a misnamed stack file never blocks the other customers' previews; its own check fails naming it", () => {
  const root = mkdtempSync(join(tmpdir(), "touched-"));
  for (const f of ["Pulumi.yaml", "Pulumi.acme.yaml", "Pulumi.Beta Corp.yaml"]) writeFileSync(join(root, f), "");
  const touched = spawnSync(process.execPath, ["--import", "tsx", "tools/touchedStacks.ts", "--root", root], { input: "components/dns.ts\nPulumi.Beta Corp.yaml\n", encoding: "utf8" });
  assert.equal(touched.status, 0);
  assert.equal(touched.stdout, '["acme"]\n');
  assert.match(touched.stderr, /warning: Pulumi\.Beta Corp\.yaml: .*rename the file/);
  assert.match(touched.stderr, /Pulumi\.Beta Corp\.yaml: misnamed stack file/);
  const check = spawnSync(process.execPath, ["--import", "tsx", "tools/stackNames.ts", "--root", root], { encoding: "utf8", env: { ...process.env, GITHUB_ACTIONS: "true" } });
  assert.equal(check.status, 2);
  assert.match(check.stderr, /^::error file=Pulumi\.Beta Corp\.yaml::Pulumi\.Beta Corp\.yaml: "Beta Corp" is not a valid stack name/);
});

test("the CLI reads changed paths on stdin and prints a JSON list for the job matrix", () => {
  const root = mkdtempSync(join(tmpdir(), "touched-"));
  for (const f of ["Pulumi.yaml", "Pulumi.local.yaml", "Pulumi.acme.yaml", "Pulumi.beta.yaml"]) writeFileSync(join(root, f), "");
  const run = (input: string, ...args: string[]) =>
    execFileSync(process.execPath, ["--import", "tsx", "tools/touchedStacks.ts", "--root", root, ...args], {
      input,
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
    });
  assert.equal(run("Pulumi.beta.yaml\nREADME.md\n"), '["beta"]\n');
  assert.equal(run("README.md\n"), "[]\n");
  assert.equal(run("components/dns.ts\n"), '["acme","beta"]\n');
  assert.equal(run("", "--all"), '["acme","beta"]\n');
  assert.throws(() => run("", "--everything"), /--everything/);
});
