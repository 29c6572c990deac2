// Inbound mail "from the internet" for the bench: the e2e suite's SOCKS proxy
// (test/e2e/helpers/outsideProxy.mjs) run inside the local stack's outside namespace
// (endpoints.remote.netns), so sessions reach the stack at remote.address from a source address of
// the namespace, which the containers see as itself, as production sees real clients (DNAT without
// masquerade). Costs one more user-space hop per byte; `--from outside` uses it, the default
// (127.0.0.1, seen as the network gateway) does not. Starts and stops only its own process.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../components/core/paths";
import type { LocalEndpoints } from "../local/endpoints";
import type { Target } from "./transport";

const PROXY = join(REPO_ROOT, "test", "e2e", "helpers", "outsideProxy.mjs");
/** Inside the namespace only this process listens: any free port will do. */
const PROXY_PORT = 1080;

export interface OutsideClient {
  target: Target;
  source: string;
  stop(): Promise<void>;
}

export function startOutsideClient(ep: LocalEndpoints, smtpPort: number): Promise<OutsideClient> {
  const source = ep.remote.sources[0];
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", ep.remote.netns, process.execPath, PROXY, String(PROXY_PORT), source], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const exited = new Promise<void>((res) => child.on("close", () => res()));
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready")) {
        resolve({
          target: { host: ep.remote.address, port: smtpPort, proxy: `socks5://${source}:${PROXY_PORT}` },
          source,
          stop: async () => {
            child.kill("SIGTERM");
            await exited;
          },
        });
      }
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    void exited.then(() => reject(new Error(`the outside SOCKS proxy exited in ${ep.remote.netns}: ${err.trim()}`)));
  });
}
