// Installs the alerting on the VM over SSH (text from components/core/remote/alerts.ts): the check
// scripts, their settings, the DNS records the stack published and two systemd timers (checks
// every 5 minutes, a weekly digest), in one remote command whose triggers are the content hash and
// the server id, so a changed threshold, address, record or script reinstalls them and a replaced
// server gets them again. The webhook URL (a secret) travels only on stdin, with logging off. It
// never runs a check and never touches a container.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { MailConfig } from "./core/config/config";
import type { DnsRecord } from "./core/dns/dnsRecords";
import { alertFiles } from "./core/remote/alerts";
import { connectionOf, type SshAccess } from "./sshConnection";

export interface AlertsArgs {
  /** Validated stack config: addresses, thresholds, blocklists, the digest's day. */
  cfg: MailConfig;
  /** The records MailDns writes: what the DNS check compares the live zone with. */
  records: readonly DnsRecord<pulumi.Output<string>>[];
  /** The server's two addresses (blocklist lookups). */
  ipv4: pulumi.Output<string>;
  ipv6: pulumi.Output<string>;
  /** Secret `mailstack:alertWebhookUrl`, when set. */
  webhookUrl?: pulumi.Output<string>;
  /** SSH access to the VM (pinned host key). */
  ssh: SshAccess;
  /** Cloud-init is done (systemd, Docker and the volume are there). */
  serverReady: pulumi.Resource;
  /** The Hetzner server id (MailServer.id). */
  serverId: pulumi.Input<string>;
}

/** Resolves each record's Output values into plain strings. */
function resolved(records: readonly DnsRecord<pulumi.Output<string>>[]): pulumi.Output<DnsRecord<string>[]> {
  return pulumi.all(
    records.map((r) => {
      if (r.type === "A" || r.type === "AAAA" || r.type === "TXT") return pulumi.output(r.content).apply((content) => ({ ...r, content }) as DnsRecord<string>);
      return pulumi.output(r as DnsRecord<string>);
    }),
  );
}

export class Alerts extends pulumi.ComponentResource {
  readonly installed: command.remote.Command;

  constructor(name: string, args: AlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:Alerts", name, {}, opts);
    const webhook: pulumi.Output<string | undefined> = args.webhookUrl ?? pulumi.output(undefined);
    const plan = pulumi.all([args.ipv4, args.ipv6, resolved(args.records), webhook]).apply(([ipv4, ipv6, records, url]) => alertFiles(args.cfg, { ipv4, ipv6 }, records, url));
    const secret = args.webhookUrl !== undefined;
    this.installed = new command.remote.Command(
      "install-alerts",
      {
        connection: connectionOf(args.ssh),
        create: "sh -s",
        // Without a webhook nothing here is secret, and a preview's diff shows what changes.
        stdin: secret ? pulumi.secret(plan.apply((p) => p.script)) : plan.apply((p) => p.script),
        // The hash of files holding the webhook URL reveals nothing of it.
        triggers: [pulumi.unsecret(plan.apply((p) => p.contentHash)), args.serverId],
        ...(secret ? { logging: "none" as const } : {}),
      },
      { parent: this, dependsOn: [args.serverReady], ...(secret ? { additionalSecretOutputs: ["stdout", "stderr", "stdin"] } : {}) },
    );
    this.registerOutputs({});
  }
}
