// `npm run dkim -- expired --stack <name> [--today YYYY-MM-DD]`: lists the earlier DKIM selectors
// (mailstack:dkimPrevious) whose day has passed, with the edit that removes them; the next
// `pulumi up` then deletes their records and keys. Reads the stack file only; changes nothing.
// Exit 0 when nothing is due, 1 when something is (a scheduled job can open a pull request),
// 2 on bad usage or an invalid stack file.
import { expiredDkimKeys } from "../components/core/dns/dkimRotation";
import { loadStackConfig } from "../components/core/config/stackFile";
import { EXIT, runCli, UsageError, wantsHelp } from "./cliKit";

const USAGE = "usage: npm run dkim -- expired --stack <name> [--today YYYY-MM-DD]";

export function main(argv: readonly string[], out: (line: string) => void = (l) => console.log(l), now = new Date()): number {
  if (wantsHelp(argv)) {
    out(USAGE);
    return EXIT.ok;
  }
  const [command, ...rest] = argv;
  if (command !== "expired") throw new UsageError(USAGE);
  const opt = (name: string) => {
    const i = rest.indexOf(name);
    return i < 0 ? undefined : rest[i + 1];
  };
  const stack = opt("--stack");
  if (stack === undefined) throw new UsageError(`--stack is required\n${USAGE}`);
  const today = opt("--today") ?? now.toISOString().slice(0, 10);
  const cfg = loadStackConfig(stack);
  const due = expiredDkimKeys(cfg, today);
  if (due.length === 0) {
    out(`${stack}: no earlier DKIM selector is due for removal on ${today} (${cfg.dkimPrevious.length} kept)`);
    return EXIT.ok;
  }
  for (const k of due) out(`${stack}: selector ${k.selector} was kept until ${k.until}: remove it from mailstack:dkimPrevious, then pulumi up`);
  return EXIT.failed;
}

if (require.main === module) runCli("dkim", () => main(process.argv.slice(2)));
