// The host's own nftables tables for one stack, as text: the ban table fail2ban fills
// (files/fail2ban/bans.nft) and the guard table that keeps containers away from the cloud's
// metadata service and from each other's networks. Both hook the host's forward path, where the
// engine hands traffic to and from containers (after its DNAT of published ports), so the same
// rules work with Docker on the VM and podman here. Locally every table is named after the
// instance and matches only the instance's own subnets, so several stacks side by side never
// touch each other or anything else on the machine. Pure: topology in, text out; it runs nothing.
import { NETWORK_NAMES, stackSubnets, type Topology } from "../topology";
import { base64Heredoc } from "../remote/heredoc";

/**
 * The metadata service of Hetzner Cloud (and most clouds). It serves the server's user data,
 * which holds the SSH host private key every deploy pins (files/cloud-init/user-data.yaml).
 */
export const METADATA_ADDRESS = "169.254.169.254";

/** "mailstack-bans" on the VM, "mailstack5-bans" for local instance 5. */
export function hostTableName(topo: Pick<Topology, "namePrefix">, which: "bans" | "guard"): string {
  return `${topo.namePrefix === "" ? "mailstack-" : topo.namePrefix}${which}`;
}

const set = (xs: readonly string[]) => (xs.length === 1 ? xs[0] : `{ ${xs.join(", ")} }`);

/**
 * The rules of the ban chain: a banned source gets a TCP reset (or an ICMP refusal) from every
 * container of the stack. Only traffic to the stack's own subnets: the DNAT of a published port
 * has already turned the host address into a container's.
 */
export function banRules(topo: Pick<Topology, "networks">): string {
  const nets = stackSubnets(topo);
  const lines: string[] = [];
  if (nets.v4.length > 0) {
    lines.push(`ip daddr ${set(nets.v4)} ip saddr @ban4 meta l4proto tcp reject with tcp reset`, `ip daddr ${set(nets.v4)} ip saddr @ban4 reject`);
  }
  if (nets.v6.length > 0) {
    lines.push(`ip6 daddr ${set(nets.v6)} ip6 saddr @ban6 meta l4proto tcp reject with tcp reset`, `ip6 daddr ${set(nets.v6)} ip6 saddr @ban6 reject`);
  }
  return lines.map((l) => `    ${l}`).join("\n");
}

/**
 * The guard table. On the VM every forwarded packet comes from a container (the host routes
 * nothing else), so the metadata rule matches them all, including the engine's build containers;
 * locally it matches the instance's subnets only. The isolation rules drop a packet from one of
 * the stack's networks to another: Docker does this itself (DOCKER-ISOLATION), podman's netavark
 * does not, so without them a container could reach a container it shares no network with,
 * routed by the host. Traffic within one network is bridged and never matches (same subnet).
 */
export function guardRuleset(topo: Pick<Topology, "networks" | "namePrefix" | "kind">): string {
  const table = hostTableName(topo, "guard");
  const nets = stackSubnets(topo);
  const rules: string[] = [
    "# Containers never reach the metadata service: it serves the user data with the SSH host key.",
    topo.kind === "production" ? `ip daddr ${METADATA_ADDRESS} reject` : `ip saddr ${set(nets.v4)} ip daddr ${METADATA_ADDRESS} reject`,
    "# One network of the stack never reaches another through the host.",
  ];
  for (const n of NETWORK_NAMES) {
    const net = topo.networks[n];
    const others4 = nets.v4.filter((s) => s !== net.ipv4Subnet);
    if (others4.length > 0) rules.push(`ip saddr ${net.ipv4Subnet} ip daddr ${set(others4)} drop`);
    const others6 = nets.v6.filter((s) => s !== net.ipv6Subnet);
    if (net.ipv6Subnet !== undefined && others6.length > 0) rules.push(`ip6 saddr ${net.ipv6Subnet} ip6 daddr ${set(others6)} drop`);
  }
  return [
    `# The container guard of ${table === "mailstack-guard" ? "the mail host" : `local stack ${topo.namePrefix.replace(/-$/, "")}`}:`,
    "# rendered by components/core/host/hostFirewall.ts. Loading it replaces an older copy.",
    `table inet ${table} {}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    "  chain guard {",
    "    type filter hook forward priority -20; policy accept;",
    ...rules.map((r) => `    ${r}`),
    "  }",
    "}",
    "",
  ].join("\n");
}

/** Where the VM keeps the guard ruleset, and the unit that loads it before Docker starts. */
export const GUARD_FILE = "/etc/mailstack/guard.nft";
export const GUARD_UNIT_NAME = "mailstack-guard.service";

/**
 * Loads the guard before Docker starts (and so before any container runs): nftables tables do
 * not survive a reboot. Wanted by docker.service rather than required: a guard that fails to load
 * is an error in the journal, not a mail outage.
 */
export const GUARD_UNIT = [
  "[Unit]",
  "Description=Container guard: no cloud metadata, no routing between the mail stack's networks",
  "Before=docker.service",
  "",
  "[Service]",
  "Type=oneshot",
  "RemainAfterExit=yes",
  `ExecStart=/usr/sbin/nft -f ${GUARD_FILE}`,
  "ExecStop=/usr/sbin/nft delete table inet mailstack-guard",
  "",
  "[Install]",
  "WantedBy=docker.service multi-user.target",
  "",
].join("\n");

const heredoc = (path: string, content: string) => [...base64Heredoc(`'${path}.tmp'`, content), `mv -f '${path}.tmp' '${path}'`];

/**
 * Shell (sh -s, as root on the VM) that installs and (re)loads the guard on a server of any age:
 * cloud-init writes the same files at the first boot, but a server's user data never changes
 * after that, so this is how an existing server gets the guard and every later change to it.
 * Also keeps cloud-init's copies of the user data (which hold the SSH host private key) readable
 * by root alone; no container mounts anything outside the volume anyway.
 */
export function guardInstallScript(topo: Pick<Topology, "networks" | "namePrefix" | "kind">): string {
  return [
    "set -eu",
    "command -v nft >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nftables; }",
    "install -d -m 0755 /etc/mailstack",
    ...heredoc(GUARD_FILE, guardRuleset(topo)),
    ...heredoc(`/etc/systemd/system/${GUARD_UNIT_NAME}`, GUARD_UNIT),
    "systemctl daemon-reload",
    `systemctl enable ${GUARD_UNIT_NAME}`,
    `systemctl restart ${GUARD_UNIT_NAME}`,
    "find /var/lib/cloud -name 'user-data.txt*' -exec chmod 0600 {} +",
    "",
  ].join("\n");
}
