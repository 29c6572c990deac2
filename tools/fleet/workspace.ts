// The real engine behind `npm run fleet`: Pulumi's Automation API on the checked-out project,
// one LocalWorkspace stack per customer, the policy pack in policy/ on every preview and up.
// Before each operation it restores the stack's .pulumi-ssh/<stack>/ files (deploy key and
// known_hosts, which the Docker provider needs and `pulumi up` writes only when they change)
// from the stack's own outputs, like scripts/restore-ssh-access.sh does for CI.
// Owns only the mapping from a fleet operation to the Automation API call and that restore;
// needs the Pulumi CLI on PATH and a logged-in backend (PULUMI_ACCESS_TOKEN or PULUMI_BACKEND_URL
// + PULUMI_CONFIG_PASSPHRASE), exactly like the CLI. The operations are not tested (no real
// preview can run here, see the README); the restore is, on a fake output map
// (test/tools/restoreSshAccess.test.ts) and on the real CLI's outputs (test/engine/sshAccess.test.ts).
import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalWorkspace, type OpMap, type OutputMap } from "@pulumi/pulumi/automation";
import { knownHostsLine, LOCAL_SSH_ROOT, localSshPaths } from "../../components/core/host/localSshAccess";
import type { FleetOp, FleetWorkspace } from "./run";

/**
 * Writes the deploy key (0600) and known_hosts line from a stack's outputs into
 * <workDir>/.pulumi-ssh/<stack>/. Returns false, writing nothing, only when the stack has no
 * outputs at all (first deploy: `pulumi up` writes the files itself); outputs without these two
 * are an error, like in scripts/restore-ssh-access.sh.
 */
export function restoreSshAccess(workDir: string, stack: string, outputs: OutputMap): boolean {
  if (Object.keys(outputs).length === 0) return false;
  const key = outputs.deployPrivateKey?.value;
  const hosts = outputs.sshKnownHosts?.value;
  if (typeof key !== "string" || typeof hosts !== "string" || key === "" || hosts === "") {
    throw new Error(`stack ${stack} has outputs but no deployPrivateKey/sshKnownHosts; deployed by an older program? Run pulumi up once by hand`);
  }
  const [host = "", ...rest] = hosts.trim().split(" ");
  const line = knownHostsLine(host, rest.join(" ")); // refuses anything that is not one clean line
  const paths = localSshPaths(stack);
  const dir = join(workDir, paths.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(join(workDir, LOCAL_SSH_ROOT), 0o700);
  chmodSync(dir, 0o700);
  const write = (rel: string, content: string) => {
    const tmp = join(workDir, `${rel}.tmp`);
    // mode applies only when the file is created: chmod as well, for a leftover temp file.
    writeFileSync(tmp, content, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, join(workDir, rel));
  };
  write(paths.privateKey, key.endsWith("\n") ? key : `${key}\n`);
  write(paths.knownHosts, `${line}\n`);
  return true;
}

export function automationWorkspace(workDir: string, org?: string): FleetWorkspace {
  const policyPacks = [join(workDir, "policy")];
  return {
    async run(stack: string, op: FleetOp, onOutput: (text: string) => void): Promise<OpMap> {
      const stackName = org === undefined ? stack : `${org}/${stack}`;
      const s = await LocalWorkspace.selectStack({ stackName, workDir });
      if (!restoreSshAccess(workDir, stack, await s.outputs())) {
        onOutput(`fleet: ${stack} has no deployPrivateKey/sshKnownHosts outputs yet; pulumi up writes ${localSshPaths(stack).dir} itself\n`);
      }
      switch (op) {
        case "preview":
          // onError too: the engine's stderr holds the error lines the log must keep.
          return (await s.preview({ onOutput, onError: onOutput, diff: true, policyPacks })).changeSummary;
        case "up":
          return (await s.up({ onOutput, onError: onOutput, policyPacks })).summary.resourceChanges ?? {};
        case "refresh":
          return (await s.refresh({ onOutput, onError: onOutput })).summary.resourceChanges ?? {};
      }
    },
  };
}
