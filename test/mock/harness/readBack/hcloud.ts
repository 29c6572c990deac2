// What the Hetzner Cloud provider behind @pulumi/hcloud 1.41.0 stores when it reads a resource
// back, and which input changes replace it. Sources: hetznercloud/terraform-provider-hcloud
// v1.66.1 (the version pulumi-hcloud pins in its newest commit available here; 1.41.0 itself
// could not be matched to an upstream tag), internal/<resource>/*.go as cited per rule, and
// pulumi-hcloud's schema.json (willReplaceOnChanges) for the SDKv2 resources. Pure.
import { createHash } from "node:crypto";
import { setEqual, type Props, type ResourceModel } from "./model";

const echo = (inputs: Props, computed: Props): Props => ({ ...inputs, ...computed });

export const sshKey: ResourceModel = {
  // internal/sshkey/common.go populateResourceData stores the API's public_key. The API stores
  // keys trimmed (Hetzner Cloud API behaviour stated in issue 10; Hetzner's own
  // kubernetes-dev-env#216 "fix: trim newline on public key"); the trimming itself is API-side and
  // cannot be read from the provider source.
  readBack: (inputs, computed) => ({ ...inputs, ...computed, publicKey: typeof inputs.publicKey === "string" ? inputs.publicKey.trim() : inputs.publicKey }),
  computed: ["fingerprint"],
  // internal/sshkey/resource.go: public_key has stringplanmodifier.RequiresReplace().
  replaceOnChanges: ["publicKey"],
  optionalComputed: ["labels"],
};

export const primaryIp: ResourceModel = {
  // internal/primaryip/model.go FromAPI: assignee_type is what the API returns ("server"),
  // assignee_id 0 while unassigned; auto_delete and delete_protection default false.
  readBack: (inputs, computed) => ({ autoDelete: false, deleteProtection: false, ...inputs, assigneeType: "server", assigneeId: inputs.assigneeId ?? 0, ...computed }),
  computed: ["ipAddress", "ipNetwork"],
  // internal/primaryip/resource.go: type, location and datacenter RequiresReplace.
  replaceOnChanges: ["type", "location", "datacenter"],
  optionalComputed: ["assigneeId", "assigneeType", "location", "datacenter", "labels"],
  planned: { autoDelete: (n) => n ?? false, deleteProtection: (n) => n ?? false },
  // internal/primaryip/resource.go ValidateConfig: assignee_type without assignee_id.
  warnings: (inputs) =>
    inputs.assigneeType !== undefined && inputs.assigneeId === undefined
      ? ["assigneeType: Unused Attribute: This attribute is now optional and is only required together with the assignee_id attribute. Please remove it from your configuration."]
      : [],
};

/** internal/server/resource.go userDataHashSum: the state keeps a SHA-1 of the user data. */
const userDataHash = (u: unknown) => (typeof u === "string" ? createHash("sha1").update(u).digest("base64") : u);

export const server: ResourceModel = {
  // getServerAttributes: name, server_type, location, labels and the official image name as the
  // API reports them; public_net is not read back (the configured one stays); user_data through
  // its StateFunc (a hash).
  readBack: (inputs, computed) => ({
    backups: false,
    deleteProtection: false,
    rebuildProtection: false,
    keepDisk: false,
    shutdownBeforeDeletion: false,
    ...inputs,
    userData: userDataHash(inputs.userData),
    ...computed,
  }),
  computed: ["ipv4Address", "ipv6Address", "ipv6Network", "status", "primaryDiskSize", "backupWindow"],
  // schema.json hcloud:index/server:Server willReplaceOnChanges (resource.go ForceNew).
  replaceOnChanges: ["datacenter", "image", "location", "sshKeys", "userData"],
  optionalComputed: ["image", "location", "datacenter", "firewallIds"],
  planned: { userData: (n) => userDataHash(n) },
  changed: { publicNets: (o, n) => !setEqual(o, n) },
};

export const volume: ResourceModel = {
  // internal/volume/resource.go getVolumeAttributes: name, size, location, labels, linux_device,
  // delete_protection, server_id once attached; format and automount are not read back.
  readBack: echo,
  computed: ["linuxDevice"],
  // resource.go: only location is ForceNew; size is resized in place (Volume.Resize).
  replaceOnChanges: ["location"],
  optionalComputed: ["location", "serverId"],
  // Hetzner Cloud API reference, Resize Volume: "Note that downsizing a Volume is not possible."
  errors: (old, next) =>
    typeof old.size === "number" && typeof next.size === "number" && next.size < old.size
      ? [`volume ${String(old.name)}: Hetzner cannot shrink a volume (${old.size} GB to ${next.size} GB)`]
      : [],
};

export const volumeAttachment: ResourceModel = {
  readBack: echo,
  computed: [],
  // resource_attachment.go: volume_id and server_id are ForceNew.
  replaceOnChanges: ["serverId", "volumeId"],
  optionalComputed: ["automount"],
};

/** internal/firewall/resource.go normalizeIP (StateFunc on source_ips): every address as a CIDR. */
function normaliseIp(ip: string): string {
  if (ip.includes("/")) return ip.toLowerCase();
  return ip.includes(":") ? `${ip.toLowerCase()}/128` : `${ip}/32`;
}
const normaliseRule = (r: unknown) => {
  const rule = r as Props;
  return {
    direction: rule.direction,
    protocol: rule.protocol,
    port: rule.port,
    description: rule.description,
    sourceIps: [...((rule.sourceIps as string[] | undefined) ?? [])].map(normaliseIp).sort(),
    destinationIps: [...((rule.destinationIps as string[] | undefined) ?? [])].map(normaliseIp).sort(),
  };
};

export const firewall: ResourceModel = {
  // toTFRule / getFirewallAttributes: rules from the API, addresses as CIDRs; rule is a TypeSet.
  readBack: (inputs, computed) => ({ ...inputs, rules: ((inputs.rules as unknown[] | undefined) ?? []).map(normaliseRule), ...computed }),
  computed: [],
  replaceOnChanges: [],
  optionalComputed: ["labels", "applyTos"],
  changed: { rules: (o, n) => !setEqual(o, n, normaliseRule) },
};

export const firewallAttachment: ResourceModel = {
  readBack: echo,
  computed: [],
  // attachment_resource.go: firewall_id is ForceNew; server_ids and label_selectors are sets.
  replaceOnChanges: ["firewallId"],
  changed: { serverIds: (o, n) => !setEqual(o, n), labelSelectors: (o, n) => !setEqual(o, n) },
};

export const rdns: ResourceModel = {
  // internal/rdns/model.go FromAPI: ip_address as net.IP.String(); the others as configured.
  readBack: echo,
  computed: [],
  // internal/rdns/resource.go: server_id, primary_ip_id, floating_ip_id, load_balancer_id and
  // ip_address RequiresReplace; dns_ptr is updated in place.
  replaceOnChanges: ["serverId", "primaryIpId", "floatingIpId", "loadBalancerId", "ipAddress"],
};
