// How `pulumi up` gets SSH access in one pass: the Docker provider uses a key file and a
// known_hosts file that a local command writes from Pulumi state before any Docker step, with the
// key on stdin only; and root's authorized_keys on the VM follows mailstack:ssh.adminKeys.
// The local command's script is run for real here, in a temp folder, as the command provider would.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { evaluate, MOCK_SECRET_MARKER, type Evaluation, type RegisteredResource } from "./harness/types";
import { prodConfig, request } from "./fixtures";

let ev: Evaluation;
const one = (type: string, name: string): RegisteredResource => {
  const r = ev.resources.find((x) => x.type === type && x.name === name);
  assert.ok(r, `no ${type} named ${name}`);
  return r;
};
const provider = () => one("pulumi:providers:docker", "vm-docker");
const writer = () => one("command:local:Command", "write-ssh-access");
/** Provider config arrives JSON-encoded, as the engine stores it. */
const sshOpts = (): string[] => JSON.parse(String(provider().inputs.sshOpts)) as string[];
const optionValue = (opts: string[], name: string) =>
  opts.flatMap((o, i) => (opts[i - 1] === "-o" && o.startsWith(`${name}=`) ? [o.slice(name.length + 1)] : []));

/** Runs a command's script like command.local.Command does: /bin/sh -c in the project folder. */
function runLocal(script: string, cwd: string, stdin = "") {
  const r = spawnSync("/bin/sh", ["-c", script], { cwd, input: stdin, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
}

describe("SSH access for pulumi up", () => {
  let project: string;
  beforeAll(() => {
    ev = evaluate(request(prodConfig()));
    assert.ok(ev.ok, ev.error);
    project = mkdtempSync(join(tmpdir(), "mailstack-ssh-"));
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it("points the Docker provider at a per-stack key and known_hosts file, strictly", () => {
    const opts = sshOpts();
    assert.equal(opts[opts.indexOf("-i") + 1], ".pulumi-ssh/prod/deploy_key");
    assert.deepEqual(optionValue(opts, "UserKnownHostsFile"), [".pulumi-ssh/prod/known_hosts"]);
    assert.deepEqual(optionValue(opts, "StrictHostKeyChecking"), ["yes"]);
    assert.deepEqual(optionValue(opts, "IdentitiesOnly"), ["yes"]);
    assert.equal(provider().inputs.host, "ssh://root@203.0.113.10");
  });

  it("configures the Docker provider only after the files are written and cloud-init is done", () => {
    const deps = provider().options.dependencies;
    assert.ok(deps.includes("write-ssh-access"), deps.join(", "));
    assert.ok(deps.includes("cloud-init-done"), deps.join(", "));
  });

  it("writes the deploy key (mode 0600) and the pinned host key where the provider looks", () => {
    const w = writer();
    runLocal(String(w.inputs.create), project, String(w.inputs.stdin));
    const opts = sshOpts();
    const keyFile = join(project, opts[opts.indexOf("-i") + 1]);
    const knownHosts = join(project, optionValue(opts, "UserKnownHostsFile")[0]);
    // Exactly the deploy key from state, unreadable to anyone but the owner (ssh refuses it otherwise).
    assert.equal(readFileSync(keyFile, "utf8"), ev.outputs.deployPrivateKey.value);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(project, ".pulumi-ssh/prod")).mode & 0o777, 0o700);
    // The host key every remote command pins, for the address the provider dials.
    const pinned = (one("command:remote:Command", "cloud-init-done").inputs.connection as { hostKey: string }).hostKey;
    assert.equal(readFileSync(knownHosts, "utf8"), `203.0.113.10 ${pinned}\n`);
    assert.equal(ev.outputs.sshKnownHosts.value, `203.0.113.10 ${pinned}`);
    // Running it again (a changed key or address) replaces the files in place.
    runLocal(String(w.inputs.create), project, "second key\n");
    assert.equal(readFileSync(keyFile, "utf8"), "second key\n");
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    runLocal(String(w.inputs.delete), project);
    assert.equal(existsSync(join(project, ".pulumi-ssh/prod")), false, "destroy removes the stack's folder");
  });

  it("passes the private key only on stdin, secret in state and out of the logs", () => {
    const w = writer();
    assert.ok(String(w.inputs.stdin).includes(MOCK_SECRET_MARKER), "the key travels on stdin");
    assert.ok(w.secretInputs.includes("stdin"));
    assert.deepEqual(["stderr", "stdin", "stdout"].filter((o) => w.options.additionalSecretOutputs.includes(o)), ["stderr", "stdin", "stdout"]);
    assert.equal(w.inputs.logging, "none");
  });

  it("puts no secret on any command line or in the provider's configuration", () => {
    const commands = ev.resources.filter((r) => r.type.startsWith("command:"));
    assert.ok(commands.length > 10);
    for (const c of commands) {
      for (const field of ["create", "update", "delete", "interpreter", "environment"]) {
        assert.doesNotMatch(JSON.stringify(c.inputs[field] ?? ""), new RegExp(MOCK_SECRET_MARKER), `${c.name} ${field}`);
      }
    }
    assert.doesNotMatch(JSON.stringify(provider().inputs), new RegExp(MOCK_SECRET_MARKER));
  });

  it("writes root's authorized_keys from the deploy key and every admin key, atomically", () => {
    const c = one("command:remote:Command", "authorized-keys");
    const script = String(c.inputs.stdin);
    const deployPublic = one("hcloud:index/sshKey:SshKey", "deploy-key").inputs.publicKey as string;
    const start = "<<'MAILSTACK_KEYS'\n";
    const body = script.slice(script.indexOf(start) + start.length, script.indexOf("\nMAILSTACK_KEYS\n")).split("\n");
    assert.deepEqual(body, [deployPublic.trim(), ...(prodConfig().ssh as { adminKeys: string[] }).adminKeys]);
    // Written beside the file, then renamed over it: sshd never reads a partial key list.
    assert.match(script, /chmod 0600 '\/root\/\.ssh\/authorized_keys\.mailstack-tmp'\nmv -f '\/root\/\.ssh\/authorized_keys\.mailstack-tmp' '\/root\/\.ssh\/authorized_keys'\n$/);
    assert.ok(c.options.dependencies.includes("cloud-init-done"), "runs after cloud-init wrote its own keys");
  });
});
