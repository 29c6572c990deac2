// What a container can reach, for the isolation tests (not a test file). Owns one probe: from
// inside a service's container (as a process there, compromised or not, would try), open a TCP
// connection to a host and port and report what happened, in the words the kernel gives: open,
// refused (a host answered, nothing listens, or a firewall rejected it), unreachable (no route,
// or no name), or timeout (dropped on the way). Every image has bash; no tool is added to any.
import { execInService, type LocalStack } from "./stack";
import type { ServiceName } from "../../../components/core/topology";

export type Reach = "open" | "refused" | "unreachable" | "timeout";

export async function probeFrom(stack: LocalStack, service: ServiceName, host: string, port: number, timeoutSeconds = 3): Promise<Reach> {
  const r = await execInService(stack, service, ["bash", "-c", `timeout ${timeoutSeconds} bash -c 'exec 3<>/dev/tcp/${host}/${port}' 2>&1; echo "exit=$?"`]);
  const out = r.stdout + r.stderr;
  if (/exit=0\b/.test(out)) return "open";
  if (/exit=124\b/.test(out)) return "timeout";
  if (/Connection refused/.test(out)) return "refused";
  if (/unreachable|Name or service not known|No address associated|Temporary failure in name resolution/i.test(out)) return "unreachable";
  throw new Error(`probe from ${service} to ${host}:${port} ended unexpectedly: ${out.trim()}`);
}

/** A container's address on each network it joins, by engine network name. */
export async function addressesOf(stack: LocalStack, service: ServiceName): Promise<Record<string, string>> {
  const r = await execInService(stack, service, ["bash", "-c", "hostname -I"]);
  const own = r.stdout.trim().split(/\s+/);
  const out: Record<string, string> = {};
  for (const n of Object.values(stack.topo.networks)) {
    const prefix = n.ipv4Subnet.split(".").slice(0, 3).join(".") + ".";
    const a = own.find((x) => x.startsWith(prefix));
    if (a !== undefined) out[n.name] = a;
  }
  return out;
}
