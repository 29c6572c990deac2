// The mail host itself: the Hetzner VM with its two primary IPs (which survive a rebuild), reverse
// DNS for both, the firewall, the data volume (protected, kept on delete), the deploy and host SSH
// keys, and a command that waits until cloud-init has installed Docker and mounted the volume.
// It never touches DNS records, rendered files or containers, and installs admin keys only at
// first boot (later changes: components/adminSshKeys.ts).
import * as command from "@pulumi/command";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { cloudInitUserData } from "./core/host/cloudInit";
import type { MailConfig } from "./core/config/config";
import { VOLUME_MOUNT, type Topology } from "./core/topology";
import { inboundRules } from "./core/host/firewallRules";
import { mailIpv6Address } from "./core/host/ipv6";
import { knownHostsLine } from "./core/host/localSshAccess";
import { connectionOf, type SshAccess } from "./sshConnection";

export interface MailServerArgs {
  cfg: MailConfig;
  topology: Topology;
}

export class MailServer extends pulumi.ComponentResource {
  readonly ipv4: pulumi.Output<string>;
  /** The ::1 of the VM's /64: AAAA, PTR and outbound mail all use exactly this address. */
  readonly ipv6: pulumi.Output<string>;
  readonly ssh: SshAccess;
  /** `ssh-ed25519 AAAA...` of the deploy key; it must stay in root's authorized_keys. */
  readonly deployPublicKey: pulumi.Output<string>;
  /** `<ip> ssh-ed25519 AAAA...`: the line LocalSshAccess writes, exported for operators' own ssh. */
  readonly knownHostsLine: pulumi.Output<string>;
  /** Resolves once cloud-init finished: Docker runs and /srv/mail is mounted. */
  readonly ready: command.remote.Command;

  constructor(name: string, args: MailServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:MailServer", name, {}, opts);
    const { cfg } = args;
    const child = { parent: this };
    const labels = { "managed-by": "pulumi-mailstack", "mail-host": cfg.hostname.replace(/\./g, "-") };

    const deployKey = new tls.PrivateKey("deploy-key", { algorithm: "ED25519" }, child);
    const hostKey = new tls.PrivateKey("ssh-host-key", { algorithm: "ED25519" }, child);
    const sshKey = new hcloud.SshKey("deploy-key", { name: `${cfg.hostname} deploy`, publicKey: deployKey.publicKeyOpenssh, labels }, child);

    // autoDelete false: the addresses (and their PTR and DNS records) outlive a server rebuild.
    const ip4 = new hcloud.PrimaryIp(
      "ipv4",
      { name: `${cfg.hostname}-v4`, type: "ipv4", assigneeType: "server", autoDelete: false, location: cfg.server.location, labels },
      child,
    );
    const ip6 = new hcloud.PrimaryIp(
      "ipv6",
      { name: `${cfg.hostname}-v6`, type: "ipv6", assigneeType: "server", autoDelete: false, location: cfg.server.location, labels },
      child,
    );
    this.ipv4 = ip4.ipAddress;
    this.ipv6 = pulumi.all([ip6.ipNetwork, ip6.ipAddress]).apply(([net, addr]) => mailIpv6Address(net || addr));

    // All mail and databases live here; a stack destroy or a server replacement must never lose it.
    const volume = new hcloud.Volume(
      "mail-data",
      { name: `${cfg.hostname.replace(/\./g, "-")}-data`, size: cfg.server.volumeSizeGb, location: cfg.server.location, format: "ext4", deleteProtection: true, labels },
      { ...child, protect: true, retainOnDelete: true },
    );

    const userData = pulumi
      .all([hostKey.privateKeyOpenssh, hostKey.publicKeyOpenssh, volume.id, this.ipv6])
      .apply(([priv, pub, volumeId, ipv6]) => cloudInitUserData(cfg, { hostKeyPrivateOpenssh: priv, hostKeyPublicOpenssh: pub, volumeId, ipv6Address: ipv6 }));

    const server = new hcloud.Server(
      "mail-host",
      {
        name: cfg.hostname,
        serverType: cfg.server.type,
        image: cfg.server.image,
        location: cfg.server.location,
        sshKeys: [sshKey.id],
        userData,
        publicNets: [{ ipv4Enabled: true, ipv4: ip4.id.apply(Number), ipv6Enabled: true, ipv6: ip6.id.apply(Number) }],
        labels,
      },
      // Changing either would rebuild the VM; later changes are pushed over SSH instead.
      { ...child, ignoreChanges: ["userData", "sshKeys"] },
    );
    const serverId = server.id.apply(Number);

    const attachment = new hcloud.VolumeAttachment("mail-data", { serverId, volumeId: volume.id.apply(Number), automount: false }, child);

    const firewall = new hcloud.Firewall(
      "mail-host",
      {
        name: `${cfg.hostname}-firewall`,
        rules: inboundRules(cfg, args.topology).map((r) => ({ direction: r.direction, protocol: r.protocol, port: r.port, sourceIps: r.sourceIps, description: r.description })),
        labels,
      },
      child,
    );
    new hcloud.FirewallAttachment("mail-host", { firewallId: firewall.id.apply(Number), serverIds: [serverId] }, child);

    // Rdns by primary IP: the PTR follows the address, not the server, so it survives a rebuild.
    new hcloud.Rdns("ptr-ipv4", { primaryIpId: ip4.id.apply(Number), ipAddress: this.ipv4, dnsPtr: cfg.hostname }, child);
    new hcloud.Rdns("ptr-ipv6", { primaryIpId: ip6.id.apply(Number), ipAddress: this.ipv6, dnsPtr: cfg.hostname }, child);

    this.ssh = { host: this.ipv4, privateKey: deployKey.privateKeyOpenssh, hostKey: hostKey.publicKeyOpenssh.apply((k) => k.trim()) };
    this.deployPublicKey = deployKey.publicKeyOpenssh.apply((k) => k.trim());
    this.knownHostsLine = pulumi.all([this.ipv4, this.ssh.hostKey]).apply(([ip, key]) => knownHostsLine(ip, key));

    this.ready = new command.remote.Command(
      "cloud-init-done",
      {
        connection: connectionOf(this.ssh),
        create: `cloud-init status --wait >/dev/null || true; cloud-init status | grep -q 'status: done' && mountpoint -q ${VOLUME_MOUNT} && docker info >/dev/null`,
        triggers: [server.id],
      },
      { ...child, dependsOn: [attachment] },
    );

    this.registerOutputs({ ipv4: this.ipv4, ipv6: this.ipv6 });
  }
}
