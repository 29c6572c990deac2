// The internet, for the tests (not a test file). Owns the SOCKS5 proxies that run inside the
// stack's "outside" network namespace (endpoints.json `remote`): one per source address
// (outsideProxy.mjs), so a client on this host can open a connection that leaves from any of
// those addresses and reaches the stack's ports on `remote.address`, as an MTA, an attacker or a
// remote mail client on the internet would. The containers see each source address as itself
// (a client on 127.0.0.1 is seen as the engine's gateway). Start it in a file's beforeAll and
// stop it in its afterAll; it knows nothing about mail.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { LocalStack } from "./stack";

/** Where the proxies listen inside the namespace (each instance has a namespace of its own). */
const BASE_PORT = 1080;
const PROXY_SCRIPT = join(__dirname, "outsideProxy.mjs");

/** A client on the internet: its address as the stack sees it, and the proxy that gives it. */
export interface OutsideClient {
  address: string;
  /** socks5://… for nodemailer's and imapflow's `proxy` option. */
  proxy: string;
  proxyHost: string;
  proxyPort: number;
}

export interface Outside {
  stack: LocalStack;
  /** Every client address in the namespace; `client(i)` connects from `sources[i]`. */
  sources: readonly string[];
  client: (i?: number) => OutsideClient;
  stop: () => Promise<void>;
}

export async function startOutside(stack: LocalStack): Promise<Outside> {
  const { netns, sources } = stack.ep.remote;
  if (sources.length === 0) throw new Error("endpoints.json names no outside source address");
  const child: ChildProcess = spawn("ip", ["netns", "exec", netns, process.execPath, PROXY_SCRIPT, String(BASE_PORT), ...sources], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the outside proxies in ${netns} did not start within 30 s:\n${output}`)), 30_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(e);
    };
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
      if (/^ready$/m.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    child.once("error", fail);
    // A proxy port still held by an earlier run's proxy, or a namespace that is gone.
    child.once("exit", (code) => fail(new Error(`the outside proxies in ${netns} exited (${code}) before they were ready:\n${output}`)));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const client = (i = 0): OutsideClient => {
    if (i < 0 || i >= sources.length) throw new Error(`the outside has ${sources.length} source addresses, not ${i + 1}`);
    return { address: sources[i], proxy: `socks5://${sources[0]}:${BASE_PORT + i}`, proxyHost: sources[0], proxyPort: BASE_PORT + i };
  };
  return {
    stack,
    sources,
    client,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
