// Resource type tokens the guards inspect, as the providers register them (`__pulumiType` of
// @pulumi/cloudflare 6, @pulumi/hcloud 1, @pulumi/docker 5; a test checks them against the
// installed packages). Strings, not classes, so the pack never loads the provider SDKs.
export const DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord";
export const HCLOUD_VOLUME = "hcloud:index/volume:Volume";
export const HCLOUD_FIREWALL = "hcloud:index/firewall:Firewall";
export const DOCKER_CONTAINER = "docker:index/container:Container";
export const DOCKER_REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
