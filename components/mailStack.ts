// One customer's mail server: wires the host, DKIM keys, DNS, internal secrets, config push,
// containers and mailboxes together. The host is a Hetzner VM (MailServer, admin keys, SSH access
// for the Docker provider) or, with `mailstack:host`, an existing Docker host that is the machine
// running `pulumi up`: then no Hetzner resource exists, host steps run here (HostCommand), the
// Docker provider talks to the engine's socket, and DNS is Cloudflare or a zone file output.
// Every resource name is derived from the (sorted, validated) config alone, so reordering
// domains, mailboxes or aliases in the stack file changes nothing. Owns no logic of its own: what
// to create lives in the components and in components/core.
import * as pulumi from "@pulumi/pulumi";
import { AdminSshKeys } from "./adminSshKeys";
import { Alerts } from "./alerts";
import { CertSync } from "./certSync";
import { ConfigPush } from "./configPush";
import { Containers, type ContainerEngineOptions } from "./containers";
import type { MailConfig } from "./core/config/config";
import { webCertificates } from "./core/containers/certificates";
import { dkimTxtContent, dnsRecords, type DnsRecord } from "./core/dns/dnsRecords";
import { zoneFile } from "./core/dns/zoneFile";
import { certHookOnce, certSyncFiles } from "./core/remote/certSync";
import { activeServices, containerName, type Topology } from "./core/topology";
import { imagePlans } from "./core/containers/images";
import { DkimKeys } from "./dkim";
import { thisMachine, vmHost, type HostAccess } from "./hostAccess";
import { ImageBuilds } from "./images";
import { MailDns } from "./dns";
import { LocalSshAccess } from "./localSshAccess";
import { Mailboxes } from "./mailboxes";
import { MailServer } from "./server";
import type { BackupSecrets } from "./core/render/secrets";
import { ServiceSecretValues } from "./serviceSecrets";

export interface MailStackArgs {
  cfg: MailConfig;
  /** productionTopology on the VM; existingHostTopology(cfg.host) on an existing host. */
  topology: Topology;
  relayPassword?: pulumi.Output<string>;
  /** Secrets `mailstack:backupPassword` and the repository's credentials; required when `cfg.backup` is set. */
  backupSecrets?: pulumi.Output<BackupSecrets>;
  /** Secret `mailstack:alertWebhookUrl`: every alert is also posted there. */
  alertWebhookUrl?: pulumi.Output<string>;
}

/** The identity of an existing host in triggers and labels: a different engine or folder is a different host. */
export function existingHostIdentity(host: NonNullable<MailConfig["host"]>): string {
  return `existing-host ${host.docker} ${host.dataDir}`;
}

export class MailStack extends pulumi.ComponentResource {
  /** The Hetzner VM; undefined on an existing host. */
  readonly server: MailServer | undefined;
  readonly ipv4: pulumi.Output<string>;
  /** undefined on an existing host without IPv6. */
  readonly ipv6: pulumi.Output<string> | undefined;
  readonly dnsRecords: DnsRecord<pulumi.Output<string>>[];
  /** host.dns "zoneFile": the records as a BIND zone file. */
  readonly zoneFile: pulumi.Output<string> | undefined;
  /** Existing host: the command that runs the certificate hook again (for the operator's cron). */
  readonly certHookCommand: string | undefined;
  readonly mailboxPasswords: pulumi.Output<Record<string, string>>;
  /** Per zone with `dnssec: true`: the DS record for the registrar. */
  readonly dnssecDsRecords: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: MailStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:MailStack", name, {}, opts);
    const { cfg, topology } = args;
    const child = { parent: this };

    // The host: where steps run, how Docker is reached, what every host-side step depends on.
    let host: HostAccess;
    let serverId: pulumi.Input<string>;
    let serverReady: pulumi.Resource | undefined;
    let dockerAccess: { name: string; host: pulumi.Input<string>; sshOpts?: string[]; ready: pulumi.Resource[] };
    let engine: ContainerEngineOptions;
    if (cfg.host === undefined) {
      const server = new MailServer("server", { cfg, topology }, child);
      this.server = server;
      new AdminSshKeys(
        "admin-keys",
        { ssh: server.ssh, deployPublicKey: server.deployPublicKey, adminKeys: cfg.ssh.adminKeys, serverReady: server.ready, serverId: server.id },
        child,
      );
      const localSsh = new LocalSshAccess("local-ssh", server.ssh, child);
      host = vmHost(server.ssh);
      serverId = server.id;
      serverReady = server.ready;
      dockerAccess = { name: "vm-docker", host: pulumi.interpolate`ssh://root@${server.ssh.host}`, sshOpts: localSsh.sshOpts, ready: [localSsh.written] };
      // Docker Engine's compact, rotated format on the VM.
      engine = { logDriver: "local" };
      this.ipv4 = server.ipv4;
      this.ipv6 = server.ipv6;
    } else {
      this.server = undefined;
      host = thisMachine(cfg.host.docker);
      serverId = existingHostIdentity(cfg.host);
      dockerAccess = { name: "host-docker", host: cfg.host.docker, ready: [] };
      // Docker Engine or podman: the engine's default log driver, image names as both read them back.
      engine = { qualifiedImages: true };
      this.ipv4 = pulumi.output(cfg.host.ipv4);
      this.ipv6 = cfg.host.ipv6 === undefined ? undefined : pulumi.output(cfg.host.ipv6);
    }

    const dkim = new DkimKeys("dkim", cfg, child);
    // The signing selector's DKIM records, when this stack publishes them (Cloudflare): Rspamd's
    // files, which name the selector it signs with, are pushed only after these exist.
    let signingKeysPublished: pulumi.Resource[] | undefined;
    if (cfg.host?.dns === "zoneFile") {
      // No DNS resource: the same records (earlier DKIM selectors' included), for the operator's
      // own DNS. Nothing here can wait for the operator to publish a new selector's key, nor sign
      // the zone: DNSSEC is the operator's DNS's (the config says so when `dnssec: true`).
      const ipv6 = this.ipv6;
      const records = dnsRecords<pulumi.Output<string>>(cfg, {
        ipv4: this.ipv4,
        ipv6: ipv6 ?? pulumi.output(""),
        dkimTxt: (domain, selector) => {
          const pem = dkim.publicKeysBySelector[`${domain} ${selector}`];
          if (pem === undefined) throw new Error(`no DKIM key for ${domain} (selector ${selector})`);
          return pem.apply(dkimTxtContent);
        },
      }).filter((r) => ipv6 !== undefined || r.type !== "AAAA");
      this.dnsRecords = records;
      this.zoneFile = pulumi
        .all(records.map((r) => pulumi.output(r as unknown as Record<string, unknown>)))
        .apply((rs) =>
          zoneFile(
            rs as unknown as DnsRecord<string>[],
            `Mail stack DNS records for ${cfg.hostname}`,
            "generated by the mail stack (mailstack:host.dns zoneFile): nothing writes these records anywhere; publish them in each zone yourself",
          ),
        );
      this.dnssecDsRecords = pulumi.output<Record<string, string>>({});
    } else {
      const dns = new MailDns("dns", { cfg, ipv4: this.ipv4, ipv6: this.ipv6, dkimPublicKeys: dkim.publicKeysBySelector }, child);
      this.dnsRecords = dns.records;
      this.zoneFile = undefined;
      this.dnssecDsRecords = dns.dsRecords;
      signingKeysPublished = dns.signingKeyRecords;
    }

    const secrets = new ServiceSecretValues("secrets", { dkimPrivateKeys: dkim.privateKeys, relayPassword: args.relayPassword, backup: args.backupSecrets }, child);
    const plans = imagePlans(topology);
    const images = new ImageBuilds("images", { plans, topology, services: activeServices(cfg), host, serverReady, serverId }, child);
    const push = new ConfigPush(
      "config",
      { cfg, topology, secrets: secrets.values, host, images: images.images, serverReady, serverId, signingKeysPublished },
      child,
    );
    // The alerting is VM only: it installs its checks under the VM's volume, Debian's dig and curl,
    // and systemd timers (with the DMARC report timer), all as root on the VM. On an existing host
    // none of it is installed; that host's monitoring is the operator's.
    if (this.server !== undefined) {
      new Alerts(
        "alerts",
        {
          cfg,
          records: this.dnsRecords,
          ipv4: this.server.ipv4,
          ipv6: this.server.ipv6,
          webhookUrl: args.alertWebhookUrl,
          ssh: this.server.ssh,
          serverReady: this.server.ready,
          serverId: this.server.id,
        },
        child,
      );
    }
    const hook = cfg.host === undefined ? undefined : certHookOnce(cfg, topology);
    this.certHookCommand = hook === undefined ? undefined : `DOCKER_HOST=${cfg.host!.docker} ${hook.command}`;
    const certSync = new CertSync("cert-sync", { plan: hook ?? certSyncFiles(webCertificates(cfg, topology)), host, serverReady, serverId }, child);
    // Created by Containers right after the postgres container, which it needs; Roundcube waits for it.
    let mailboxes: Mailboxes | undefined;
    new Containers(
      "containers",
      {
        cfg,
        topology,
        plans,
        imageBuilds: images.images,
        host,
        docker: dockerAccess,
        engine,
        serverReady,
        serverId,
        configs: push.services,
        certificateReady: certSync.installed,
        databaseSetup: (postgres) => {
          mailboxes = new Mailboxes(
            "mailboxes",
            {
              cfg,
              topology,
              host,
              database: postgres,
              databaseContainer: containerName(topology, "postgres"),
              databaseFilesHash: push.services.postgres.contentHash,
              serverId,
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
