// The policy pack under the real Pulumi CLI, which has no Node.js language host here: the CLI
// then runs a Node.js pack through an analyzer plugin named pulumi-analyzer-policy-nodejs, ours
// in tools/engine/bin (it hands the pack to @pulumi/pulumi's cmd/run-policy-pack). A preview of a
// container that publishes PostgreSQL's port from an upstream image is stopped by both mandatory
// rules, in the pack's words; test/engine/existingHost.test.ts previews the whole existing-host
// stack with the pack and finds it clean. Needs the docker plugin (its Check runs in a preview)
// and the container engine; creates nothing.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe } from "@jest/globals";
import * as docker from "@pulumi/docker";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { REPO_ROOT } from "../../components/core/paths";
import { offlineEnv, PULUMI_CACHE } from "../../tools/engine/offlineCli";
import { ENGINE_SOCKET, hostIt, scratchDir } from "./guard";

describe("the policy pack on the real CLI", () => {
  hostIt(
    "stops a preview that publishes PostgreSQL from an image not built here",
    async () => {
      const scratch = scratchDir();
      const workDir = join(scratch, "project");
      mkdirSync(workDir, { recursive: true });
      mkdirSync(join(scratch, "state"), { recursive: true });
      const program = async () => {
        const provider = new docker.Provider("engine", { host: `unix://${ENGINE_SOCKET}` });
        new docker.Container("db", { name: "engine-policy-check", image: "postgres:15", ports: [{ internal: 5432, external: 45432 }] }, { provider });
        return {};
      };
      const pulumiCommand = await PulumiCommand.get({ root: PULUMI_CACHE });
      const stack = await LocalWorkspace.createOrSelectStack(
        { projectName: "policy-check", stackName: "dev", program },
        { workDir, pulumiCommand, envVars: offlineEnv(scratch), secretsProvider: "passphrase", projectSettings: { name: "policy-check", runtime: "nodejs" } },
      );
      let output = "";
      await assert.rejects(stack.preview({ policyPacks: [join(REPO_ROOT, "policy")], onOutput: (s) => (output += s) }));
      assert.match(output, /mail-images-built-here/);
      assert.match(output, /"postgres:15" is not one of our images/);
      assert.match(output, /mail-datastores-not-published/);
      assert.match(output, /publishes port 5432 \(PostgreSQL\)/);
    },
    180_000,
  );
});
