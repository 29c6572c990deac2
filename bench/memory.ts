// One memory reading of the running stack: PSS per container (its main process and every
// descendant), the stack's total (deployed services only: a local-only stand-in such as pebble is
// listed but never added in), and the engine's per-container monitors (conmon), listed apart
// because they are the engine's cost, not a service's. Engine in, numbers out; /proc is read by
// bench/pss.ts.
import type Docker from "dockerode";
import type { Topology } from "../components/core/topology";
import { runningContainers, type RunningContainer } from "./containers";
import { pssByGroup } from "./pss";
import { round } from "./stats";

export interface MemoryReading {
  /** service -> PSS in MB, every container of the stack. */
  containers: Record<string, number>;
  /** Sum over the deployed services (test-only containers left out). */
  total: number;
  /** Containers listed above but not in the total. */
  testOnly: string[];
  /** Sum over the engine's monitor processes, one per container (not in the total). */
  monitors: number;
}

/** The group name the monitors are summed under (no service can be called this). */
export const MONITORS_GROUP = "\0engine monitors";

/** Groups PSS figures by container and sums them; pure, so the tests can feed it made-up numbers. */
export function memoryReading(containers: RunningContainer[], mbByGroup: Record<string, number>): MemoryReading {
  const per: Record<string, number> = {};
  for (const c of containers) per[c.service] = round(mbByGroup[c.service] ?? 0, 1);
  const testOnly = containers.filter((c) => c.testOnly).map((c) => c.service);
  const total = round(
    containers.filter((c) => !c.testOnly).reduce((sum, c) => sum + (mbByGroup[c.service] ?? 0), 0),
    1,
  );
  return { containers: per, total, testOnly, monitors: round(mbByGroup[MONITORS_GROUP] ?? 0, 1) };
}

export async function readMemory(docker: Docker, topo: Topology): Promise<MemoryReading> {
  const containers = await runningContainers(docker, topo);
  const roots: Record<string, number[]> = Object.fromEntries(containers.map((c) => [c.service, [c.pid]]));
  // Last, so a container's own processes are never claimed by its monitor's tree.
  roots[MONITORS_GROUP] = containers.flatMap((c) => (c.monitorPid !== undefined ? [c.monitorPid] : []));
  return memoryReading(containers, pssByGroup(roots));
}
