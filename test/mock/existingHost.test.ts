// The example customer on an existing Docker host (mailstack:host) under the mock engine: no
// Hetzner resource and, with a zone file, no Cloudflare one; every host step is a HostCommand
// (the dynamic resource that runs on this machine) with the VM's step names; the Docker provider
// names the host's engine; containers are written for either engine (qualified image names, the
// engine's log driver); every secret stays secret; the zone file and the hook's command are
// outputs. test/engine/existingHost.test.ts deploys the same shape for real.
import assert from "node:assert/strict";
import { beforeAll, describe, it } from "@jest/globals";
import { evaluate, unmarkedSecrets, type Evaluation } from "./harness/types";
import { prodConfig, request } from "./fixtures";
import { NETWORK_NAMES, SERVICES } from "../../components/core/topology";

const HOST = { docker: "unix:///var/run/docker.sock", dataDir: "/srv/mail", ipv4: "203.0.113.10", dns: "zoneFile" };
const HOST_COMMAND = "pulumi-nodejs:dynamic/mailstack:HostCommand";
/** The example customer configures no backup: every other service runs. */
const RUNNING = SERVICES.filter((s) => s !== "backup");

let ev: Evaluation;

function existingHostConfig(): Record<string, unknown> {
  const { server: _server, ssh: _ssh, ...cfg } = prodConfig();
  return { ...cfg, host: HOST };
}

describe("the example customer on an existing Docker host", () => {
  beforeAll(() => {
    ev = evaluate(request(existingHostConfig()));
    assert.ok(ev.ok, ev.error);
  });

  it("creates nothing at Hetzner or Cloudflare and no @pulumi/command resource", () => {
    const foreign = ev.resources.filter((r) => /^(hcloud|cloudflare|command):/.test(r.type) || /^pulumi:providers:(hcloud|cloudflare|command)$/.test(r.type));
    assert.deepEqual(foreign.map((r) => `${r.type} ${r.name}`), []);
  });

  it("runs the VM's host steps as HostCommands on this machine, with DOCKER_HOST set to the host's engine", () => {
    const steps = ev.resources.filter((r) => r.type === HOST_COMMAND);
    const names = steps.map((r) => r.name).sort();
    assert.deepEqual(
      names.filter((n) => !n.startsWith("build-image-") && !n.startsWith("push-config-")),
      ["install-cert-sync", "mailbox-sync", "prepare-volume"],
    );
    // No container-guard and no ipv6-egress: those are the VM's own nftables rules and units.
    assert.deepEqual(names.filter((n) => n.startsWith("push-config-")), RUNNING.map((s) => `push-config-${s}`));
    for (const s of steps) assert.deepEqual(s.inputs.environment, { DOCKER_HOST: HOST.docker }, s.name);
    // Rendered files and SQL travel on stdin only, always as a secret.
    for (const s of steps.filter((r) => r.inputs.stdin !== undefined)) assert.ok(s.secretInputs.includes("stdin"), s.name);
    const hook = steps.find((r) => r.name === "install-cert-sync")!;
    assert.match(String(hook.inputs.stdin), /mv -f '\/srv\/mail\/bin\/sync-certs\.sh\.tmp' '\/srv\/mail\/bin\/sync-certs\.sh'/);
    assert.doesNotMatch(String(hook.inputs.stdin), /systemctl/);
  });

  it("talks to the host's engine and writes containers either engine reads back unchanged", () => {
    const provider = ev.resources.find((r) => r.type === "pulumi:providers:docker");
    assert.equal(provider?.name, "host-docker");
    assert.equal(provider?.inputs.host, HOST.docker);
    const containers = ev.resources.filter((r) => r.type === "docker:index/container:Container");
    assert.deepEqual(containers.map((c) => c.name).sort(), [...RUNNING].sort());
    for (const c of containers) {
      assert.match(String(c.inputs.image), /^docker\.io\/mailstack\/[a-z0-9]+:[0-9a-f]{12}$/, c.name);
      assert.equal(c.inputs.logDriver, undefined, c.name);
    }
    const networks = ev.resources.filter((r) => r.type === "docker:index/network:Network");
    assert.deepEqual(networks.map((n) => n.name).sort(), NETWORK_NAMES.map((n) => `${n}-network`).sort());
    for (const network of networks) {
      assert.equal(network.inputs.ipv6, false, network.name);
      assert.deepEqual(network.options.ignoreChanges, ["ipamOptions"], network.name);
    }
  });

  it("keeps every secret marked and gives the zone file and the hook's command as outputs", () => {
    assert.deepEqual(unmarkedSecrets(ev), []);
    // An undefined export is no output at all with the real engine (measured); the harness lists it empty.
    assert.equal(ev.outputs.deployPrivateKey?.value, undefined);
    assert.equal(ev.outputs.ipv4?.value, HOST.ipv4);
    const zone = String(ev.outputs.zoneFile?.value);
    assert.match(zone, /^\$ORIGIN example\.com\.$/m);
    assert.match(zone, /^mail\s+3600 IN A\s+203\.0\.113\.10$/m);
    assert.match(zone, /nothing writes these records anywhere/);
    assert.doesNotMatch(zone, / IN AAAA /);
    assert.match(String(ev.outputs.certHookCommand?.value), /^DOCKER_HOST=unix:\/\/\/var\/run\/docker\.sock CERTIFICATES='mail=mail\.example\.com.*bash \/srv\/mail\/bin\/sync-certs\.sh$/);
  });
});
