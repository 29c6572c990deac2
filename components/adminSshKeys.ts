// Keeps root's authorized_keys on the VM equal to the deploy key plus `mailstack:ssh.adminKeys`:
// a remote command rewrites the file atomically whenever that list changes. Cloud-init sets the
// keys only at first boot (the server ignores later user-data), so without this an edited key
// list would never reach the VM. It runs again on a replaced server (the server id is a
// trigger), so keys revoked since the first deploy never come back with a rebuild. It never
// touches the server resource, sshd's config or any other file; the file's text comes from
// components/core/authorizedKeys.ts.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { authorizedKeysFile, authorizedKeysScript } from "./core/host/authorizedKeys";
import { connectionOf, type SshAccess } from "./sshConnection";

export interface AdminSshKeysArgs {
  ssh: SshAccess;
  deployPublicKey: pulumi.Output<string>;
  adminKeys: readonly string[];
  /** Cloud-init is done: it no longer writes authorized_keys itself. */
  serverReady: pulumi.Resource;
  /** The Hetzner server id (MailServer.id): a new server gets the file written again. */
  serverId: pulumi.Input<string>;
}

export class AdminSshKeys extends pulumi.ComponentResource {
  constructor(name: string, args: AdminSshKeysArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:AdminSshKeys", name, {}, opts);
    // Public keys only, in plain lines: a preview's diff of stdin names the key that changed.
    // A changed stdin re-runs `create` in place; a new server replaces the command.
    new command.remote.Command(
      "authorized-keys",
      {
        connection: connectionOf(args.ssh),
        create: "sh -s",
        stdin: args.deployPublicKey.apply((deploy) => authorizedKeysScript(authorizedKeysFile(deploy, args.adminKeys))),
        triggers: [args.serverId],
      },
      { parent: this, dependsOn: [args.serverReady] },
    );
    this.registerOutputs({});
  }
}
