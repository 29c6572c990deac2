// The stack as the providers really behave (test/mock/harness/readBack/): after a first `up`,
// a second run plans nothing; a first preview works with unknown addresses and keys; replacing
// the server re-runs every step on the VM and recreates every container without touching the
// volume, the addresses or DNS; and a change to one service's files touches only that service.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, it } from "@jest/globals";
import { parse } from "yaml";
import { evaluate, key, priorState, type Evaluation, type RegisteredResource } from "./harness/types";
import { UNKNOWN } from "./harness/readBack";
import { prodConfig, request, twentyDomainConfig } from "./fixtures";

const SERVER = "hcloud:index/server:Server::mail-host";
const not = (op: string) => (r: RegisteredResource) => r.custom && r.plan.op !== op;
const describePlan = (rs: RegisteredResource[]) => rs.map((r) => `${key(r)}: ${r.plan.op} [${r.plan.changes.join(", ")}]`);
const ofType = (ev: Evaluation, type: string) => ev.resources.filter((r) => r.type === type);
const one = (ev: Evaluation, k: string) => {
  const r = ev.resources.find((x) => key(x) === k);
  assert.ok(r, `no ${k}`);
  return r;
};
const ok = (ev: Evaluation) => {
  assert.ok(ev.ok, ev.error);
  return ev;
};
// One first `up` per customer, shared: every evaluation is a process of its own (seconds each).
const deployedOnce = new Map<() => Record<string, unknown>, Evaluation>();
const deployedStack = (config: () => Record<string, unknown>) => {
  if (!deployedOnce.has(config)) deployedOnce.set(config, ok(evaluate(request(config()))));
  return deployedOnce.get(config)!;
};

for (const [customer, config] of [
  ["the example customer", prodConfig],
  ["a 20-domain customer", twentyDomainConfig],
] as const) {
  describe(`${customer}, deployed once`, () => {
    let first: Evaluation;
    beforeAll(() => {
      first = deployedStack(config);
    });

    it("plans no change at all on the next run: no update, no replace, no provider warning", () => {
      const second = ok(evaluate(request(config(), { prior: priorState(first) })));
      assert.deepEqual(describePlan(second.resources.filter(not("same"))), []);
      assert.deepEqual(second.resources.flatMap((r) => r.plan.warnings.map((w) => `${key(r)}: ${w}`)), []);
      assert.deepEqual(second.resources.map(key), first.resources.map(key), "same resources");
    });

    it("shows an empty preview on the next pull request", () => {
      const preview = ok(evaluate(request(config(), { prior: priorState(first), dryRun: true })));
      assert.deepEqual(describePlan(preview.resources.filter(not("same"))), []);
    });
  });
}

describe("a first preview, before anything exists", () => {
  it("evaluates with unknown addresses and keys and plans to create every resource", () => {
    const preview = ok(evaluate(request(prodConfig(), { dryRun: true })));
    assert.deepEqual(preview.resources.map(key), deployedStack(prodConfig).resources.map(key), "the same resources as a real first up");
    assert.deepEqual(describePlan(preview.resources.filter(not("create"))), []);
    assert.equal(preview.outputs.ipv4.value, UNKNOWN, "the IPv4 address is not known before the primary IP exists");
    assert.equal(one(preview, "cloudflare:index/dnsRecord:DnsRecord::dns-mail.example.com-aaaa").inputs.content, UNKNOWN);
    assert.equal(one(preview, SERVER).inputs.userData, UNKNOWN, "user data waits for the generated host key");
    assert.equal(one(preview, "hcloud:index/sshKey:SshKey::deploy-key").inputs.publicKey, UNKNOWN);
  });
});

describe("replacing the server", () => {
  let prior: ReturnType<typeof priorState>;
  let deployed: Evaluation;
  beforeAll(() => {
    deployed = deployedStack(prodConfig);
    prior = priorState(deployed);
  });

  const expectWholeServerRebuilt = (plan: Evaluation) => {
    assert.equal(one(plan, SERVER).plan.op, "replace");
    // Every remote command runs on the VM: all of them run again on the new one.
    const commands = ofType(plan, "command:remote:Command");
    assert.ok(commands.length >= 15, commands.map((c) => c.name).join(", "));
    assert.deepEqual(describePlan(commands.filter(not("replace"))), []);
    for (const t of ["docker:index/container:Container", "docker:index/network:Network"]) assert.ok(ofType(plan, t).length > 0, t);
    // Every Docker resource (pulled images too, while there are any) is recreated on the new VM.
    assert.deepEqual(describePlan(plan.resources.filter((r) => r.type.startsWith("docker:")).filter(not("replace"))), []);
    // Mail, addresses, reverse DNS and DNS stay exactly as they are.
    const untouched = plan.resources.filter((r) =>
      ["hcloud:index/volume:Volume", "hcloud:index/primaryIp:PrimaryIp", "hcloud:index/rdns:Rdns", "cloudflare:index/dnsRecord:DnsRecord"].includes(r.type),
    );
    assert.equal(untouched.filter((r) => r.type === "cloudflare:index/dnsRecord:DnsRecord").length, ofType(deployed, "cloudflare:index/dnsRecord:DnsRecord").length);
    assert.deepEqual(describePlan(untouched.filter(not("same"))), []);
  };

  it("with `pulumi up --replace`: deletes the old server first and re-runs every VM-side step", () => {
    const preview = ok(evaluate(request(prodConfig(), { prior, dryRun: true, forceReplace: [SERVER] })));
    expectWholeServerRebuilt(preview);
    assert.equal(one(preview, SERVER).options.deleteBeforeReplace, true, "the old server holds the name and both primary IPs");
    const up = ok(evaluate(request(prodConfig(), { prior, forceReplace: [SERVER] })));
    expectWholeServerRebuilt(up);
    assert.notEqual(one(up, SERVER).id, one(deployed, SERVER).id);
  });

  it("after a new image: the same whole rebuild", () => {
    const cfg = prodConfig();
    // Any other image: the stack file's own may already be the newest Debian.
    (cfg.server as { image: string }).image = "ubuntu-24.04";
    const up = ok(evaluate(request(cfg, { prior })));
    expectWholeServerRebuilt(up);
    assert.deepEqual(one(up, SERVER).plan.replaces, ["image"]);
  });

  it("rewrites root's authorized_keys on the new server, so revoked admin keys stay revoked", () => {
    const cfg = prodConfig();
    (cfg.ssh as { adminKeys: string[] }).adminKeys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBob0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b bob@ops-laptop"];
    const up = ok(evaluate(request(cfg, { prior, forceReplace: [SERVER] })));
    const keys = one(up, "command:remote:Command::authorized-keys");
    assert.equal(keys.plan.op, "replace");
    assert.doesNotMatch(String(keys.inputs.stdin), /alice@ops-laptop/);
    assert.ok(keys.options.dependencies.includes("cloud-init-done"));
  });
});

describe("config pushes and containers", () => {
  let deployed: Evaluation;
  beforeAll(() => {
    deployed = deployedStack(prodConfig);
  });

  it("starts each container after its own config push and no other service's", () => {
    for (const c of ofType(deployed, "docker:index/container:Container")) {
      const pushes = c.options.dependencies.filter((d) => d.startsWith("push-config-"));
      assert.deepEqual(pushes, [`push-config-${c.name}`], c.name);
    }
  });

  it("replaces only Postfix's push and container when only Postfix's files change", () => {
    const next = ok(evaluate(request(prodConfig(), { prior: priorState(deployed), relayPassword: "MOCKSECRET-another-relay-password" })));
    assert.deepEqual(
      next.resources.filter(not("same")).map((r) => `${key(r)}: ${r.plan.op}`),
      ["command:remote:Command::push-config-postfix: replace", "docker:index/container:Container::postfix: replace"],
    );
  });

  it("gives every Docker resource the explicit provider for the VM, never a default one", () => {
    const docker = deployed.resources.filter((r) => r.type.startsWith("docker:"));
    assert.ok(docker.length > 0);
    for (const r of docker) assert.match(r.provider ?? "", /pulumi:providers:docker::vm-docker::\d+$/, key(r));
    const project = parse(readFileSync(join(__dirname, "..", "..", "Pulumi.yaml"), "utf8")) as { config: Record<string, { value: string[] }> };
    assert.deepEqual(project.config["pulumi:disable-default-providers"].value, ["docker"]);
  });
});

describe("the mail volume", () => {
  let prior: ReturnType<typeof priorState>;
  beforeAll(() => {
    prior = priorState(deployedStack(prodConfig));
  });
  const withVolume = (gb: number) => {
    const cfg = prodConfig();
    (cfg.server as { volumeSizeGb: number }).volumeSizeGb = gb;
    return cfg;
  };

  it("grows in place and grows its filesystem, touching nothing else", () => {
    const next = ok(evaluate(request(withVolume(80), { prior })));
    assert.deepEqual(next.resources.filter(not("same")).map((r) => `${key(r)}: ${r.plan.op} [${r.plan.changes.join(", ")}]`), [
      "command:remote:Command::grow-filesystem: replace [triggers]",
      "hcloud:index/volume:Volume::mail-data: update [size]",
    ]);
    assert.deepEqual(one(next, "hcloud:index/volume:Volume::mail-data").plan.errors, []);
    assert.match(String(one(next, "command:remote:Command::grow-filesystem").inputs.stdin), /resize2fs "\$dev"/);
  });

  it("refuses to shrink, saying the current size and that Hetzner volumes only grow", () => {
    const next = evaluate(request(withVolume(40), { prior }));
    assert.equal(next.ok, false);
    assert.match(next.error ?? "", /mailstack:server\.volumeSizeGb: 40 is smaller than the mail volume's current 50 GB; Hetzner volumes can only grow/);
  });
});
