// Runs the offline DNS stand-in (bench/dnsStub.ts) inside a running container's network
// namespace, on that container's 127.0.0.1:53, where the local stack's rendered options.inc points
// Rspamd's resolver. A host process cannot bind there, so a child process joins the namespace
// with nsenter (root): the container, its image and its files stay exactly as the runner made
// them. The stand-in answers as long as this handle is open; `stop` returns what it was asked.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../components/core/paths";

export interface DnsCounts {
  queries: number;
  /** name/type -> times asked */
  names: [string, number][];
}

export interface ContainerDns {
  stop(): Promise<DnsCounts>;
}

const SERVE = join(REPO_ROOT, "bench", "dnsStubServe.ts");

export function startContainerDns(containerPid: number, host = "127.0.0.1", port = 53): Promise<ContainerDns> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn("nsenter", [`--net=/proc/${containerPid}/ns/net`, "--", process.execPath, "--import", "tsx", SERVE, host, String(port)], {
      cwd: REPO_ROOT,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let ready = false;
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (!ready && out.startsWith("ready\n")) {
        ready = true;
        resolve({ stop });
      }
    });
    child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    const exited = new Promise<number | null>((res) => child.on("close", (code) => res(code)));
    void exited.then((code) => {
      if (!ready) reject(new Error(`the DNS stand-in did not start in the namespace of pid ${containerPid} (exit ${code}): ${err.trim()}`));
    });
    async function stop(): Promise<DnsCounts> {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
      const last = out.trim().split("\n").pop() ?? "";
      try {
        return JSON.parse(last) as DnsCounts;
      } catch {
        return { queries: -1, names: [] };
      }
    }
  });
}
