// fail2ban's bans for the tests (not a test file). Owns the two questions a test asks the stack's
// fail2ban container, in the words `npm run bans` uses (tools/bans): which addresses are banned
// now, and what the host's ban table holds. fail2ban's nft reads the table (the host's own nft
// may be older than the one that wrote it).
import { FAIL2BAN_DB_DIR } from "../../../components/core/containers/containerSpecs";
import { hostTableName } from "../../../components/core/host/hostFirewall";
import { LIST_BANS, parseBans } from "../../../tools/bans/fail2ban";
import { execInService, execOkInService, type LocalStack } from "./stack";

/** The addresses fail2ban has banned now. */
export async function bannedAddresses(stack: LocalStack): Promise<string[]> {
  const r = await execOkInService(stack, "fail2ban", "list the bans", LIST_BANS);
  return parseBans(r.stdout).map((b) => b.address);
}

/** The elements of the host's ban set for IPv4 (what the kernel actually rejects). */
export async function banSetElements(stack: LocalStack): Promise<string[]> {
  const r = await execInService(stack, "fail2ban", ["nft", "list", "set", "inet", hostTableName(stack.topo, "bans"), "ban4"]);
  const m = /elements = \{([^}]*)\}/.exec(r.stdout);
  return m === null ? [] : m[1].split(",").map((s) => s.trim()).filter(Boolean);
}

/** What the host's guard table holds (empty when it is not loaded). */
export async function guardTable(stack: LocalStack): Promise<string> {
  const r = await execInService(stack, "fail2ban", ["nft", "list", "table", "inet", hostTableName(stack.topo, "guard")]);
  return r.code === 0 ? r.stdout : "";
}

/**
 * Makes fail2ban forget earlier bans of `addresses` (its database on the volume outlives every
 * run): fail2ban counts each new failure of a repeat offender several times (bantime.increment),
 * so a test that counts failures starts from a clean history. Test setup only.
 */
export async function forgetBans(stack: LocalStack, addresses: readonly string[]): Promise<void> {
  const py = [
    "import json, sqlite3, sys",
    `c = sqlite3.connect("${FAIL2BAN_DB_DIR}/fail2ban.sqlite3")`,
    "for ip in json.load(sys.stdin):",
    "    c.execute('DELETE FROM bans WHERE ip = ?', (ip,))",
    "    c.execute('DELETE FROM bips WHERE ip = ?', (ip,))",
    "c.commit()",
  ].join("\n");
  await execOkInService(stack, "fail2ban", "forget earlier bans", ["python3", "-c", py], { input: JSON.stringify(addresses) });
}
