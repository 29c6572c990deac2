// `npm run local -- up [--stack <name> | --stack-file <path>]` and `npm run local -- down`: the
// production images on this machine's container engine, with the local topology (local/stack.ts).
// Greylisting stays on unless MAILSTACK_GREYLISTING=off (tests/benchmarks), printed loudly.
import { resolve } from "node:path";
import { stackFilePath } from "../components/core/config/stackFile";
import { down, up, type StackChoice } from "./stack";

const USAGE = `usage: npm run local -- up [--stack <name> | --stack-file <path>]
       npm run local -- down

  up     build the images (cached), check every rendered file with its daemon's checker, start
         the containers on 127.0.0.1 and write .local/endpoints.json; keeps mail and secrets
  down   remove the local stack's containers and networks; keeps mail, secrets and data

  MAILSTACK_GREYLISTING=off   greylisting off (tests and benchmarks only)`;

export function parseArgs(argv: string[]): { command: string; choice: StackChoice } {
  const [command = "", ...rest] = argv;
  let file = stackFilePath("local");
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--stack") file = stackFilePath(rest[++i] ?? "");
    else if (rest[i] === "--stack-file") file = resolve(rest[++i] ?? "");
    else throw new UsageError(`unknown argument ${rest[i]}`);
  }
  const grey = (process.env.MAILSTACK_GREYLISTING ?? "on").toLowerCase();
  return { command, choice: { file, greylisting: !(grey === "off" || grey === "0" || grey === "false") } };
}

class UsageError extends Error {}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const { command, choice } = parseArgs(argv);
  if (command === "up") await up(choice);
  else if (command === "down") await down();
  else throw new UsageError(command === "" ? "no command" : `unknown command ${command}`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`local: ${e.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(`local: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
