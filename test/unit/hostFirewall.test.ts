// The host's own nftables tables (components/core/host/hostFirewall.ts), as text: the guard keeps
// every container off the metadata service and each network off the others, the ban chain rejects
// a banned source on its way to any container, local tables carry the instance's name and match
// its subnets only, and cloud-init writes the same guard the SSH step installs. The rules are
// loaded and exercised for real by the local stack (test/e2e/abuse/isolation.test.ts).
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { banRules, guardInstallScript, guardRuleset, hostTableName } from "../../components/core/host/hostFirewall";
import { cloudInitUserData } from "../../components/core/host/cloudInit";
import { localTopology, NETWORK_NAMES, productionTopology } from "../../components/core/topology";
import { placeholderPem } from "../../tools/dev/placeholderPem";
import { webTestConfig } from "./webFixture";

describe("host firewall tables", () => {
  it("names each table after the stack or the local instance", () => {
    assert.equal(hostTableName(productionTopology, "bans"), "mailstack-bans");
    assert.equal(hostTableName(localTopology("/tmp/s", { instance: 3 }), "guard"), "mailstack3-guard");
    assert.equal(hostTableName(localTopology("/tmp/s"), "guard"), "mailstack-guard");
  });

  it("on the VM rejects every forwarded packet to the metadata service and drops traffic between any two networks", () => {
    const g = guardRuleset(productionTopology);
    assert.match(g, /^table inet mailstack-guard \{\}\ndelete table inet mailstack-guard\n/m);
    assert.match(g, /type filter hook forward priority -20; policy accept;/);
    assert.match(g, /^    ip daddr 169\.254\.169\.254 reject$/m);
    for (const n of NETWORK_NAMES) {
      const net = productionTopology.networks[n];
      const rule = new RegExp(`^    ip saddr ${net.ipv4Subnet.replace(/\./g, "\\.")} ip daddr \\{ ([^}]+) \\} drop$`, "m").exec(g);
      assert.ok(rule, n);
      const others = NETWORK_NAMES.filter((m) => m !== n).map((m) => productionTopology.networks[m].ipv4Subnet);
      assert.deepEqual(rule[1].split(", ").sort(), others.sort(), n);
    }
    // The two published networks have IPv6: isolated from each other as well.
    assert.match(g, /^    ip6 saddr fd00:6d61:696c:19::\/64 ip6 daddr fd00:6d61:696c:1a::\/64 drop$/m);
  });

  it("locally touches only the instance's own subnets", () => {
    const topo = localTopology("/tmp/s", { instance: 2 });
    const g = guardRuleset(topo);
    assert.match(g, /^    ip saddr \{ 198\.18\.32\.0\/24, .*198\.18\.41\.0\/24 \} ip daddr 169\.254\.169\.254 reject$/m);
    assert.doesNotMatch(g, /198\.18\.(?!(3[2-9]|4[01])\.)\d+\./, "no other instance's addresses");
  });

  it("rejects a banned source on its way to any of the stack's containers, IPv4 and IPv6", () => {
    const r = banRules(productionTopology);
    assert.match(r, /ip daddr \{ 172\.30\.25\.0\/24, .* \} ip saddr @ban4 meta l4proto tcp reject with tcp reset/);
    assert.match(r, /ip6 daddr \{ fd00:6d61:696c:19::\/64, fd00:6d61:696c:1a::\/64 \} ip6 saddr @ban6 meta l4proto tcp reject with tcp reset/);
    assert.doesNotMatch(banRules(localTopology("/tmp/s")), /ip6/, "no IPv6 rules without IPv6 networks");
  });

  it("cloud-init writes the guard the SSH step installs, and loads it at every boot", () => {
    const ud = cloudInitUserData(webTestConfig(), { hostKeyPrivateOpenssh: placeholderPem("OPENSSH PRIVATE KEY", "x"), hostKeyPublicOpenssh: "ssh-ed25519 AAAA", volumeId: 1, ipv6Address: "2001:db8::1" });
    const indented = guardRuleset(productionTopology).trimEnd().split("\n").map((l) => (l === "" ? "" : `      ${l}`)).join("\n");
    assert.ok(ud.includes(indented), "the same ruleset");
    assert.match(ud, /^  - \[systemctl, enable, --now, "mailstack-guard\.service"\]$/m);
    assert.match(ud, /^  - nftables$/m);
    assert.match(guardInstallScript(productionTopology), /^systemctl enable mailstack-guard\.service$/m);
  });
});
