// `npm run customer -- remove <name> [--keep-ips] [--org <org>] [--yes]`: the decommission of a
// customer, explained and then carried out. Without --yes it only prints what would happen and
// the exact commands; nothing is destroyed. With --yes it runs them in order:
//   1. pulumi destroy --exclude-protected [--exclude <primary IPs>]: DNS records, containers,
//      server, firewall, keys and reverse DNS go; the data volume (protect + retainOnDelete) stays,
//      and with --keep-ips so do both primary IPs (autoDelete false: they outlive the server).
//   2. pulumi stack rm --force --preserve-config: the stack forgets what is left (the volume, the
//      kept IPs), which stays in the Hetzner project, billed, until deleted there by hand.
//   3. the stack file Pulumi.<name>.yaml is deleted; the operator commits that in a pull request.
// Owns the plan and the order; every change is made by the Pulumi CLI.
import { existsSync, rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadStackConfig, stackFilePath } from "../../components/core/config/stackFile";
import { EXIT, UsageError } from "../cliKit";
import { requirePulumi, type PulumiCli } from "../pulumiCli";
import { stackNameProblem } from "../stackNames";
import { primaryIpUrns } from "../urns";

export const REMOVE_USAGE = `usage: npm run customer -- remove <name> [--keep-ips] [--org <org>] [--yes]
  Without --yes: prints what happens to DNS, server, addresses and the mail volume, and the
  commands; changes nothing. With --yes: runs them (pulumi destroy, pulumi stack rm) and deletes
  Pulumi.<name>.yaml. --keep-ips keeps both primary IPs in the Hetzner project for reuse.`;

export function removeCustomer(argv: string[], root: string, pulumi: PulumiCli, out: (l: string) => void): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { yes: { type: "boolean" }, "keep-ips": { type: "boolean" }, org: { type: "string" } } });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${REMOVE_USAGE}`);
  }
  const [, name, ...extra] = parsed.positionals;
  if (name === undefined || extra.length > 0) throw new UsageError(`give exactly one customer name\n${REMOVE_USAGE}`);
  const problem = stackNameProblem(name);
  if (problem !== undefined) throw new UsageError(`customer name: ${problem}`);
  const file = stackFilePath(name, root);
  if (!existsSync(file)) throw new UsageError(`no customer "${name}" (${file} does not exist)`);
  const cfg = loadStackConfig(name, root);
  const ref = parsed.values.org === undefined ? name : `${parsed.values.org}/${name}`;
  const keepIps = parsed.values["keep-ips"] === true;

  const destroy = ["destroy", "--stack", ref, "--exclude-protected", ...(keepIps ? primaryIpUrns(name).flatMap((u) => ["--exclude", u]) : []), "--yes"];
  const rm = ["stack", "rm", "--stack", ref, "--force", "--preserve-config", "--yes"];
  const volume = `${cfg.hostname.replace(/\./g, "-")}-data`;
  out(`Decommissioning customer ${name} (${cfg.domains.map((d) => d.name).join(", ")}; mail host ${cfg.hostname}):`);
  out(`  - DNS: every record the stack wrote is deleted. Mail to ${cfg.domains.map((d) => d.name).join(", ")} then fails; if the customer moves elsewhere, point the MX there first.`);
  out("  - the server, its firewall, SSH keys and reverse DNS are deleted; every container with it.");
  out(
    keepIps
      ? `  - the primary IPs ${cfg.hostname}-v4/-v6 are kept in the Hetzner project (billed) for reuse; release them there when done.`
      : `  - the primary IPs ${cfg.hostname}-v4/-v6 are released (their addresses may go to another Hetzner customer); --keep-ips keeps them.`,
  );
  out(`  - the volume ${volume} with all mail and databases stays (protected, retainOnDelete), billed, outside any stack.`);
  out(`    Archive it (attach it to a server, copy /srv/mail), then delete it: hcloud volume delete ${volume}`);
  out(`  - ${file} is deleted; commit that in a pull request (a removed stack file previews nothing).`);
  out("Commands:");
  out(`  1. pulumi ${destroy.join(" ")}`);
  out(`  2. pulumi ${rm.join(" ")}`);
  out(`  3. rm ${file}`);
  if (parsed.values.yes !== true) {
    out("Nothing was changed. Run again with --yes to do it.");
    return EXIT.ok;
  }
  requirePulumi(pulumi, "customer remove --yes");
  out(`Running 1: pulumi destroy for ${ref} ...`);
  if (pulumi.interactive(destroy) !== 0) {
    out(`pulumi destroy failed; nothing more was done. Fix the cause and run this again (destroy is safe to repeat).`);
    return EXIT.failed;
  }
  out(`Running 2: pulumi stack rm for ${ref} ...`);
  if (pulumi.interactive(rm) !== 0) {
    out("pulumi stack rm failed; the resources are destroyed, the stack still exists. Run this again.");
    return EXIT.failed;
  }
  rmSync(file);
  out(`Done. Removed ${file}; commit it. Left in Hetzner: the volume ${volume}${keepIps ? " and both primary IPs" : ""}.`);
  return EXIT.ok;
}
