// The real Pulumi CLI runs a Node.js program without the Node.js language host, which the Go
// module proxy does not serve: the Automation API's inline mode serves the language-runtime gRPC
// service from this process (@pulumi/pulumi/automation LanguageServer) and passes the CLI
// `--client=127.0.0.1:<port>`, so the CLI never looks for pulumi-language-nodejs. Checked with a
// program of no resources (a log line, a config value, a plain and a secret output): preview, up,
// a second up and destroy, with a file backend and passphrase secrets, offline. Cheap (seconds);
// test/engine/existingHost.test.ts runs the mail stack itself this way.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe } from "@jest/globals";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { offlineEnv, PULUMI_CACHE } from "../../tools/engine/offlineCli";
import { engineIt, scratchDir } from "./guard";

describe("an inline program on the real CLI, without a language host", () => {
  engineIt(
    "previews, updates, finds nothing to change the second time, and destroys",
    async () => {
      const scratch = scratchDir();
      const workDir = join(scratch, "project");
      mkdirSync(workDir, { recursive: true });
      const env = offlineEnv(scratch);
      mkdirSync(join(scratch, "state"), { recursive: true });
      const program = async () => {
        pulumi.log.info("inline program ran");
        return { greeting: `hello ${new pulumi.Config().require("who")}`, token: pulumi.secret("not-a-real-secret") };
      };
      const pulumiCommand = await PulumiCommand.get({ root: PULUMI_CACHE });
      const stack = await LocalWorkspace.createOrSelectStack(
        { projectName: "inline-check", stackName: "dev", program },
        { workDir, pulumiCommand, envVars: env, secretsProvider: "passphrase", projectSettings: { name: "inline-check", runtime: "nodejs" } },
      );
      await stack.setConfig("who", { value: "engine" });

      let log = "";
      const preview = await stack.preview({ onOutput: (s) => (log += s) });
      assert.deepEqual(preview.changeSummary, { create: 1 });
      assert.match(log, /inline program ran/);
      assert.doesNotMatch(log, /language plugin|pulumi-language-nodejs/);

      const up = await stack.up();
      assert.deepEqual(up.summary.resourceChanges, { create: 1 });
      assert.deepEqual(up.outputs.greeting, { value: "hello engine", secret: false });
      assert.equal(up.outputs.token.secret, true);
      assert.doesNotMatch(up.stdout, /not-a-real-secret/);

      assert.deepEqual((await stack.up()).summary.resourceChanges, { same: 1 });
      assert.deepEqual((await stack.destroy()).summary.resourceChanges, { delete: 1 });
    },
    120_000,
  );
});
