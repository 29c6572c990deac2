// Level 2 of the real engine: the mail stack deployed onto an existing Docker host (this
// machine's engine: podman at unix:///run/mailstack/podman.sock here, see guard.ts) with the real Pulumi CLI and the docker,
// random and tls provider plugins built here, the program run inline (tools/engine/inlineStack.ts:
// no Node.js language host), host steps as HostCommand. Ports and names are those of local stack
// instance 3 (127.0.0.1:40025 ..., mailstack3-*), data under a scratch folder. In order:
//  0. `preview --policy-pack policy` plans every resource and the pack finds nothing to stop;
//  1. `up` creates everything and the stack works: mail from outside is delivered, IMAPS login
//     with the generated password, submission signs with DKIM, the web front serves Roundcube;
//  2. a second `up` changes nothing: the providers' real read-back equals what the program sends;
//  3. a change to the MTA-STS policy replaces the push and container of the services whose files
//     it changes (nginx's policy file, Unbound's local copy of the _mta-sts record) and nothing
//     else, and the other containers keep running (same container ids);
//  4. `destroy` removes every container and every network and leaves the data folders and the mail.
// Each operation runs in a child process (the Pulumi runtime is process-wide state). Slow: about
// 2-4 minutes; `npm run test:engine` runs it, `npm test` does not.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe } from "@jest/globals";
import Docker from "dockerode";
import { REPO_ROOT } from "../../components/core/paths";
import { activeServices, NETWORK_NAMES } from "../../components/core/topology";
import { testInstanceTopology } from "../../tools/engine/inlineStack";
import { ENGINE_SOCKET, hostIt, scratchDir } from "./guard";
import { eventually, sendFromOutside, submit, uniqueId, waitForMessage, webmailPage, type DeployedStack } from "./mailChecks";

const INSTANCE = 3;
const STACK = "existing-host";
const PREFIX = `mailstack${INSTANCE}-`;
const TEMPLATE = join(REPO_ROOT, "test", "engine", "Pulumi.existing-host.yaml");
const TEN_MINUTES = 600_000;

interface OpResult {
  changes: Record<string, number>;
  output: string;
}

let scratch = "";
let stackFile = "";
let dataDir = "";
let deployed = false;

/** One inlineStack operation in a child process; fails with the CLI's own output. */
function op(operation: "up" | "preview" | "destroy" | "outputs", extra: string[] = []): Promise<OpResult> {
  // Every preview and up runs the policy pack, as the README asks of every deployment.
  if (operation === "up" || operation === "preview") extra = [...extra, "--policy-pack", join(REPO_ROOT, "policy")];
  const args = ["tools/engine/inlineStack.ts", operation, "--stack", STACK, "--stack-file", stackFile, "--state", join(scratch, "state"), "--test-instance", String(INSTANCE), ...extra];
  const child = spawn(join(REPO_ROOT, "node_modules", ".bin", "tsx"), args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      const line = output.split("\n").reverse().find((l) => l.startsWith("engine-summary: "));
      if (code !== 0 || line === undefined) return reject(new Error(`inlineStack ${operation} exited with ${code}:\n${failureReport(output)}`));
      resolve({ changes: (JSON.parse(line.slice("engine-summary: ".length)) as { changes: Record<string, number> }).changes, output });
    });
  });
}

/**
 * A failed operation's output for the test's message: every error the CLI reported (a failed
 * resource's error is printed where it happened, often long before the end of a `--diff` output),
 * then the end of the output.
 */
function failureReport(output: string, tail = 6000): string {
  const lines = output.split("\n");
  const errors: string[] = [];
  lines.forEach((l, i) => {
    if (!/^\s*error:/.test(l)) return;
    errors.push(l);
    // "error: 1 error occurred:" lists the errors on the indented lines after it.
    for (const next of lines.slice(i + 1)) {
      if (!/^\s+\S/.test(next) || /^\s*error:/.test(next)) break;
      errors.push(next);
    }
  });
  const end = output.length > tail ? `... ${output.slice(-tail)}` : output;
  return errors.length > 0 ? `errors reported:\n${errors.join("\n")}\n\nthe end of the output:\n${end}` : end;
}

/** Names of the resources an `up --diff` output shows as replaced. */
function replacedNames(output: string): string[] {
  const lines = output.split("\n");
  const names = new Set<string>();
  lines.forEach((l, i) => {
    if (!/\((replace|create-replacement|delete-replaced)\)/.test(l)) return;
    for (const next of lines.slice(i + 1, i + 4)) {
      const m = /\[urn=urn:pulumi:[^\]]*::([^:\]]+)\]/.exec(next);
      if (m) {
        names.add(m[1]);
        break;
      }
    }
  });
  return [...names].sort();
}

const docker = new Docker({ socketPath: ENGINE_SOCKET });

/** unbound-control in the deployed stack's resolver container; fails with its output. */
async function unboundControl(args: string[]): Promise<void> {
  const exec = await docker.getContainer(`${PREFIX}unbound`).exec({ Cmd: ["unbound-control", "-c", "/config/unbound.conf", ...args], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  let out = "";
  stream.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve) => stream.on("end", () => resolve()));
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) throw new Error(`unbound-control ${args.join(" ")} exited ${ExitCode}: ${out}`);
}

async function ourContainers(): Promise<Map<string, string>> {
  const list = await docker.listContainers({ all: true });
  return new Map(list.flatMap((c) => c.Names.map((n) => n.replace(/^\//, ""))).filter((n) => n.startsWith(PREFIX)).map((n) => [n, list.find((c) => c.Names.includes(`/${n}`))!.Id]));
}

function deployedStack(outputsFile: string): DeployedStack {
  const out = JSON.parse(readFileSync(outputsFile, "utf8")) as { mailHost: string; mailboxPasswords: Record<string, string> };
  return {
    ports: testInstanceTopology(INSTANCE).ports,
    mailHost: out.mailHost,
    password: (a) => {
      const p = out.mailboxPasswords[a];
      if (p === undefined) throw new Error(`no generated password for ${a}`);
      return p;
    },
  };
}

describe("the mail stack on an existing Docker host, with the real Pulumi engine and providers", () => {
  let created = 0;
  let planned = 0;

  beforeAll(async () => {
    scratch = scratchDir();
    dataDir = join(scratch, "data");
    stackFile = join(scratch, `Pulumi.${STACK}.yaml`);
    writeFileSync(
      stackFile,
      readFileSync(TEMPLATE, "utf8")
        .replace("dataDir: /srv/mailstack-existing-host-test", `dataDir: ${dataDir}`)
        .replace("docker: unix:///run/mailstack/podman.sock", `docker: unix://${ENGINE_SOCKET}`),
    );
    if (!existsSync(ENGINE_SOCKET)) return; // the tests below are skipped
    const taken = [...(await ourContainers()).keys()];
    if (taken.length > 0) {
      throw new Error(`local stack instance ${INSTANCE}'s names are taken (${taken.join(", ")}): MAILSTACK_INSTANCE=${INSTANCE} npm run local -- down`);
    }
    // Networks too: the engine refuses a network whose name or subnet another network has (an
    // earlier version's single mailstack<n>-local network had the subnet the mail network has now).
    const subnets = new Set(NETWORK_NAMES.map((n) => testInstanceTopology(INSTANCE).networks[n].ipv4Subnet));
    const clashing = (await docker.listNetworks())
      .filter((n) => n.Name.startsWith(PREFIX) || (n.IPAM?.Config ?? []).some((c) => c.Subnet !== undefined && subnets.has(c.Subnet)))
      .map((n) => `${n.Name} (${(n.IPAM?.Config ?? []).map((c) => c.Subnet).join(", ")})`);
    if (clashing.length > 0) {
      throw new Error(`local stack instance ${INSTANCE}'s networks or subnets are taken (${clashing.join("; ")}): MAILSTACK_INSTANCE=${INSTANCE} npm run local -- down`);
    }
  });

  afterAll(async () => {
    // A failed step leaves the deployment up: take it down, keep nothing.
    if (deployed) await op("destroy").catch((e: unknown) => console.error(`cleanup destroy failed: ${String(e)}`));
    if (dataDir !== "") rmSync(dataDir, { recursive: true, force: true });
  }, TEN_MINUTES);

  hostIt(
    "a preview with the policy pack plans every resource and the pack stops nothing",
    async () => {
      const preview = await op("preview");
      assert.deepEqual(Object.keys(preview.changes), ["create"], JSON.stringify(preview.changes));
      planned = preview.changes.create;
      assert.match(preview.output, /Policy Packs run:\s+Name\s+Version\s+mailstack-guards\|local\|\S+\s+0\.1\.0/);
      assert.doesNotMatch(preview.output, /mandatory|advisory/);
    },
    TEN_MINUTES,
  );

  hostIt(
    "up creates the stack and it delivers, authenticates, signs and serves webmail",
    async () => {
      const up = await op("up");
      deployed = true;
      assert.deepEqual(Object.keys(up.changes), ["create"], `a first up only creates: ${JSON.stringify(up.changes)}`);
      created = up.changes.create;
      assert.equal(created, planned, "up creates what the preview planned");
      const names = [...(await ourContainers()).keys()].sort();
      // The stack file configures no backup: every other service runs.
      assert.deepEqual(names, activeServices({}).map((s) => PREFIX + s).sort());
      const networks = (await docker.listNetworks()).map((n) => n.Name).filter((n) => n.startsWith(PREFIX));
      assert.deepEqual(networks.sort(), NETWORK_NAMES.map((n) => testInstanceTopology(INSTANCE).networks[n].name).sort());

      const outputsFile = join(scratch, "outputs.json");
      await op("outputs", ["--outputs-file", outputsFile]);
      const stack = deployedStack(outputsFile);
      const inbound = uniqueId("inbound");
      // A client on 127.0.0.1 reaches Postfix from the mail network's gateway (the engine's
      // port forwarding), which remote.example's SPF does not list: its mail would fail SPF and
      // go to Junk. So the sender is a domain of the test zone whose SPF lists that network,
      // published in the stack's own resolver as the e2e suite does (test/e2e/helpers/policy.ts).
      const mailNet = testInstanceTopology(INSTANCE).networks.mail.ipv4Subnet;
      for (const rr of [`engine-sender.example. 300 IN TXT "v=spf1 ip4:${mailNet} -all"`, "engine-sender.example. 300 IN MX 10 mx.engine-sender.example.", "mx.engine-sender.example. 300 IN A 192.0.2.25"]) {
        await unboundControl(["local_data", rr]);
      }
      await unboundControl(["flush_zone", "example."]);
      await eventually("delivery on port 25", 180_000, () => sendFromOutside(stack, "alice@demo.test", inbound, "engine-sender.example"));
      await waitForMessage(stack, "alice@demo.test", inbound);
      const submitted = uniqueId("submitted");
      await eventually("submission on 587", 120_000, () => submit(stack, "bob@demo.test", "alice@demo.test", submitted));
      const source = await waitForMessage(stack, "alice@demo.test", submitted);
      assert.match(source, /^DKIM-Signature:[^]*?\bd=demo\.test;[^]*?\bs=host;/m, "Rspamd signs submitted mail with the stack's DKIM key");
      const page = await eventually("the webmail page", 120_000, async () => {
        const p = await webmailPage(stack);
        if (p.status !== 200) throw new Error(`HTTP ${p.status}`);
        return p;
      });
      assert.match(page.body, /roundcube/i);
    },
    TEN_MINUTES,
  );

  hostIt(
    "a second up changes nothing",
    async () => {
      assert.ok(created > 0, "the first up did not run");
      const again = await op("up");
      assert.deepEqual(again.changes, { same: created }, `the real read-back differs from the inputs:\n${again.output.slice(-8000)}`);
    },
    TEN_MINUTES,
  );

  hostIt(
    "a change to the MTA-STS policy replaces only the pushes and containers whose files it changes",
    async () => {
      assert.ok(created > 0, "the first up did not run");
      const before = await ourContainers();
      writeFileSync(stackFile, readFileSync(stackFile, "utf8").replace("maxAgeDays: 7", "maxAgeDays: 14"));
      const up = await op("up");
      // nginx serves the policy; the test instance's Unbound (the local topology's resolver, which
      // answers from the stack's own records) serves the _mta-sts TXT record whose id changes with it.
      assert.deepEqual(replacedNames(up.output), ["nginx", "push-config-nginx", "push-config-unbound", "unbound"]);
      assert.deepEqual(up.changes, { replace: 4, same: created - 4 });
      const after = await ourContainers();
      for (const [name, id] of before) {
        if (name === `${PREFIX}nginx` || name === `${PREFIX}unbound`) assert.notEqual(after.get(name), id, `${name} is a new container`);
        else assert.equal(after.get(name), id, `${name} kept running`);
      }
    },
    TEN_MINUTES,
  );

  hostIt(
    "destroy removes the containers and the networks and keeps the data folders",
    async () => {
      assert.ok(created > 0, "the first up did not run");
      const down = await op("destroy");
      deployed = false;
      assert.deepEqual(down.changes, { delete: created });
      assert.deepEqual([...(await ourContainers()).keys()], []);
      const networks = await docker.listNetworks();
      assert.deepEqual(networks.filter((n) => n.Name.startsWith(PREFIX)).map((n) => n.Name), []);
      const cur = join(dataDir, "vmail", "demo.test", "alice", "Maildir", "cur");
      assert.ok(existsSync(cur) && readdirSync(cur).length >= 2, `alice's delivered mail is still in ${cur}`);
      assert.ok(existsSync(join(dataDir, "postgres", "PG_VERSION")), "the PostgreSQL data folder is still there");
      for (const d of ["config", "tls", "rspamd", "valkey", "letsencrypt"]) assert.ok(existsSync(join(dataDir, d)), `${d} is still there`);
    },
    TEN_MINUTES,
  );
});
