// Installs the certificate hook on the VM over SSH: files/tls/sync-certs.sh, its systemd service
// (with the stack's certificate names) and a 5-minute timer (text from
// components/core/remote/certSync.ts), then runs it once, so the TLS folder holds a pair for every
// certificate (self-signed until certbot has one) before Postfix, Dovecot and nginx are created.
// A remote command, not cloud-init: the server ignores later user data, and a changed hostname,
// domain list or script must still reach it. Its trigger is the content hash of the three files,
// so adding a domain reruns it (and installs that domain's temporary certificate) before nginx is
// replaced with a config that names it; the server id is a trigger too, so a replaced server gets
// the hook again. It never touches certbot, the containers or any rendered config.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { WebCertificate } from "./core/containers/certificates";
import { certSyncFiles } from "./core/remote/certSync";
import { connectionOf, type SshAccess } from "./sshConnection";

export interface CertSyncArgs {
  /** The stack's certificates (webCertificates(cfg)): the hook keeps one TLS sub-folder per name. */
  certificates: readonly WebCertificate[];
  /** SSH access to the VM (pinned host key). */
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
    const plan = certSyncFiles(args.certificates);
    // No secrets in these files: a preview's diff of stdin shows what changed on the VM.
    this.installed = new command.remote.Command(
      "install-cert-sync",
      { connection: connectionOf(args.ssh), create: "sh -s", stdin: plan.script, triggers: [plan.contentHash, args.serverId] },
      { parent: this, dependsOn: [args.serverReady] },
    );
    this.registerOutputs({});
  }
}
