// The harness's provider models (test/mock/harness/readBack/) catch what the real providers do:
// each case is a defect the models must turn into a planned change, next to its fixed form that
// must plan nothing. Without these, a model that planned nothing at all would pass every
// "second run plans no change" test.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { cloudflareTxt, dnsRecord } from "../mock/harness/readBack/cloudflare";
import { container, dockerPortsDiffSuppressed, dockerReadBackPorts } from "../mock/harness/readBack/docker";
import { primaryIp, sshKey, volume } from "../mock/harness/readBack/hcloud";
import { planChange, type Props, type ResourceModel } from "../mock/harness/readBack/model";

/** Create with `inputs`, then plan the same inputs again: what a second `up` does. */
const secondRun = (model: ResourceModel, inputs: Props) => planChange(model, { inputs, state: model.readBack(inputs, {}) }, inputs);

const port = (internal: number, ip: string) => ({ internal, external: internal, ip, protocol: "tcp" });

describe("read-back models", () => {
  it("hcloud SshKey: a key with its trailing newline is replaced on every run; a trimmed one is not", () => {
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample deploy\n";
    assert.deepEqual(secondRun(sshKey, { name: "deploy", publicKey: key }).replaces, ["publicKey"]);
    assert.equal(secondRun(sshKey, { name: "deploy", publicKey: key.trim() }).op, "same");
  });

  it("docker Container: ports bound on 0.0.0.0 and :: but not in read-back order replace the container every run", () => {
    const unsorted = [port(993, "0.0.0.0"), port(993, "::"), port(143, "0.0.0.0"), port(143, "::"), port(4190, "0.0.0.0"), port(4190, "::")];
    const plan = secondRun(container, { name: "dovecot", ports: unsorted });
    assert.equal(plan.op, "replace");
    assert.deepEqual(plan.replaces, ["ports"]);
    assert.equal(secondRun(container, { name: "dovecot", ports: dockerReadBackPorts(unsorted) }).op, "same");
  });

  it("docker ports: the reorder suppression accepts single bindings but never a second binding of a port", () => {
    const oldPorts = [port(143, "0.0.0.0"), port(993, "0.0.0.0")];
    assert.equal(dockerPortsDiffSuppressed(oldPorts, [...oldPorts].reverse()), true);
    const dual = dockerReadBackPorts([port(993, "::"), port(993, "0.0.0.0")]);
    assert.deepEqual(dual.map((p) => p.ip), ["0.0.0.0", "::"]);
    assert.equal(dockerPortsDiffSuppressed(dual, dual), false, "the :: entry is compared with the 0.0.0.0 one");
  });

  it("docker Container: a start period written 60s is updated every run; 1m0s is not", () => {
    const hc = (startPeriod: string) => ({ tests: ["CMD", "true"], interval: "30s", timeout: "5s", retries: 3, startPeriod });
    const plan = secondRun(container, { name: "postfix", healthcheck: hc("60s") });
    assert.equal(plan.op, "update");
    assert.deepEqual(plan.changes, ["healthcheck"]);
    assert.equal(secondRun(container, { name: "postfix", healthcheck: hc("1m0s") }).op, "same");
  });

  it("hcloud PrimaryIp: assigneeType without assigneeId warns on every run", () => {
    assert.equal(secondRun(primaryIp, { name: "v4", type: "ipv4", assigneeType: "server", location: "fsn1" }).warnings.length, 1);
    assert.deepEqual(secondRun(primaryIp, { name: "v4", type: "ipv4", location: "fsn1" }).warnings, []);
  });

  it("hcloud Volume: growing updates in place, shrinking is an API error", () => {
    const state = volume.readBack({ name: "data", size: 50, location: "fsn1" }, {});
    const grow = planChange(volume, { inputs: { name: "data", size: 50 }, state }, { name: "data", size: 80, location: "fsn1" });
    assert.deepEqual([grow.op, grow.errors], ["update", []]);
    const shrink = planChange(volume, { inputs: { name: "data", size: 50 }, state }, { name: "data", size: 40, location: "fsn1" });
    assert.match(shrink.errors.join(), /cannot shrink/);
  });

  it("cloudflare DnsRecord: unquoted TXT content and an upper-case name change every run; the API's own forms do not", () => {
    const txt = { zoneId: "z", type: "TXT", ttl: 3600, name: "example.com", content: "v=spf1 mx -all" };
    assert.deepEqual(secondRun(dnsRecord, txt).changes, ["content"]);
    assert.equal(secondRun(dnsRecord, { ...txt, content: cloudflareTxt(txt.content) }).op, "same");
    assert.deepEqual(secondRun(dnsRecord, { ...txt, content: '"v=spf1 mx -all"', name: "Example.com" }).changes, ["name"]);
    const long = "p=" + "A".repeat(400);
    assert.deepEqual(cloudflareTxt(long).split('" "').length, 2, "split into 255-byte strings");
  });

  it("cloudflare DnsRecord: SRV without the top-level priority the API reports changes every run", () => {
    const srv = { zoneId: "z", type: "SRV", ttl: 3600, name: "_imaps._tcp.example.com", data: { priority: 0, weight: 1, port: 993, target: "mail.example.com" } };
    assert.deepEqual(secondRun(dnsRecord, srv).changes, ["priority"]);
    assert.equal(secondRun(dnsRecord, { ...srv, priority: 0 }).op, "same");
  });

  it("cloudflare DnsRecord: CAA flags sent as the string \"0\" change every run; the number 0 does not", () => {
    const caa = (flags: unknown) => ({ zoneId: "z", type: "CAA", ttl: 3600, name: "mail.example.com", data: { flags, tag: "issue", value: "letsencrypt.org" } });
    assert.deepEqual(secondRun(dnsRecord, caa("0")).changes, ["data"]);
    assert.equal(secondRun(dnsRecord, caa(0)).op, "same");
  });
});
