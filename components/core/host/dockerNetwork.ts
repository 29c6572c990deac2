// The one Docker network all mail containers share, as plain data. Its IPv6 range is a private
// ULA: the VM source-NATs it to the mail host's IPv6 address (files/cloud-init/ipv6-egress.sh),
// and Docker's ip6tables DNATs published ports back to it without the userland proxy, so
// Postfix and Dovecot see real client addresses over IPv6 as over IPv4. Pure constants.

export const MAIL_NETWORK = {
  name: "mailstack",
  ipv4Subnet: "172.30.25.0/24",
  ipv6Subnet: "fd00:6d61:696c:19::/64",
} as const;

/** /etc/docker/daemon.json on the VM. */
export const DOCKER_DAEMON_CONFIG = {
  // The userland proxy would make every client appear to come from the bridge gateway: SPF,
  // rate limits and mynetworks would all see one internal address.
  "userland-proxy": false,
  ipv6: true,
  "fixed-cidr-v6": "fd00:6d61:696c:ffff::/64",
  // Docker 20.10 (Debian 12) needs experimental for ip6tables; without it published ports are
  // unreachable over IPv6 once the userland proxy is off.
  experimental: true,
  ip6tables: true,
  "log-driver": "local",
  "log-opts": { "max-size": "20m", "max-file": "5" },
} as const;
