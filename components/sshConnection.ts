// How every remote command reaches the VM: root over SSH with the Pulumi-generated deploy key and
// the VM's host key pinned (without `hostKey` the command provider accepts any host key).
// Owns no resource; the Server component produces the values, everyone else consumes them.
import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";

export interface SshAccess {
  /** IPv4 address of the mail host. */
  host: pulumi.Output<string>;
  /** OpenSSH private key of the deploy key (secret). */
  privateKey: pulumi.Output<string>;
  /** `ssh-ed25519 AAAA...` of the VM's host key, as cloud-init installs it. */
  hostKey: pulumi.Output<string>;
}

export function connectionOf(ssh: SshAccess): command.types.input.remote.ConnectionArgs {
  return {
    host: ssh.host,
    user: "root",
    privateKey: ssh.privateKey,
    hostKey: ssh.hostKey,
    // A fresh VM takes a while to boot; keep dialling instead of failing the deployment.
    dialErrorLimit: 30,
    perDialTimeout: 10,
  };
}
