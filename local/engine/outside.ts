// The local stack's "outside": a network namespace that plays the internet. A veth pair joins it
// to this machine; the host end's address is where the stack's ports are published for the
// outside (as the VM publishes them on its public address), and clients inside the namespace use
// several source addresses of their own. Containers see those clients as themselves (DNAT, no
// masquerade), which a client on 127.0.0.1 cannot give (the engine's hairpin NAT shows every
// loopback client as the bridge gateway). Made with iproute2; needs root. Idempotent: `ensure`
// leaves a correct namespace alone and repairs a half-made one. Knows nothing about mail.
import { run, runOk } from "../proc";

export interface OutsideNetwork {
  netns: string;
  hostInterface: string;
  prefixLength: number;
  hostAddress: string;
  sources: readonly string[];
}

const NS_INTERFACE = "eth0";

async function exists(net: OutsideNetwork): Promise<boolean> {
  const r = await run("ip", ["netns", "list"]);
  return r.stdout.split("\n").some((l) => l.split(" ")[0] === net.netns);
}

/** True when the namespace, both veth ends and every address are in place. */
export async function outsideReady(net: OutsideNetwork): Promise<boolean> {
  if (!(await exists(net))) return false;
  const host = await run("ip", ["-4", "-o", "addr", "show", "dev", net.hostInterface]);
  if (host.code !== 0 || !host.stdout.includes(`${net.hostAddress}/${net.prefixLength}`)) return false;
  const inside = await run("ip", ["-n", net.netns, "-4", "-o", "addr", "show", "dev", NS_INTERFACE]);
  return inside.code === 0 && net.sources.every((s) => inside.stdout.includes(`${s}/${net.prefixLength}`));
}

export async function ensureOutside(net: OutsideNetwork): Promise<void> {
  if (await outsideReady(net)) return;
  if (process.getuid?.() !== 0) throw new Error(`creating the network namespace ${net.netns} (the local stack's "outside") needs root`);
  await removeOutside(net);
  const nsIf = `${net.hostInterface}ns`;
  await runOk(`ip netns add ${net.netns}`, "ip", ["netns", "add", net.netns]);
  await runOk("create the veth pair", "ip", ["link", "add", net.hostInterface, "type", "veth", "peer", "name", nsIf]);
  await runOk("move the veth end into the namespace", "ip", ["link", "set", nsIf, "netns", net.netns]);
  await runOk("rename it", "ip", ["-n", net.netns, "link", "set", nsIf, "name", NS_INTERFACE]);
  await runOk("address the host end", "ip", ["addr", "add", `${net.hostAddress}/${net.prefixLength}`, "dev", net.hostInterface]);
  await runOk("bring the host end up", "ip", ["link", "set", net.hostInterface, "up"]);
  for (const s of net.sources) {
    await runOk(`address ${s} in ${net.netns}`, "ip", ["-n", net.netns, "addr", "add", `${s}/${net.prefixLength}`, "dev", NS_INTERFACE]);
  }
  await runOk("bring the namespace up", "ip", ["-n", net.netns, "link", "set", NS_INTERFACE, "up"]);
  await runOk("namespace loopback", "ip", ["-n", net.netns, "link", "set", "lo", "up"]);
  // Everything the outside reaches goes through this machine: the published ports on the host
  // end, and the containers' own addresses (routed by the host, never beyond it).
  await runOk("default route of the namespace", "ip", ["-n", net.netns, "route", "add", "default", "via", net.hostAddress]);
}

export async function removeOutside(net: OutsideNetwork): Promise<void> {
  await run("ip", ["link", "del", net.hostInterface]);
  if (await exists(net)) await run("ip", ["netns", "del", net.netns]);
}
