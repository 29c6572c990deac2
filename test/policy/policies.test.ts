import { test } from "@jest/globals";
import assert from "node:assert/strict";
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy/policies";
import { dnsNotProxied } from "../../policy/rules/dnsNotProxied";
import { firewallPorts } from "../../policy/rules/firewallPorts";
import { ourImages } from "../../policy/rules/ourImages";
import { privateDatastores } from "../../policy/rules/privateDatastores";
import { volumeProtected } from "../../policy/rules/volumeProtected";
import * as types from "../../policy/rules/types";

// Only the fields the rules read; the rest of ResourceValidationArgs is engine plumbing.
function fakeArgs(type: string, props: Record<string, unknown>, opts: { protect?: boolean } = {}): ResourceValidationArgs {
  return {
    type,
    props,
    urn: `urn:pulumi:acme::mailstack::${type}::res`,
    name: "res",
    opts: { protect: opts.protect ?? false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [] },
    stackTags: new Map(),
  } as unknown as ResourceValidationArgs; // the engine-only methods (isType, getConfig, ...) are never called by these rules
}

async function violations(policy: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<string[]> {
  const found: string[] = [];
  const validate = policy.validateResource;
  for (const v of Array.isArray(validate) ? validate : validate ? [validate] : []) {
    await v(args, (message) => found.push(message));
  }
  return found;
}

test("every rule is mandatory and the pack holds all five", () => {
  assert.deepEqual(policies.map((p) => p.name).sort(), [
    "mail-datastores-not-published", "mail-dns-not-proxied", "mail-firewall-ports", "mail-images-built-here", "mail-volume-protected",
  ]);
  assert.ok(policies.every((p) => p.enforcementLevel === "mandatory"));
});

test("the type tokens are the installed providers' own", () => {
  const token = (mod: string, cls: string): string => (require(`@pulumi/${mod}/${cls}`) as Record<string, { __pulumiType: string }>)[cls.charAt(0).toUpperCase() + cls.slice(1)].__pulumiType;
  assert.equal(types.DNS_RECORD, token("cloudflare", "dnsRecord"));
  assert.equal(types.HCLOUD_VOLUME, token("hcloud", "volume"));
  assert.equal(types.HCLOUD_FIREWALL, token("hcloud", "firewall"));
  assert.equal(types.DOCKER_CONTAINER, token("docker", "container"));
  assert.equal(types.DOCKER_REMOTE_IMAGE, token("docker", "remoteImage"));
});

test("(a) a proxied DNS record fails; unproxied and unset pass; other types are ignored", async () => {
  const rec = (p: Record<string, unknown>) => fakeArgs(types.DNS_RECORD, { name: "mail.example.com", type: "A", ttl: 3600, ...p });
  assert.match((await violations(dnsNotProxied, rec({ proxied: true }))).join(), /mail\.example\.com \(A\) is proxied.*proxied: false/);
  assert.deepEqual(await violations(dnsNotProxied, rec({ type: "MX", name: "example.com", proxied: true })).then((v) => v.length), 1);
  assert.deepEqual(await violations(dnsNotProxied, rec({ proxied: false })), []);
  assert.deepEqual(await violations(dnsNotProxied, rec({})), []);
  assert.deepEqual(await violations(dnsNotProxied, fakeArgs("other:index/x:X", { proxied: true })), []);
});

test("(b) an unprotected volume fails, a protected one passes", async () => {
  assert.match((await violations(volumeProtected, fakeArgs(types.HCLOUD_VOLUME, { size: 20 }))).join(), /not protected.*protect: true/);
  assert.deepEqual(await violations(volumeProtected, fakeArgs(types.HCLOUD_VOLUME, { size: 20 }, { protect: true })), []);
  assert.deepEqual(await violations(volumeProtected, fakeArgs(types.HCLOUD_FIREWALL, {})), [], "only volumes need protection");
});

test("(c) the documented mail firewall passes", async () => {
  const rules = [
    { direction: "in", protocol: "tcp", port: "22", sourceIps: ["203.0.113.0/24", "2001:db8::/48"] },
    ...["25", "465", "587", "993", "143", "4190", "80", "443"].map((port) => ({ direction: "in", protocol: "tcp", port, sourceIps: ["0.0.0.0/0", "::/0"] })),
    { direction: "in", protocol: "udp", port: "443", sourceIps: ["0.0.0.0/0", "::/0"] },
    { direction: "in", protocol: "icmp", sourceIps: ["0.0.0.0/0", "::/0"] },
    { direction: "out", protocol: "tcp", port: "any", destinationIps: ["0.0.0.0/0"] },
  ];
  assert.deepEqual(await violations(firewallPorts, fakeArgs(types.HCLOUD_FIREWALL, { rules })), []);
});

test("(c) SSH from anywhere, stray ports, ranges and 'any' fail", async () => {
  const fw = (rule: Record<string, unknown>) => violations(firewallPorts, fakeArgs(types.HCLOUD_FIREWALL, { rules: [{ direction: "in", sourceIps: ["0.0.0.0/0"], ...rule }] }));
  assert.match((await fw({ protocol: "tcp", port: "22" })).join(), /SSH is open too widely: "0\.0\.0\.0\/0" opens SSH to the whole internet; allow only/);
  assert.match((await fw({ protocol: "tcp", port: "22", sourceIps: ["::/0"] })).join(), /SSH is open too widely: "::\/0" opens SSH to the whole internet/);
  // The whole internet in two halves, and a range wider than the /8 limit, fail like /0.
  const halves = await fw({ protocol: "tcp", port: "22", sourceIps: ["0.0.0.0/1", "128.0.0.0/1"] });
  assert.equal(halves.length, 2, halves.join("\n"));
  assert.match(halves.join(), /"0\.0\.0\.0\/1" opens SSH to 50% of the IPv4 internet/);
  assert.match((await fw({ protocol: "tcp", port: "22", sourceIps: ["10.0.0.0/9", "10.128.0.0/9", "11.0.0.0/9"] })).join(), /ranges together .* at most a \/8's worth/);
  assert.match((await fw({ protocol: "tcp", port: "22", sourceIps: ["not-a-range"] })).join(), /"not-a-range" is not an address range/);
  assert.deepEqual(await fw({ protocol: "tcp", port: "22", sourceIps: ["10.0.0.0/8", "2001:db8::/16"] }), [], "exactly the limit passes");
  assert.match((await fw({ protocol: "tcp", port: "5432" })).join(), /opens port\(s\) 5432/);
  assert.match((await fw({ protocol: "tcp", port: "20-25" })).join(), /opens port\(s\) 20, 21, 23, 24.*SSH is open too widely/);
  assert.match((await fw({ protocol: "tcp", port: "any" })).join(), /opens every port/);
  assert.match((await fw({ protocol: "gre" })).join(), /protocol "gre"/);
});

test("(d) containers run only our own content-hash images; nothing is pulled from a registry", async () => {
  const img = (image: unknown) => violations(ourImages, fakeArgs(types.DOCKER_CONTAINER, { image }));
  assert.deepEqual(await img("mailstack/dovecot:0123456789ab"), []);
  assert.deepEqual(await img("docker.io/mailstack/dovecot:0123456789ab"), [], "the qualified form an existing host writes");
  assert.deepEqual(await img(`sha256:${"b".repeat(64)}`), [], "an image id is exact");
  assert.deepEqual(await img(undefined), [], "unknown at preview: judged at up");
  // Upstream images, however exactly pinned, bring their own release cycle.
  for (const bad of ["postgres:15.8", "roundcube/roundcubemail:1.6.5-fpm", `postgres@sha256:${"a".repeat(64)}`, "redis:latest", "caddy"]) {
    assert.match((await img(bad)).join(), /not one of our images/, bad);
  }
  assert.match((await img("mailstack/dovecot:latest")).join(), /not tagged with its content hash/);
  assert.match((await img("mailstack/dovecot")).join(), /not tagged with its content hash/);
  assert.match((await img("docker.io/mailstack/dovecot:latest")).join(), /not tagged with its content hash/);
  assert.match((await img("ghcr.io/mailstack/dovecot:0123456789ab")).join(), /not one of our images/, "another registry's mailstack/ is not ours");
  const pull = await violations(ourImages, fakeArgs(types.DOCKER_REMOTE_IMAGE, { name: "postgres:17.2" }));
  assert.match(pull.join(), /pulls postgres:17\.2 from a registry/);
});

test("(e) publishing PostgreSQL, Valkey or the Rspamd controller fails; mail ports pass", async () => {
  const c = (props: Record<string, unknown>) => violations(privateDatastores, fakeArgs(types.DOCKER_CONTAINER, props));
  assert.deepEqual(await c({ image: "sha256:1", ports: [{ internal: 25, external: 25 }, { internal: 587, external: 587 }] }), []);
  assert.deepEqual(await c({ image: "mailstack/postgres:0123456789ab" }), [], "a datastore without published ports is fine");
  assert.match((await c({ image: "sha256:1", ports: [{ internal: 5432, external: 15432 }] })).join(), /port 5432 \(PostgreSQL\)/);
  assert.match((await c({ image: "sha256:1", ports: [{ internal: 80, external: 6379 }] })).join(), /port 6379 \(Valkey\)/);
  assert.match((await c({ image: "sha256:1", ports: [{ internal: 11334 }] })).join(), /11334 \(the Rspamd controller\)/);
  assert.match((await c({ image: "mailstack/valkey:0123456789ab", ports: [{ internal: 8080, external: 8080 }] })).join(), /runs valkey and publishes ports/);
});

// The guards must accept what the program actually declares, or every real preview fails.
test("the program's own firewall, containers and images pass the guards", async () => {
  const { inboundRules } = await import("../../components/core/host/firewallRules");
  const { containerSpecs } = await import("../../components/core/containers/containerSpecs");
  const { imagePlans } = await import("../../components/core/containers/images");
  const { productionTopology } = await import("../../components/core/topology");
  const { loadStackConfig } = await import("../../components/core/config/stackFile");
  const cfg = loadStackConfig("prod");
  const rules = inboundRules(cfg, productionTopology);
  assert.deepEqual(await violations(firewallPorts, fakeArgs(types.HCLOUD_FIREWALL, { rules })), []);
  const specs = containerSpecs(cfg, productionTopology, imagePlans(productionTopology)).filter((s) => !s.testOnly);
  assert.equal(specs.length, 10);
  for (const spec of specs) {
    const props = { image: spec.imageTag, ports: spec.ports.map((p) => ({ internal: p.containerPort, external: p.hostPort, ip: p.hostIp })) };
    assert.deepEqual(await violations(privateDatastores, fakeArgs(types.DOCKER_CONTAINER, props)), [], spec.service);
    assert.deepEqual(await violations(ourImages, fakeArgs(types.DOCKER_CONTAINER, props)), [], spec.service);
  }
});
