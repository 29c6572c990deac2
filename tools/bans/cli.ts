// `npm run bans -- list|lift <address> (--stack <name> | --local)`: the operator's view of
// fail2ban's bans (mailstack:bans, README "Bans"). `list` prints every banned address and until
// when; `lift <address>` unbans it at once (an IPv6 address lifts the ban of its whole prefix).
// Against a deployed stack it runs fail2ban-client in the VM's fail2ban container over SSH, with
// the stack's deploy key and pinned host key (.pulumi-ssh/<stack>/, restored by
// scripts/restore-ssh-access.sh); with --local, in the local stack of this checkout (the instance
// MAILSTACK_INSTANCE names) through the container engine. Owns the arguments and the output; what
// fail2ban prints is parsed in fail2ban.ts.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { localSshPaths } from "../../components/core/host/localSshAccess";
import { REPO_ROOT } from "../../components/core/paths";
import { containerName, localInstance, localTopology, productionTopology } from "../../components/core/topology";
import { STATE_DIR } from "../../local/endpoints";
import { execIn } from "../../local/engine/containers";
import { connectEngine } from "../../local/engine/engine";
import { EXIT, UsageError, runCli, wantsHelp } from "../cliKit";
import { stackNameProblem } from "../stackNames";
import { IPV6_PREFIX, LIST_BANS, liftBans, liftTargets, normalisedAddress, parseBans } from "./fail2ban";

export const USAGE = `usage: npm run bans -- list (--stack <name> | --local)
       npm run bans -- lift <address> (--stack <name> | --local)
  list   every address fail2ban has banned, and until when (UTC)
  lift   unban <address> now; an IPv6 address lifts the ban of its whole prefix
  --stack <name>  the deployed stack's server, over SSH with .pulumi-ssh/<name>/
                  (restore it with: scripts/restore-ssh-access.sh <name>)
  --local         the local stack of this checkout (MAILSTACK_INSTANCE picks the instance)
Exit codes: 0 done, 1 fail2ban or the connection failed, 2 bad usage or no access.`;

/** Runs fail2ban-client in the stack's fail2ban container: exit code and output. */
export type Fail2banRunner = (args: string[]) => Promise<{ code: number; output: string }>;

export interface BansDeps {
  out: (line: string) => void;
  runner: (target: { stack: string } | { local: true }) => Fail2banRunner;
}

export async function bansMain(argv: string[], deps: BansDeps): Promise<number> {
  if (wantsHelp(argv)) {
    deps.out(USAGE);
    return EXIT.ok;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { stack: { type: "string" }, local: { type: "boolean" } } });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const [command, address, ...extra] = parsed.positionals;
  if (command !== "list" && command !== "lift") throw new UsageError(`unknown command "${command ?? ""}"; the commands are list and lift\n${USAGE}`);
  if (extra.length > 0 || (command === "list" && address !== undefined) || (command === "lift" && address === undefined)) {
    throw new UsageError(`${command === "lift" ? "lift takes one address" : "list takes no address"}\n${USAGE}`);
  }
  const { stack, local } = parsed.values;
  if ((stack === undefined) === (local !== true)) throw new UsageError(`give either --stack <name> or --local\n${USAGE}`);
  if (stack !== undefined) {
    const problem = stackNameProblem(stack);
    if (problem !== undefined) throw new UsageError(`--stack: ${problem}`);
  }
  const where = stack !== undefined ? `stack ${stack}` : "the local stack";
  const run = deps.runner(stack !== undefined ? { stack } : { local: true });
  const ok = async (args: string[]) => {
    const r = await run(args);
    if (r.code !== 0) throw new Error(`fail2ban-client on ${where} failed (exit ${r.code}): ${r.output.trim()}`);
    return r.output;
  };
  const bans = parseBans(await ok(LIST_BANS));
  if (command === "list") {
    if (bans.length === 0) deps.out(`no address is banned on ${where}`);
    else for (const b of bans) deps.out(`${b.address.padEnd(39)}  banned ${b.since} until ${b.until} UTC`);
    return EXIT.ok;
  }
  const wanted = normalisedAddress(address ?? "");
  if (wanted === undefined) throw new UsageError(`"${address}" is not an IPv4 or IPv6 address`);
  const prefix = Number((await ok(IPV6_PREFIX)).trim());
  const targets = liftTargets(bans, wanted, Number.isInteger(prefix) ? prefix : 128);
  if (targets.length === 0) {
    deps.out(`${wanted} is not banned on ${where}`);
    return EXIT.ok;
  }
  await ok(liftBans(targets));
  const left = parseBans(await ok(LIST_BANS)).filter((b) => targets.includes(b.address));
  if (left.length > 0) throw new Error(`fail2ban still lists ${left.map((b) => b.address).join(", ")} as banned on ${where}`);
  deps.out(`lifted the ban of ${targets.join(", ")} on ${where}`);
  return EXIT.ok;
}

/** fail2ban-client over SSH in the VM's fail2ban container (deploy key, pinned host key only). */
export function sshRunner(root: string, stack: string): Fail2banRunner {
  const p = localSshPaths(stack);
  const key = join(root, p.privateKey);
  const knownHosts = join(root, p.knownHosts);
  if (!existsSync(key) || !existsSync(knownHosts)) throw new UsageError(`no SSH access files for stack ${stack} in ${p.dir}/; restore them with: scripts/restore-ssh-access.sh ${stack}`);
  const host = readFileSync(knownHosts, "utf8").trim().split(/\s+/)[0];
  return async (args) => {
    // Every argument is a fixed word or a validated address: safe for the remote shell as is.
    if (args.some((a) => !/^[A-Za-z0-9_.:/-]+$/.test(a))) throw new Error(`refusing to pass ${JSON.stringify(args)} to a remote shell`);
    const r = spawnSync(
      "ssh",
      ["-i", key, "-o", "IdentitiesOnly=yes", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", `root@${host}`, "docker", "exec", containerName(productionTopology, "fail2ban"), ...args],
      { encoding: "utf8", timeout: 60_000 },
    );
    return { code: r.status ?? 1, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? r.error.message : ""}` };
  };
}

/** fail2ban-client in this checkout's local stack, through the container engine. */
export function localRunner(): Fail2banRunner {
  const name = containerName(localTopology(STATE_DIR, { instance: localInstance() }), "fail2ban");
  return async (args) => {
    const engine = await connectEngine({ install: false });
    const r = await execIn(engine.docker, name, args);
    return { code: r.code, output: r.stdout + r.stderr };
  };
}

if (require.main === module) {
  runCli("bans", () =>
    bansMain(process.argv.slice(2), {
      out: (l) => process.stdout.write(`${l}\n`),
      runner: (t) => ("stack" in t ? sshRunner(REPO_ROOT, t.stack) : localRunner()),
    }),
  );
}
