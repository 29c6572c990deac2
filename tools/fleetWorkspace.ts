// The real engine behind `npm run fleet`: Pulumi's Automation API on the checked-out project,
// one LocalWorkspace stack per customer, the policy pack in policy/ on every preview and up.
// Owns only the mapping from a fleet operation to the Automation API call; needs the Pulumi CLI
// on PATH and a logged-in backend (PULUMI_ACCESS_TOKEN or PULUMI_BACKEND_URL +
// PULUMI_CONFIG_PASSPHRASE), exactly like the CLI. Not unit-tested: nothing here has logic
// beyond the call, and the CLI is not available to tests.
import { join } from "node:path";
import { LocalWorkspace, type OpMap } from "@pulumi/pulumi/automation";
import type { FleetOp, FleetWorkspace } from "./fleetRun";

export function automationWorkspace(workDir: string, org?: string): FleetWorkspace {
  const policyPacks = [join(workDir, "policy")];
  return {
    async run(stack: string, op: FleetOp, onOutput: (text: string) => void): Promise<OpMap> {
      const stackName = org === undefined ? stack : `${org}/${stack}`;
      const s = await LocalWorkspace.selectStack({ stackName, workDir });
      switch (op) {
        case "preview":
          return (await s.preview({ onOutput, diff: true, policyPacks })).changeSummary;
        case "up":
          return (await s.up({ onOutput, policyPacks })).summary.resourceChanges ?? {};
        case "refresh":
          return (await s.refresh({ onOutput })).summary.resourceChanges ?? {};
      }
    },
  };
}
