// Where the operations tools (backup, restore, reports, check) act: a deployed stack's VM, reached
// over SSH with the stack's own deploy key and pinned host key (.pulumi-ssh/<stack>/, written by
// `pulumi up` or scripts/restore-ssh-access.sh) at the address `pulumi stack output ipv4` names, or
// the local stack on this machine (MAILSTACK_INSTANCE picks which). Either way the tools hand it a
// bash script and environment and read what it prints: the same script runs in both places, with
// the engine CLI (docker on the VM, podman here) and the container name prefix as the only
// differences. Secrets never go on a command line: the script and its environment travel on stdin.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { localSshPaths } from "../../components/core/host/localSshAccess";
import { REPO_ROOT } from "../../components/core/paths";
import { localInstance, localTopology } from "../../components/core/topology";
import { STATE_DIR } from "../../local/endpoints";
import { UsageError } from "../cliKit";
import { requirePulumi, shortStackName, systemPulumi, type PulumiCli } from "../pulumiCli";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Target {
  /** "stack acme (203.0.113.10)" or "the local stack (instance 0)", for messages. */
  describe: string;
  kind: "vm" | "local";
  /** Name prefix of the stack's containers ("" on the VM). */
  prefix: string;
  /** The engine CLI on that host. */
  engine: "docker" | "podman";
  /** Runs a bash script there with the given environment; `echo` streams its output live. */
  run(script: string, env?: Record<string, string>, opts?: { echo?: boolean; input?: Buffer }): Promise<RunResult>;
}

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** `export NAME='value'` lines: values single-quoted, so nothing in them is expanded. */
export function exportLines(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => {
      if (!ENV_NAME.test(k)) throw new Error(`not an environment variable name: ${k}`);
      return `export ${k}='${v.replace(/'/g, `'\\''`)}'\n`;
    })
    .join("");
}

function runProcess(cmd: string, args: string[], stdin: Buffer, echo: boolean, cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (echo) process.stdout.write(d);
    });
    p.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (echo) process.stderr.write(d);
    });
    p.on("error", reject);
    p.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    p.stdin.end(stdin);
  });
}

/** The local stack of this checkout (MAILSTACK_INSTANCE), through the podman or docker CLI. */
export function localTarget(engine: "docker" | "podman" = existsSync("/run/mailstack/podman.sock") ? "podman" : "docker"): Target {
  const topo = localTopology(STATE_DIR, { instance: localInstance() });
  return {
    describe: `the local stack (instance ${localInstance()})`,
    kind: "local",
    prefix: topo.namePrefix,
    engine,
    run: (script, env = {}, opts = {}) => runProcess("bash", ["-s"], Buffer.concat([Buffer.from(exportLines(env) + script)]), opts.echo ?? false, REPO_ROOT),
  };
}

/** A deployed stack's VM over SSH (deploy key and pinned host key from .pulumi-ssh/<stack>/). */
export function vmTarget(stack: string, pulumi: PulumiCli = systemPulumi(REPO_ROOT)): Target {
  requirePulumi(pulumi, "reaching the stack's server");
  const out = pulumi.capture(["stack", "output", "ipv4", "--stack", stack]);
  const ipv4 = out.stdout.trim();
  if (out.code !== 0 || !/^\d+\.\d+\.\d+\.\d+$/.test(ipv4)) throw new UsageError(`no ipv4 output for stack ${stack} (is it deployed?): ${out.stderr.trim()}`);
  const ssh = localSshPaths(shortStackName(stack));
  const key = join(REPO_ROOT, ssh.privateKey);
  const knownHosts = join(REPO_ROOT, ssh.knownHosts);
  if (!existsSync(key) || !existsSync(knownHosts)) throw new UsageError(`no SSH access files in ${ssh.dir}: run scripts/restore-ssh-access.sh ${shortStackName(stack)} first`);
  const args = ["-i", key, "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", `root@${ipv4}`, "bash", "-s"];
  return {
    describe: `stack ${stack} (${ipv4})`,
    kind: "vm",
    prefix: "",
    engine: "docker",
    run: (script, env = {}, opts = {}) => runProcess("ssh", args, Buffer.from(exportLines(env) + script), opts.echo ?? false, REPO_ROOT),
  };
}

/** --stack <name> or --local (exactly one). */
export function targetFrom(opts: { stack?: string; local?: boolean }): Target {
  if ((opts.stack === undefined) === (opts.local !== true)) throw new UsageError("name exactly one of --stack <name> and --local");
  return opts.local === true ? localTarget() : vmTarget(opts.stack!);
}
