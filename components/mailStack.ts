// One customer's mail server: wires the server, DKIM keys, DNS, internal secrets, config push,
// containers and mailboxes together. Every resource name is derived from the (sorted, validated)
// config alone, so reordering domains, mailboxes or aliases in the stack file changes nothing.
// Owns no logic of its own: what to create lives in the components and in components/core.
import * as pulumi from "@pulumi/pulumi";
import { AdminSshKeys } from "./adminSshKeys";
import { Alerts } from "./alerts";
import { CertSync } from "./certSync";
import { ConfigPush } from "./configPush";
import { Containers } from "./containers";
import type { MailConfig } from "./core/config/config";
import { webCertificates } from "./core/containers/certificates";
import type { DnsRecord } from "./core/dns/dnsRecords";
import { activeServices, containerName, type Topology } from "./core/topology";
import { imagePlans } from "./core/containers/images";
import { DkimKeys } from "./dkim";
import { ImageBuilds } from "./images";
import { MailDns } from "./dns";
import { LocalSshAccess } from "./localSshAccess";
import { Mailboxes } from "./mailboxes";
import { MailServer } from "./server";
import type { BackupSecrets } from "./core/render/secrets";
import { ServiceSecretValues } from "./serviceSecrets";

export interface MailStackArgs {
  cfg: MailConfig;
  topology: Topology;
  relayPassword?: pulumi.Output<string>;
  /** Secrets `mailstack:backupPassword` and the repository's credentials; required when `cfg.backup` is set. */
  backupSecrets?: pulumi.Output<BackupSecrets>;
  /** Secret `mailstack:alertWebhookUrl`: every alert is also posted there. */
  alertWebhookUrl?: pulumi.Output<string>;
}

export class MailStack extends pulumi.ComponentResource {
  readonly server: MailServer;
  readonly dnsRecords: DnsRecord<pulumi.Output<string>>[];
  readonly mailboxPasswords: pulumi.Output<Record<string, string>>;
  /** Per zone with `dnssec: true`: the DS record for the registrar. */
  readonly dnssecDsRecords: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: MailStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:MailStack", name, {}, opts);
    const { cfg, topology } = args;
    const child = { parent: this };

    this.server = new MailServer("server", { cfg, topology }, child);
    new AdminSshKeys(
      "admin-keys",
      { ssh: this.server.ssh, deployPublicKey: this.server.deployPublicKey, adminKeys: cfg.ssh.adminKeys, serverReady: this.server.ready, serverId: this.server.id },
      child,
    );
    const dkim = new DkimKeys("dkim", cfg, child);
    const dns = new MailDns("dns", { cfg, ipv4: this.server.ipv4, ipv6: this.server.ipv6, dkimPublicKeys: dkim.publicKeysBySelector }, child);
    this.dnsRecords = dns.records;
    this.dnssecDsRecords = dns.dsRecords;

    const secrets = new ServiceSecretValues("secrets", { dkimPrivateKeys: dkim.privateKeys, relayPassword: args.relayPassword, backup: args.backupSecrets }, child);
    const plans = imagePlans(topology);
    const images = new ImageBuilds("images", { plans, topology, services: activeServices(cfg), ssh: this.server.ssh, serverReady: this.server.ready, serverId: this.server.id }, child);
    const push = new ConfigPush(
      "config",
      {
        cfg,
        topology,
        secrets: secrets.values,
        ssh: this.server.ssh,
        images: images.images,
        serverReady: this.server.ready,
        serverId: this.server.id,
        signingKeysPublished: dns.signingKeyRecords,
      },
      child,
    );
    const localSsh = new LocalSshAccess("local-ssh", this.server.ssh, child);
    new Alerts(
      "alerts",
      {
        cfg,
        records: dns.records,
        ipv4: this.server.ipv4,
        ipv6: this.server.ipv6,
        webhookUrl: args.alertWebhookUrl,
        ssh: this.server.ssh,
        serverReady: this.server.ready,
        serverId: this.server.id,
      },
      child,
    );
    const certSync = new CertSync("cert-sync", { certificates: webCertificates(cfg, topology), ssh: this.server.ssh, serverReady: this.server.ready, serverId: this.server.id }, child);
    // Created by Containers right after the postgres container, which it needs; Roundcube waits for it.
    let mailboxes: Mailboxes | undefined;
    new Containers(
      "containers",
      {
        cfg,
        topology,
        plans,
        imageBuilds: images.images,
        ssh: this.server.ssh,
        dockerSsh: { sshOpts: localSsh.sshOpts, written: localSsh.written },
        serverReady: this.server.ready,
        serverId: this.server.id,
        configs: push.services,
        certificateReady: certSync.installed,
        databaseSetup: (postgres) => {
          mailboxes = new Mailboxes(
            "mailboxes",
            {
              cfg,
              topology,
              ssh: this.server.ssh,
              database: postgres,
              databaseContainer: containerName(topology, "postgres"),
              databaseFilesHash: push.services.postgres.contentHash,
              serverId: this.server.id,
            },
            child,
          );
          return mailboxes.sync;
        },
      },
      child,
    );
    if (mailboxes === undefined) throw new Error("the Containers component did not set up the database");
    this.mailboxPasswords = mailboxes.passwords;
    this.registerOutputs({});
  }
}
