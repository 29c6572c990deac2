// The running containers of the bench's local stack, as the engine reports them: service name
// (from the runner's label), main process (inspect State.Pid, a host pid), whether the container
// is a local-only stand-in (pebble: never deployed, so never in the stack's totals) and the
// engine's monitor process above it (podman's conmon, Docker's containerd-shim). Asks the engine
// only; reads no pid files and guesses no process names.
import type Docker from "dockerode";
import { TEST_IMAGES } from "../components/core/containers/images";
import { SERVICE_LABEL } from "../components/core/containers/containerSpecs";
import type { Topology } from "../components/core/topology";
import { containerState } from "../local/engine/containers";
import { ourContainers } from "../local/stack";
import { commOf, parentPid } from "./pss";

export interface RunningContainer {
  service: string;
  name: string;
  /** The container's main process as a host pid. */
  pid: number;
  testOnly: boolean;
  /** The engine's per-container monitor (conmon, containerd-shim), when the parent is one. */
  monitorPid?: number;
}

const MONITORS = /^(conmon|containerd-shim)/;

/** Every running container of the stack, sorted by service; throws naming one that is not running. */
export async function runningContainers(docker: Docker, topo: Topology): Promise<RunningContainer[]> {
  const out: RunningContainer[] = [];
  for (const c of await ourContainers(docker, topo)) {
    const name = c.Names[0].replace(/^\//, "");
    const state = await containerState(docker, name);
    const pid = state?.State.Pid ?? 0;
    if (state?.State.Running !== true || pid <= 0) throw new Error(`container ${name} is not running (state: ${state?.State.Status ?? "gone"})`);
    const service = c.Labels[SERVICE_LABEL] ?? name;
    const parent = parentPid(pid);
    out.push({
      service,
      name,
      pid,
      testOnly: (TEST_IMAGES as readonly string[]).includes(service),
      ...(parent !== undefined && MONITORS.test(commOf(parent)) ? { monitorPid: parent } : {}),
    });
  }
  return out.sort((a, b) => (a.service < b.service ? -1 : 1));
}
