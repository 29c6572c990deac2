// What every command-line tool here shares: the exit codes, the usage error, `--help`, and the
// rule that a mistake of the operator's (bad option, bad stack file, YAML syntax) prints one clear
// message and never a stack trace. Owns no command of its own.
//
// Exit codes, the same for render, customer, mailbox, fleet and touchedStacks:
//   0  done (for `--help`, and a dry run that only printed what it would do)
//   1  the operation ran and failed (a stack's preview failed, the Pulumi CLI returned an error)
//   2  nothing was attempted: bad usage, an invalid stack file, a missing prerequisite
import { ConfigError } from "../components/core/config/config";
import { StackFileError } from "../components/core/config/stackFile";

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A mistake in how the tool was called, or a prerequisite missing: exit 2, message only. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const wantsHelp = (argv: readonly string[]): boolean => argv.some((a) => a === "--help" || a === "-h") || argv[0] === "help";

/** The exit code and the text for an error escaping a tool's main. */
export function describeFailure(tool: string, e: unknown): { code: number; text: string } {
  if (e instanceof UsageError || e instanceof ConfigError || e instanceof StackFileError) {
    return { code: EXIT.usage, text: `${tool}: ${e.message}\n` };
  }
  const message = e instanceof Error ? e.message : String(e);
  // An unexpected error is a bug or an outage; its trace helps only whoever debugs it.
  const trace = process.env.MAILSTACK_DEBUG === "1" && e instanceof Error ? `\n${e.stack ?? ""}` : "\n(set MAILSTACK_DEBUG=1 for the stack trace)";
  return { code: EXIT.failed, text: `${tool}: ${message}${trace}\n` };
}

/** Runs a tool's main and exits with its code; errors become one message (see describeFailure). */
export function runCli(tool: string, main: () => number | Promise<number>): void {
  Promise.resolve()
    .then(main)
    .then(
      (code) => {
        process.exitCode = code;
      },
      (e: unknown) => {
        const { code, text } = describeFailure(tool, e);
        process.stderr.write(text);
        process.exitCode = code;
      },
    );
}
