// `npm run mailbox -- reset-password <address> --stack <name> [--org <org>] [--run]`: resets one
// mailbox's generated password. The password is a RandomPassword named by address; replacing it
// makes a new one, whose new hash the mailbox sync writes over whatever the user had set (see
// components/core/remote/mailboxSync.ts), and `mailboxPasswords` shows the new one. Owns the
// checks (the stack file exists, the address is one of its mailboxes) and the exact command; runs
// it only with --run, attached to the terminal so Pulumi shows its plan and asks before changing
// anything. Never reads or prints a password itself.
import { parseArgs } from "node:util";
import { loadStackConfig } from "../../components/core/config/stackFile";
import { mailAddress } from "../../components/core/config/names";
import { REPO_ROOT } from "../../components/core/paths";
import { EXIT, UsageError, runCli, wantsHelp } from "../cliKit";
import { requirePulumi, systemPulumi, type PulumiCli } from "../pulumiCli";
import { stackNameProblem } from "../stackNames";
import { mailboxPasswordUrn } from "../urns";

export const USAGE = `usage: npm run mailbox -- reset-password <address> --stack <name> [--org <org>] [--run]
  Prints (or with --run, runs) the pulumi up that replaces the mailbox's generated password:
  the new password replaces the one in use, including one the user set in webmail. Read it with
    pulumi stack output --stack <name> --show-secrets mailboxPasswords
Exit codes: 0 printed or reset, 1 pulumi up failed, 2 bad usage, unknown stack or mailbox.`;

export interface MailboxDeps {
  root: string;
  pulumi: PulumiCli;
  out: (line: string) => void;
}

export function mailboxMain(argv: string[], deps: MailboxDeps): number {
  if (wantsHelp(argv)) {
    deps.out(USAGE);
    return EXIT.ok;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { stack: { type: "string" }, org: { type: "string" }, run: { type: "boolean" } } });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const [command, address, ...extra] = parsed.positionals;
  if (command !== "reset-password") throw new UsageError(`unknown command "${command ?? ""}"; the command is reset-password\n${USAGE}`);
  if (address === undefined || extra.length > 0 || parsed.values.stack === undefined) throw new UsageError(`give one address and --stack\n${USAGE}`);
  const stack = parsed.values.stack;
  const nameProblem = stackNameProblem(stack);
  if (nameProblem !== undefined) throw new UsageError(`--stack: ${nameProblem}`);
  const a = mailAddress(address);
  if (!a.ok) throw new UsageError(a.reason);
  const cfg = loadStackConfig(stack, deps.root);
  const mailbox = cfg.mailboxes.find((m) => m.address === a.value.address);
  if (mailbox === undefined) {
    const alias = cfg.mailboxes.find((m) => m.aliases.includes(a.value.address));
    throw new UsageError(
      alias !== undefined
        ? `${a.value.address} is an alias of the mailbox ${alias.address}; reset that mailbox's password`
        : `${a.value.address} is not a mailbox of stack ${stack}; its mailboxes are ${cfg.mailboxes.map((m) => m.address).join(", ") || "(none)"}`,
    );
  }
  const stackRef = parsed.values.org === undefined ? stack : `${parsed.values.org}/${stack}`;
  const urn = mailboxPasswordUrn(stack, mailbox.address);
  const args = ["up", "--stack", stackRef, "--policy-pack", "policy", "--replace", urn];
  deps.out(`The generated password of ${mailbox.address} is ${urn}`);
  if (!mailbox.enabled) deps.out(`note: ${mailbox.address} is disabled (enabled: false); the new password works once it is enabled again.`);
  if (parsed.values.run !== true) {
    deps.out("Reset it (Pulumi shows the plan and asks before it changes anything):");
    deps.out(`  pulumi ${args.map((x) => (x.includes("$") ? `'${x}'` : x)).join(" ")}`);
    deps.out(`Then hand out the new password: pulumi stack output --stack ${stackRef} --show-secrets mailboxPasswords`);
    deps.out("Or run this command again with --run.");
    return EXIT.ok;
  }
  requirePulumi(deps.pulumi, "mailbox reset-password --run");
  const code = deps.pulumi.interactive(args);
  if (code !== 0) {
    deps.out(`pulumi up exited with ${code}; the password was not reset`);
    return EXIT.failed;
  }
  deps.out(`Reset. The new password: pulumi stack output --stack ${stackRef} --show-secrets mailboxPasswords`);
  return EXIT.ok;
}

if (require.main === module) {
  runCli("mailbox", () => mailboxMain(process.argv.slice(2), { root: REPO_ROOT, pulumi: systemPulumi(REPO_ROOT), out: (l) => process.stdout.write(`${l}\n`) }));
}
