// `npm run customer -- new | list | remove ...`: the customer lifecycle. Dispatches to new.ts (write
// a stack file), list.ts (stacks, domains, mailboxes, last deploy) and remove.ts (guided
// decommission); owns only the usage text and the exit code.
import { REPO_ROOT } from "../../components/core/paths";
import { EXIT, UsageError, runCli, wantsHelp } from "../cliKit";
import { systemPulumi } from "../pulumiCli";
import { listCustomers } from "./list";
import { newCustomer, NEW_USAGE, realIo, type CustomerIo } from "./new";
import { removeCustomer, REMOVE_USAGE } from "./remove";

export const USAGE = `${NEW_USAGE}
usage: npm run customer -- list [--org <org>]
${REMOVE_USAGE}
Exit codes: 0 done (or, for remove without --yes, the plan printed), 1 a Pulumi command failed,
2 bad usage or an invalid stack file (nothing was written or changed).`;

export interface CustomerDeps {
  io: CustomerIo;
  pulumi: ReturnType<typeof systemPulumi>;
}

export function customerMain(argv: string[], deps: CustomerDeps): number {
  const command = argv[0];
  if (command === undefined || (wantsHelp(argv) && !["new", "list", "remove"].includes(command))) {
    deps.io.log(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (wantsHelp(argv)) {
    deps.io.log(command === "new" ? NEW_USAGE : command === "remove" ? REMOVE_USAGE : "usage: npm run customer -- list [--org <org>]");
    return EXIT.ok;
  }
  switch (command) {
    case "new":
      newCustomer(argv, deps.io);
      return EXIT.ok;
    case "list": {
      const org = argv[1] === "--org" ? argv[2] : undefined;
      if (argv.length > (org === undefined ? 1 : 3)) throw new UsageError(`list takes only --org <org>\n${USAGE}`);
      deps.io.log(listCustomers(deps.io.root, deps.pulumi.version() === undefined ? undefined : deps.pulumi, org));
      return EXIT.ok;
    }
    case "remove":
      return removeCustomer(argv, deps.io.root, deps.pulumi, deps.io.log);
    default:
      throw new UsageError(`unknown command "${command}"; the commands are new, list and remove\n${USAGE}`);
  }
}

if (require.main === module) {
  runCli("customer", () => customerMain(process.argv.slice(2), { io: realIo(REPO_ROOT), pulumi: systemPulumi(REPO_ROOT) }));
}
