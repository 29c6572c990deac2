// The pure parts of SSH access: root's authorized_keys never loses the deploy key and refuses
// anything that is not a key line; the per-stack folder and known_hosts line refuse values that
// could break out of the shell quoting they are written in.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { authorizedKeysFile, authorizedKeysScript } from "../../components/core/host/authorizedKeys";
import { knownHostsLine, localSshPaths } from "../../components/core/host/localSshAccess";

const deploy = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDeployDeployDeployDeployDeployDeployDeploy00\n";
const alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAliceAliceAliceAliceAliceAliceAliceAlice0 alice@laptop";

describe("authorized_keys", () => {
  it("lists the deploy key first, then each admin key once", () => {
    assert.equal(authorizedKeysFile(deploy, [alice, alice]), `${deploy.trim()}\n${alice}\n`);
  });

  it("refuses a line that is not an OpenSSH public key", () => {
    assert.throws(() => authorizedKeysFile(deploy, ['command="sh" ssh-ed25519 AAAA x']), /not an OpenSSH public key line/);
    assert.throws(() => authorizedKeysScript("ssh-ed25519 AAAA\nMAILSTACK_KEYS\n"), /may not contain/);
  });
});

describe("local SSH access files", () => {
  it("keeps each stack's files in its own folder under .pulumi-ssh", () => {
    assert.deepEqual(localSshPaths("acme-prod"), {
      dir: ".pulumi-ssh/acme-prod",
      privateKey: ".pulumi-ssh/acme-prod/deploy_key",
      knownHosts: ".pulumi-ssh/acme-prod/known_hosts",
    });
    assert.throws(() => localSshPaths("../x"), /not usable as a folder name/);
    assert.throws(() => localSshPaths("a'b"), /not usable as a folder name/);
  });

  it("pins a host key for an address, and nothing that could leave the quotes", () => {
    assert.equal(knownHostsLine("203.0.113.10", "ssh-ed25519 AAAAkey=\n"), "203.0.113.10 ssh-ed25519 AAAAkey=");
    assert.throws(() => knownHostsLine("203.0.113.10'; rm -rf /", "ssh-ed25519 AAAAkey="), /not an address/);
    assert.throws(() => knownHostsLine("203.0.113.10", "ssh-ed25519 AAAAkey= comment'"), /not an OpenSSH public key/);
  });
});
