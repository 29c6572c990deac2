// The pure parts of the existing-host target: its topology (production's containers and ports,
// data under the host's folder, no IPv6 on its networks), image references both engines read back
// unchanged, and the certificate hook installed and run once without a systemd timer.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { qualifiedImageReference } from "../../components/core/containers/providerShapes";
import { certHookOnce } from "../../components/core/remote/certSync";
import { existingHostTopology, NETWORK_NAMES, productionTopology } from "../../components/core/topology";
import { loadStackConfig } from "../../components/core/config/stackFile";

describe("an existing Docker host", () => {
  it("keeps production's names and ports, moves the host folders, drops the IPv6 subnets", () => {
    const t = existingHostTopology({ dataDir: "/data/mail" });
    assert.equal(t.hostRoot, "/data/mail");
    assert.deepEqual(t.ports, productionTopology.ports);
    assert.equal(t.namePrefix, "");
    // Every production network, with its name, IPv4 subnet and internal flag, and no IPv6.
    assert.deepEqual(Object.keys(t.networks).sort(), [...NETWORK_NAMES].sort());
    for (const n of NETWORK_NAMES) {
      const { name, ipv4Subnet, internal } = productionTopology.networks[n];
      assert.deepEqual(t.networks[n], { name, ipv4Subnet, internal }, n);
    }
    assert.equal(t.networks.mail.name, "mailstack");
  });

  it("writes image references fully qualified, as podman reads them back", () => {
    assert.equal(qualifiedImageReference("mailstack/postfix:0123456789ab"), "docker.io/mailstack/postfix:0123456789ab");
    assert.equal(qualifiedImageReference("debian:13"), "docker.io/library/debian:13");
    assert.equal(qualifiedImageReference("ghcr.io/org/app:1.2.3"), "ghcr.io/org/app:1.2.3");
    assert.equal(qualifiedImageReference("localhost/app:1"), "localhost/app:1");
    assert.equal(qualifiedImageReference("registry:5000/app:1"), "registry:5000/app:1");
  });

  it("installs the certificate hook under the data folder and runs it once, no systemd", () => {
    const hook = certHookOnce(loadStackConfig("prod"), existingHostTopology({ dataDir: "/data/mail" }));
    assert.match(hook.script, /mv -f '\/data\/mail\/bin\/sync-certs\.sh\.tmp' '\/data\/mail\/bin\/sync-certs\.sh'/);
    assert.doesNotMatch(hook.script, /systemctl/);
    assert.match(hook.command, /^CERTIFICATES='mail=mail\.example\.com[^']*' LETSENCRYPT_DIR='\/data\/mail\/letsencrypt' TLS_DIR='\/data\/mail\/tls' .*RELOAD_NGINX='docker kill --signal HUP nginx' bash \/data\/mail\/bin\/sync-certs\.sh$/);
    assert.ok(hook.script.includes(`if ! ${hook.command}; then`));
    assert.match(hook.contentHash, /^[0-9a-f]{64}$/);
  });
});
