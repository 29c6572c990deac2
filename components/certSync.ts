// Installs the certificate hook on the VM over SSH: files/tls/sync-certs.sh, its systemd service
// and a 5-minute timer (text from components/core/certSync.ts), then runs it once, so the TLS
// folder holds a certificate (self-signed until Caddy has one) before Postfix and Dovecot are
// created. A remote command, not cloud-init: the server ignores later user data, and a changed
// hostname or script must still reach it. Its triggers are the content hash of the three files
// and the server id, so a replaced server gets the hook again.
// It never touches Caddy, the containers or any rendered config.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { certSyncFiles } from "./core/remote/certSync";
import { connectionOf, type SshAccess } from "./sshConnection";

export interface CertSyncArgs {
  hostname: string;
  ssh: SshAccess;
  /** Cloud-init is done: systemd, Docker and the volume are there. */
  serverReady: pulumi.Resource;
  /** The Hetzner server id (MailServer.id). */
  serverId: pulumi.Input<string>;
}

export class CertSync extends pulumi.ComponentResource {
  /** Completes once the hook is installed and has run once. */
  readonly installed: command.remote.Command;

  constructor(name: string, args: CertSyncArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:CertSync", name, {}, opts);
    const plan = certSyncFiles(args.hostname);
    // No secrets in these files: a preview's diff of stdin shows what changed on the VM.
    this.installed = new command.remote.Command(
      "install-cert-sync",
      { connection: connectionOf(args.ssh), create: "sh -s", stdin: plan.script, triggers: [plan.contentHash, args.serverId] },
      { parent: this, dependsOn: [args.serverReady] },
    );
    this.registerOutputs({});
  }
}
