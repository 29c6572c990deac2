// Which provider model answers for which resource type token. A type the program registers but
// nobody modelled is an error, so a new resource type cannot slip past the read-back tests.
import * as cloudflare from "./cloudflare";
import * as commandModels from "./command";
import * as docker from "./docker";
import * as hcloud from "./hcloud";
import * as keys from "./keys";
import type { ResourceModel } from "./model";

const MODELS: Record<string, ResourceModel> = {
  "hcloud:index/sshKey:SshKey": hcloud.sshKey,
  "hcloud:index/primaryIp:PrimaryIp": hcloud.primaryIp,
  "hcloud:index/server:Server": hcloud.server,
  "hcloud:index/volume:Volume": hcloud.volume,
  "hcloud:index/volumeAttachment:VolumeAttachment": hcloud.volumeAttachment,
  "hcloud:index/firewall:Firewall": hcloud.firewall,
  "hcloud:index/firewallAttachment:FirewallAttachment": hcloud.firewallAttachment,
  "hcloud:index/rdns:Rdns": hcloud.rdns,
  "cloudflare:index/dnsRecord:DnsRecord": cloudflare.dnsRecord,
  "cloudflare:index/zoneDnssec:ZoneDnssec": cloudflare.zoneDnssec,
  "tls:index/privateKey:PrivateKey": keys.privateKey,
  "random:index/randomPassword:RandomPassword": keys.randomPassword,
  "command:remote:Command": commandModels.command,
  "command:local:Command": commandModels.localCommand,
  "pulumi-nodejs:dynamic/mailstack:HostCommand": commandModels.hostCommand,
  "docker:index/container:Container": docker.container,
  "docker:index/network:Network": docker.network,
  "docker:index/remoteImage:RemoteImage": docker.remoteImage,
  "pulumi:providers:docker": docker.provider,
};

export function modelFor(type: string): ResourceModel {
  const m = MODELS[type];
  if (m === undefined) throw new Error(`no read-back model for ${type}: add one under test/mock/harness/readBack/`);
  return m;
}

export { planChange, UNKNOWN, type PlannedChange, type Props } from "./model";
