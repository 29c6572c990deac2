// Installs the certificate hook on the mail host: on the VM over SSH, files/tls/sync-certs.sh, its
// systemd service (with the stack's certificate names) and a 5-minute timer; on an existing host,
// the script alone, whose later runs the operator schedules (text from
// components/core/remote/certSync.ts). Then runs it once, so the TLS folder holds a pair for every
// certificate (self-signed until certbot has one) before Postfix, Dovecot and nginx are created.
// A remote command, not cloud-init: the server ignores later user data, and a changed hostname,
// domain list or script must still reach it. Its trigger is the content hash of the three files,
// so adding a domain reruns it (and installs that domain's temporary certificate) before nginx is
// replaced with a config that names it; the server id is a trigger too, so a replaced server gets
// the hook again. It never touches certbot, the containers or any rendered config.
import * as pulumi from "@pulumi/pulumi";
import type { HostAccess } from "./hostAccess";

export interface CertSyncArgs {
  /**
   * The install script and its content hash: certSyncFiles(webCertificates(cfg)) on the VM
   * (systemd timer), certHookOnce(...) on an existing host (no timer: the operator schedules it).
   */
  plan: { script: string; contentHash: string };
  /** Where it runs: the VM over SSH, or this machine. */
  host: HostAccess;
  /** VM only: cloud-init is done (systemd, Docker and the volume are there). */
  serverReady?: pulumi.Resource;
  /** The host's identity (the Hetzner server id on the VM). */
  serverId: pulumi.Input<string>;
}

export class CertSync extends pulumi.ComponentResource {
  /** Completes once the hook is installed and has run once. */
  readonly installed: pulumi.Resource;

  constructor(name: string, args: CertSyncArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:CertSync", name, {}, opts);
    const plan = args.plan;
    // No secrets in these files: a preview's diff of stdin shows what changed on the host.
    this.installed = args.host.run(
      "install-cert-sync",
      { create: "sh -s", stdin: plan.script, triggers: [plan.contentHash, args.serverId] },
      { parent: this, dependsOn: args.serverReady ? [args.serverReady] : [] },
    );
    this.registerOutputs({});
  }
}
