// The tools' one way to run the Pulumi CLI (`pulumi` on PATH): whether it is there, a command
// whose output is read (captured), and a command the operator watches and answers (inherited
// terminal, so Pulumi's own preview and confirmation show). Owns no command line of its own;
// never passes a secret on a command line.
import { spawnSync } from "node:child_process";
import { UsageError } from "./cliKit";

export interface PulumiResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PulumiCli {
  /** The CLI's version, or undefined when `pulumi` is not on PATH. */
  version(): string | undefined;
  /** Runs and captures; never prompts (stdin closed). */
  capture(args: readonly string[]): PulumiResult;
  /** Runs attached to the terminal; resolves to the exit code. */
  interactive(args: readonly string[]): number;
}

export function systemPulumi(cwd: string, env: NodeJS.ProcessEnv = process.env): PulumiCli {
  return {
    version() {
      const r = spawnSync("pulumi", ["version"], { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      return r.error !== undefined || r.status !== 0 ? undefined : r.stdout.trim();
    },
    capture(args) {
      const r = spawnSync("pulumi", [...args], { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
      if (r.error !== undefined) return { code: 127, stdout: "", stderr: r.error.message };
      return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
    },
    interactive(args) {
      const r = spawnSync("pulumi", [...args], { cwd, env, stdio: "inherit" });
      return r.error !== undefined ? 127 : (r.status ?? 1);
    },
  };
}

/** Fails with install instructions when the CLI is missing; says which tool needs it. */
export function requirePulumi(cli: PulumiCli, what: string): string {
  const v = cli.version();
  if (v === undefined) {
    throw new UsageError(
      `${what} needs the Pulumi CLI on PATH and logged in (PULUMI_ACCESS_TOKEN, or PULUMI_BACKEND_URL with PULUMI_CONFIG_PASSPHRASE); ` +
        "install it from https://www.pulumi.com/docs/install/ (version 3.248 or later)",
    );
  }
  return v;
}

/** "org/acme" -> "acme": URNs and stack files use the stack's own name. */
export const shortStackName = (stack: string) => stack.slice(stack.lastIndexOf("/") + 1);
