// The isolation graph as the mock engine sees the example customer's stack: one Docker network per
// edge (topology.ts NETWORK_NAMES), only the two published networks and the backup's own with a way out, each container
// on exactly the networks its peers are on, Valkey's password a secret, the database roles each
// limited to their own network, NET_RAW dropped everywhere, and fail2ban the one container in the
// host's network namespace (with NET_ADMIN, for its nftables bans). The network of earlier
// versions keeps its resource name, Docker name and subnets, so an existing server's IPv6 egress
// rule still matches and the network is not replaced.
import assert from "node:assert/strict";
import { beforeAll, describe, it } from "@jest/globals";
import { evaluate, type Evaluation, type RegisteredResource } from "./harness/types";
import { prodConfig, request } from "./fixtures";

let ev: Evaluation;
const ofType = (t: string) => ev.resources.filter((r) => r.type === t);
const container = (name: string): RegisteredResource => {
  const r = ofType("docker:index/container:Container").find((c) => c.name === name);
  assert.ok(r, `no container ${name}`);
  return r;
};
type NetRef = { name: string; aliases: string[] };
const networksOf = (name: string) => ((container(name).inputs.networksAdvanced as NetRef[] | undefined) ?? []).map((n) => n.name).sort();

describe("the isolation graph on the VM", () => {
  beforeAll(() => {
    ev = evaluate(request(prodConfig()));
    assert.ok(ev.ok, ev.error);
  });

  it("creates one network per edge; only the two published ones and the backup's way out are not internal", () => {
    const nets = Object.fromEntries(ofType("docker:index/network:Network").map((n) => [String(n.inputs.name), n]));
    assert.deepEqual(Object.keys(nets).sort(), [
      "mailstack",
      "mailstack-backupdata",
      "mailstack-backupout",
      "mailstack-mailaccess",
      "mailstack-maildb",
      "mailstack-mailsubmit",
      "mailstack-rspamdstore",
      "mailstack-web",
      "mailstack-webmail",
      "mailstack-webmaildb",
    ]);
    const internal = Object.entries(nets).filter(([, n]) => n.inputs.internal === true).map(([name]) => name).sort();
    assert.deepEqual(internal, ["mailstack-backupdata", "mailstack-mailaccess", "mailstack-maildb", "mailstack-mailsubmit", "mailstack-rspamdstore", "mailstack-webmail", "mailstack-webmaildb"]);
    // The network earlier versions had: same resource name, Docker name and subnets (no replacement).
    const mail = nets.mailstack;
    assert.equal(mail.name, "mail-network");
    assert.deepEqual(mail.inputs.ipamConfigs, [{ subnet: "172.30.25.0/24" }, { subnet: "fd00:6d61:696c:19::/64" }]);
    assert.equal(mail.inputs.internal, undefined, "an unchanged input for the existing network");
    const subnets = Object.values(nets).flatMap((n) => (n.inputs.ipamConfigs as { subnet: string }[]).map((c) => c.subnet));
    assert.equal(new Set(subnets).size, subnets.length, "no two networks share a subnet");
  });

  it("puts each container on exactly the networks of the services it talks to", () => {
    assert.deepEqual(networksOf("postfix"), ["mailstack", "mailstack-mailaccess", "mailstack-maildb", "mailstack-mailsubmit"]);
    assert.deepEqual(networksOf("dovecot"), ["mailstack", "mailstack-mailaccess", "mailstack-maildb", "mailstack-mailsubmit"]);
    assert.deepEqual(networksOf("unbound"), ["mailstack"]);
    assert.deepEqual(networksOf("rspamd"), ["mailstack", "mailstack-rspamdstore"]);
    assert.deepEqual(networksOf("valkey"), ["mailstack-backupdata", "mailstack-rspamdstore"]);
    assert.deepEqual(networksOf("postgres"), ["mailstack-backupdata", "mailstack-maildb", "mailstack-webmaildb"]);
    assert.deepEqual(networksOf("roundcube"), ["mailstack-mailaccess", "mailstack-webmail", "mailstack-webmaildb"]);
    assert.deepEqual(networksOf("nginx"), ["mailstack-web", "mailstack-webmail"]);
    assert.deepEqual(networksOf("certbot"), ["mailstack-web"]);
    assert.deepEqual(networksOf("fail2ban"), []);
    // Each container is created after its networks.
    for (const c of ofType("docker:index/container:Container")) {
      for (const n of networksOf(c.name)) {
        const net = ofType("docker:index/network:Network").find((x) => x.inputs.name === n);
        assert.ok(net && c.options.dependencies.includes(net.name), `${c.name} waits for ${n}`);
      }
    }
  });

  it("drops NET_RAW from every container and gives fail2ban alone the host's network and NET_ADMIN", () => {
    for (const c of ofType("docker:index/container:Container")) {
      const caps = c.inputs.capabilities as { adds: string[]; drops: string[] };
      assert.deepEqual(caps.drops, ["CAP_NET_RAW"], c.name);
      if (c.name === "fail2ban") {
        assert.deepEqual(caps.adds, ["CAP_NET_ADMIN"]);
        assert.equal(c.inputs.networkMode, "host");
      } else {
        assert.deepEqual(caps.adds, [], c.name);
        assert.equal(c.inputs.networkMode, undefined, c.name);
      }
    }
  });

  it("shares Dovecot's LMTP, SASL and quota-policy sockets with Postfix alone, read-only there", () => {
    const sockets = (name: string) => (container(name).inputs.mounts as { source: string; target: string; readOnly: boolean }[]).find((m) => m.source === "/srv/mail/run/dovecot-postfix");
    assert.equal(sockets("dovecot")?.readOnly, false);
    assert.equal(sockets("postfix")?.readOnly, true);
    for (const c of ofType("docker:index/container:Container").filter((x) => !["dovecot", "postfix"].includes(x.name))) {
      assert.equal(sockets(c.name), undefined, `${c.name} must not reach Dovecot's sockets`);
    }
  });

  it("generates Valkey's password as a secret and renders it only into Valkey's and Rspamd's files", () => {
    const pw = ofType("random:index/randomPassword:RandomPassword").find((r) => r.name === "valkey-password");
    assert.ok(pw);
    assert.equal(pw.inputs.special, false);
    for (const s of ["valkey", "rspamd"]) {
      const push = ev.resources.find((r) => r.type === "command:remote:Command" && r.name === `push-config-${s}`);
      assert.ok(push?.secretInputs.includes("stdin"), `${s} push carries the password as a secret`);
    }
  });

  it("installs the container guard on the server before any container starts", () => {
    const guard = ev.resources.find((r) => r.type === "command:remote:Command" && r.name === "container-guard");
    assert.ok(guard);
    const script = String(guard.inputs.stdin);
    assert.match(script, /apt-get install -y -q nftables/);
    assert.match(script, /systemctl restart mailstack-guard\.service/);
    assert.match(script, /chmod 0600/);
    const ruleset = Buffer.from(/guard\.nft\.tmp' <<'MAILSTACK_FILE'\n([^]*?)\nMAILSTACK_FILE/.exec(script)?.[1].replace(/\n/g, "") ?? "", "base64").toString();
    assert.match(ruleset, /^    ip daddr 169\.254\.169\.254 reject$/m);
    for (const c of ofType("docker:index/container:Container")) assert.ok(c.options.dependencies.includes("container-guard"), c.name);
  });
});
