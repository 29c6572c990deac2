// The temporary SSH window for CI runners, against a stand-in Hetzner API: it admits exactly the
// runner's /32 on port 22 of the stack's server (by its label), is removed again on close, cleans
// up windows that cancelled runs left behind, and never prints the token.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { closeWindow, openWindow, type WindowEnv } from "../../tools/ci/sshWindow";
import { fakePulumi } from "./fakePulumi";

interface Fw { id: number; name: string; labels: Record<string, string>; rules: unknown[]; applied: string[] }
const TOKEN = "hcloud-token-0123456789";
let server: Server;
let endpoint: string;
const state = { firewalls: [] as Fw[], nextId: 1, auth: new Set<string>(), calls: [] as string[] };

const body = (req: IncomingMessage) => new Promise<string>((r) => { let b = ""; req.on("data", (c) => (b += c)); req.on("end", () => r(b)); });

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    state.auth.add(req.headers.authorization ?? "");
    state.calls.push(`${req.method} ${url.pathname}`);
    const send = (status: number, json: unknown) => { res.writeHead(status, { "content-type": "application/json" }); res.end(JSON.stringify(json)); };
    const m = /^\/firewalls\/(\d+)(\/actions\/remove_from_resources)?$/.exec(url.pathname);
    if (req.method === "GET" && url.pathname === "/firewalls") {
      const key = url.searchParams.get("label_selector");
      return send(200, { firewalls: state.firewalls.filter((f) => key === null || key in f.labels) });
    }
    if (req.method === "POST" && url.pathname === "/firewalls") {
      const b = JSON.parse(await body(req)) as { name: string; labels: Record<string, string>; rules: unknown[]; apply_to: { label_selector: { selector: string } }[] };
      for (const v of Object.values(b.labels)) if (!/^[A-Za-z0-9_.-]{0,63}$/.test(v)) return send(422, { error: { code: "invalid_input", message: `label value ${v}` } });
      const fw: Fw = { id: state.nextId++, name: b.name, labels: b.labels, rules: b.rules, applied: b.apply_to.map((a) => a.label_selector.selector) };
      state.firewalls.push(fw);
      return send(201, { firewall: fw, actions: [{ id: 900 }] });
    }
    if (req.method === "GET" && url.pathname.startsWith("/actions/")) return send(200, { action: { status: "success" } });
    if (m !== null) {
      const fw = state.firewalls.find((f) => f.id === Number(m[1]));
      if (fw === undefined) return send(404, { error: { code: "not_found" } });
      if (m[2] !== undefined) { fw.applied = []; return send(201, { actions: [{ id: 901 }] }); }
      if (req.method === "DELETE") {
        if (fw.applied.length > 0) return send(409, { error: { code: "resource_in_use", message: "still applied" } });
        state.firewalls = state.firewalls.filter((f) => f !== fw);
        return send(204, "");
      }
    }
    send(404, { error: { code: "not_found" } });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
});

const logs: string[] = [];
const env = (over: Partial<WindowEnv> = {}): WindowEnv => ({
  endpoint, token: TOKEN, selector: "mail-host=mail-example-com", name: "mailstack-ci-acme-42-1", stack: "acme",
  runnerIp: async () => "198.51.100.23", now: () => 1_800_000_000_000, log: (l) => logs.push(l), fetch, ...over,
});

describe("CI SSH window", () => {
  it("open: one firewall, TCP 22 from the runner's /32 only, applied to the stack's server by label", async () => {
    await openWindow(env());
    assert.equal(state.firewalls.length, 1);
    const fw = state.firewalls[0];
    assert.deepEqual(fw.rules, [{ direction: "in", protocol: "tcp", port: "22", source_ips: ["198.51.100.23/32"], description: "this CI run only; removed when the run ends" }]);
    assert.deepEqual(fw.applied, ["mail-host=mail-example-com"]);
    assert.deepEqual(state.auth, new Set([`Bearer ${TOKEN}`]));
  });

  it("close: detaches and deletes it; closing again is harmless", async () => {
    await closeWindow(env());
    assert.deepEqual(state.firewalls, []);
    await closeWindow(env());
    assert.match(logs.at(-1) ?? "", /no window mailstack-ci-acme-42-1 to remove/);
  });

  it("removes windows a cancelled run left behind once they expire, and only those", async () => {
    await openWindow(env({ name: "mailstack-ci-acme-1-1", now: () => 1_000_000_000_000 }));
    await openWindow(env({ name: "mailstack-ci-beta-7-1", selector: "mail-host=mail-beta-example" }));
    await openWindow(env());
    assert.deepEqual(state.firewalls.map((f) => f.name).sort(), ["mailstack-ci-acme-42-1", "mailstack-ci-beta-7-1"]);
    await closeWindow(env());
    assert.deepEqual(state.firewalls.map((f) => f.name), ["mailstack-ci-beta-7-1"], "another run's live window stays");
  });

  it("refuses a runner address that is not IPv4, creating nothing", async () => {
    const before = state.firewalls.length;
    await assert.rejects(openWindow(env({ name: "x", runnerIp: async () => "<html>rate limited</html>" })), /not an IPv4 address/);
    assert.equal(state.firewalls.length, before);
  });

  it("the CLI reads the token from the stack, never prints it, and exits 2 without one", async () => {
    const fake = fakePulumi([
      { when: ["config", "get", "hcloud:token"], stdout: `${TOKEN}\n` },
      { when: ["config", "get", "mailstack:hostname"], stdout: "mail.example.com\n" },
    ]);
    // Asynchronous: the stand-in API answers from this very process.
    const run = (args: string[], e: NodeJS.ProcessEnv) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, ["--import", "tsx", join(__dirname, "..", "..", "tools", "ci", "sshWindow.ts"), ...args], { env: e, encoding: "utf8" }, (err, stdout, stderr) =>
          resolve({ status: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stdout, stderr }),
        );
      });
    const ci = { ...fake.env, HCLOUD_ENDPOINT: endpoint, MAILSTACK_RUNNER_IP: "198.51.100.99", GITHUB_RUN_ID: "77", GITHUB_RUN_ATTEMPT: "2", HCLOUD_TOKEN: "" };
    const opened = await run(["open", "ops/acme"], ci);
    assert.equal(opened.status, 0, opened.stderr);
    assert.match(opened.stdout, /mailstack-ci-acme-77-2 admits 198\.51\.100\.99\/32/);
    assert.ok(!(opened.stdout + opened.stderr).includes(TOKEN));
    assert.equal((await run(["close", "ops/acme"], ci)).status, 0);
    assert.ok(!state.firewalls.some((f) => f.name === "mailstack-ci-acme-77-2"));
    const noToken = await run(["open", "acme"], { ...fakePulumi([{ when: ["config", "get"], code: 255, stderr: "error: missing\n" }]).env, HCLOUD_TOKEN: "" });
    assert.equal(noToken.status, 2);
    assert.match(noToken.stderr, /no Hetzner token/);
  });
});
