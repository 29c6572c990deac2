// `tsx tools/ci/sshWindow.ts open|close <stack>`: lets a GitHub-hosted runner reach the mail
// server's SSH port for one workflow run, and only that runner. The stack's own firewall admits
// port 22 only from `mailstack:ssh.allowFrom`, and it stays that way: this adds a second Hetzner
// firewall, not managed by the stack (so previews stay empty), with one rule, TCP 22 from the
// runner's address /32, applied by label selector to the stack's server (the label the stack puts
// on it, so it also covers a server created during this very run). `close` removes and deletes it
// and runs with `if: always()`; each window is labelled with an expiry, and every open/close also
// deletes expired windows that a cancelled run left behind.
//
// Reads the Hetzner token from HCLOUD_TOKEN or, when unset, from the stack (`pulumi config get
// hcloud:token`, captured, never on a command line or in output). HCLOUD_ENDPOINT and
// MAILSTACK_RUNNER_IP override the API and the address lookup (tests, self-hosted networks).
import { spawnSync } from "node:child_process";
import { EXIT, UsageError, runCli, wantsHelp } from "../cliKit";

export const USAGE = `usage: tsx tools/ci/sshWindow.ts open|close <stack>
  open:  a temporary Hetzner firewall admitting only this machine's IPv4 to port 22 of the stack's server
  close: removes it again (run it whatever happened: if: always())
Env: HCLOUD_TOKEN (else read from the stack), MAILSTACK_RUNNER_IP (else looked up),
GITHUB_RUN_ID/GITHUB_RUN_ATTEMPT (name the window), HCLOUD_ENDPOINT (default the Hetzner API).
Exit codes: 0 done, 1 the Hetzner API refused, 2 bad usage or missing token/hostname.`;

const LABEL = "mailstack-ci";
/** A window outlives its run by at most this long when `close` never ran (cancelled job). */
const LIFETIME_SECONDS = 2 * 3600;

export interface WindowEnv {
  endpoint: string;
  token: string;
  /** `mail-host=<hostname with dashes>`: the label components/server.ts puts on the server. */
  selector: string;
  name: string;
  stack: string;
  runnerIp: () => Promise<string>;
  now: () => number;
  log: (line: string) => void;
  fetch: typeof fetch;
}

interface Firewall {
  id: number;
  name: string;
  labels: Record<string, string>;
}

async function api<T>(env: WindowEnv, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await env.fetch(`${env.endpoint}${path}`, {
    method,
    headers: { Authorization: `Bearer ${env.token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = (text === "" ? {} : JSON.parse(text)) as T;
  if (res.status >= 400 && res.status !== 404) {
    const err = (json as { error?: { code?: string; message?: string } }).error;
    throw new Error(`Hetzner API ${method} ${path}: ${res.status} ${err?.code ?? ""} ${err?.message ?? ""}`.trim());
  }
  return { status: res.status, json };
}

async function waitForActions(env: WindowEnv, actions: { id: number }[] | undefined): Promise<void> {
  for (const a of actions ?? []) {
    for (let i = 0; ; i++) {
      const { json } = await api<{ action: { status: string; error?: { message?: string } } }>(env, "GET", `/actions/${a.id}`);
      if (json.action.status === "success") break;
      if (json.action.status === "error") throw new Error(`Hetzner action ${a.id} failed: ${json.action.error?.message ?? "unknown"}`);
      if (i >= 60) throw new Error(`Hetzner action ${a.id} still running after 60 s`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Label values may not hold "=", so the window keeps the host label's value and rebuilds the selector. */
const HOST_LABEL = "mail-host";
const selectorOf = (fw: Firewall) => (fw.labels[`${LABEL}-host`] === undefined ? undefined : `${HOST_LABEL}=${fw.labels[`${LABEL}-host`]}`);

async function windows(env: WindowEnv): Promise<Firewall[]> {
  const { json } = await api<{ firewalls: Firewall[] }>(env, "GET", `/firewalls?label_selector=${encodeURIComponent(LABEL)}&per_page=50`);
  return json.firewalls ?? [];
}

async function remove(env: WindowEnv, fw: Firewall): Promise<void> {
  const detached = await api<{ actions?: { id: number }[] }>(env, "POST", `/firewalls/${fw.id}/actions/remove_from_resources`, {
    remove_from: [{ type: "label_selector", label_selector: { selector: selectorOf(fw) ?? env.selector } }],
  });
  if (detached.status !== 404) await waitForActions(env, detached.json.actions);
  // Deleting can race the detach for a moment (resource_in_use); try a few times.
  for (let i = 0; ; i++) {
    try {
      await api(env, "DELETE", `/firewalls/${fw.id}`);
      env.log(`sshWindow: removed ${fw.name}`);
      return;
    } catch (e) {
      if (i >= 5) throw e;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

/** Deletes windows whose expiry has passed: left by runs that were cancelled before `close`. */
async function sweep(env: WindowEnv): Promise<void> {
  const now = Math.floor(env.now() / 1000);
  for (const fw of await windows(env)) {
    if (Number(fw.labels[`${LABEL}-expires`] ?? "0") < now) await remove(env, fw);
  }
}

export async function openWindow(env: WindowEnv): Promise<void> {
  await sweep(env);
  const ip = (await env.runnerIp()).trim();
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) throw new UsageError(`the runner's address "${ip}" is not an IPv4 address`);
  const existing = (await windows(env)).find((f) => f.name === env.name);
  if (existing !== undefined) await remove(env, existing);
  const { json } = await api<{ firewall: Firewall; actions?: { id: number }[] }>(env, "POST", "/firewalls", {
    name: env.name,
    labels: {
      [LABEL]: "ssh-window",
      [`${LABEL}-stack`]: env.stack,
      [`${LABEL}-host`]: env.selector.slice(env.selector.indexOf("=") + 1),
      [`${LABEL}-expires`]: String(Math.floor(env.now() / 1000) + LIFETIME_SECONDS),
    },
    rules: [{ direction: "in", protocol: "tcp", port: "22", source_ips: [`${ip}/32`], description: "this CI run only; removed when the run ends" }],
    apply_to: [{ type: "label_selector", label_selector: { selector: env.selector } }],
  });
  await waitForActions(env, json.actions);
  env.log(`sshWindow: ${env.name} admits ${ip}/32 to port 22 of the servers labelled ${env.selector}`);
}

export async function closeWindow(env: WindowEnv): Promise<void> {
  const mine = (await windows(env)).filter((f) => f.name === env.name);
  for (const fw of mine) await remove(env, fw);
  if (mine.length === 0) env.log(`sshWindow: no window ${env.name} to remove`);
  await sweep(env);
}

function pulumiConfigGet(stack: string, key: string): string | undefined {
  const r = spawnSync("pulumi", ["config", "get", key, "--stack", stack], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const [op, stack, ...extra] = argv;
  if ((op !== "open" && op !== "close") || stack === undefined || extra.length > 0) throw new UsageError(USAGE);
  const short = stack.slice(stack.lastIndexOf("/") + 1);
  const token = process.env.HCLOUD_TOKEN || pulumiConfigGet(stack, "hcloud:token");
  if (!token) throw new UsageError(`no Hetzner token: set HCLOUD_TOKEN or the stack secret hcloud:token of ${stack}`);
  const hostname = pulumiConfigGet(stack, "mailstack:hostname");
  if (!hostname) throw new UsageError(`cannot read mailstack:hostname of ${stack} (pulumi config get)`);
  const env: WindowEnv = {
    endpoint: process.env.HCLOUD_ENDPOINT || "https://api.hetzner.cloud/v1",
    token,
    selector: `${HOST_LABEL}=${hostname.replace(/\./g, "-")}`,
    name: `mailstack-ci-${short}-${process.env.GITHUB_RUN_ID ?? "manual"}-${process.env.GITHUB_RUN_ATTEMPT ?? "1"}`,
    stack: short,
    runnerIp: async () => process.env.MAILSTACK_RUNNER_IP || (await (await fetch("https://api.ipify.org")).text()),
    now: Date.now,
    log: (l) => process.stdout.write(`${l}\n`),
    fetch,
  };
  await (op === "open" ? openWindow(env) : closeWindow(env));
  return EXIT.ok;
}

if (require.main === module) runCli("sshWindow", () => main(process.argv.slice(2)));
