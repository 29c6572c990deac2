// The image tests run a few containers on one private network of their own, which the test
// process reaches directly: every network of the stack's graph (topology.ts NETWORK_NAMES) is
// that one network here, not internal, so PostgreSQL's pg_hba and Dovecot's trusted network,
// rendered from the topology, name the test network. The isolation itself is tested on the whole
// local stack (test/e2e).
import { NETWORK_NAMES, type NetworkName, type ServiceNetwork, type Topology } from "../../components/core/topology";

export function onOneNetwork(topo: Topology, net: { name: string; ipv4Subnet: string }): Topology {
  const one: ServiceNetwork = { name: net.name, ipv4Subnet: net.ipv4Subnet, internal: false };
  return { ...topo, networks: Object.fromEntries(NETWORK_NAMES.map((n) => [n, one])) as Record<NetworkName, ServiceNetwork> };
}
