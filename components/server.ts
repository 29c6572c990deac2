// The mail host itself: the Hetzner VM with its two primary IPs (which survive a rebuild), reverse
// DNS for both, the firewall, the data volume (protected, kept on delete, grown with its
// filesystem but never shrunk), the deploy and host SSH keys, and a command that waits until
// cloud-init has installed Docker and mounted the volume. A replaced server is deleted before
// its successor is created (name and primary IPs are held by the old one); `id` is its identity,
// which every VM-side step elsewhere depends on. It never touches DNS records, rendered files or
// containers, and installs no admin key itself (components/adminSshKeys.ts does, on every server).
import * as command from "@pulumi/command";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { cloudInitUserData } from "./core/host/cloudInit";
import { checkedVolumeSize, cloudInitReadyScript, growFilesystemScript } from "./core/host/hostSteps";
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
  /**
   * The Hetzner server id. Every step that lives on the VM puts it in its triggers (commands) or
   * labels (Docker resources): a replaced server has a new id, so all of them run again on it.
   */
  readonly id: pulumi.Output<string>;

  constructor(name: string, args: MailServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:MailServer", name, {}, opts);
    const { cfg } = args;
    const child = { parent: this };
    const labels = { "managed-by": "pulumi-mailstack", "mail-host": cfg.hostname.replace(/\./g, "-") };

    const deployKey = new tls.PrivateKey("deploy-key", { algorithm: "ED25519" }, child);
    const hostKey = new tls.PrivateKey("ssh-host-key", { algorithm: "ED25519" }, child);
    // Trimmed: tls ends the key with a newline (ssh.MarshalAuthorizedKey), Hetzner stores it trimmed,
    // and `public_key` forces replacement (internal/sshkey/resource.go, RequiresReplace): an untrimmed
    // key would be replaced on every `up`, and the API refuses the duplicate while the old one exists.
    const sshKey = new hcloud.SshKey(
      "deploy-key",
      { name: `${cfg.hostname} deploy`, publicKey: deployKey.publicKeyOpenssh.apply((k) => k.trim()), labels },
      child,
    );

    // autoDelete false: the addresses (and their PTR and DNS records) outlive a server rebuild.
    // No assigneeType: without an assigneeId the provider warns on every run that it is unused
    // (internal/primaryip/resource.go, ValidateConfig); the server's publicNets assigns them.
    const ip4 = new hcloud.PrimaryIp("ipv4", { name: `${cfg.hostname}-v4`, type: "ipv4", autoDelete: false, location: cfg.server.location, labels }, child);
    const ip6 = new hcloud.PrimaryIp("ipv6", { name: `${cfg.hostname}-v6`, type: "ipv6", autoDelete: false, location: cfg.server.location, labels }, child);
    this.ipv4 = ip4.ipAddress;
    this.ipv6 = pulumi.all([ip6.ipNetwork, ip6.ipAddress]).apply(([net, addr]) => mailIpv6Address(net || addr));

    // All mail and databases live here; a stack destroy or a server replacement must never lose it.
    // Its current size is read from Hetzner before the plan: a smaller configured size stops the
    // program with a clear message (the API cannot shrink a volume; the previous config is not
    // available to a program, the live volume is).
    const volumeName = `${cfg.hostname.replace(/\./g, "-")}-data`;
    const existing = hcloud.getVolumesOutput({ withSelector: Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",") }, child);
    const size = existing.volumes.apply((vs) => checkedVolumeSize(cfg.server.volumeSizeGb, (vs ?? []).find((v) => v.name === volumeName)?.size));
    const volume = new hcloud.Volume(
      "mail-data",
      { name: volumeName, size, location: cfg.server.location, format: "ext4", deleteProtection: true, labels },
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
      // Changing either would rebuild the VM; later changes are pushed over SSH instead. A
      // replacement keeps both as first deployed (Pulumi reuses ignored inputs). Delete before
      // replace: the old server holds the name and both primary IPs.
      { ...child, ignoreChanges: ["userData", "sshKeys"], deleteBeforeReplace: true },
    );
    this.id = server.id;
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
      { connection: connectionOf(this.ssh), create: "sh -s", stdin: cloudInitReadyScript(VOLUME_MOUNT), triggers: [server.id] },
      { ...child, dependsOn: [attachment] },
    );

    // Hetzner grows the block device, never the filesystem on it. Runs again on a new server too
    // (harmless: resize2fs finds nothing to do).
    new command.remote.Command(
      "grow-filesystem",
      { connection: connectionOf(this.ssh), create: "sh -s", stdin: volume.id.apply(growFilesystemScript), triggers: [volume.size, server.id] },
      { ...child, dependsOn: [this.ready] },
    );

    this.registerOutputs({ ipv4: this.ipv4, ipv6: this.ipv6 });
  }
}
