// The VM's Docker daemon settings, as plain data. The service network (productionTopology.network)
// has a private ULA IPv6 range: the VM source-NATs it to the mail host's IPv6 address
// (files/cloud-init/ipv6-egress.sh), and Docker's ip6tables DNATs published ports back to it
// without the userland proxy, so Postfix and Dovecot see real client addresses over IPv6 as over
// IPv4. Pure constants.

/** /etc/docker/daemon.json on the VM. */
export const DOCKER_DAEMON_CONFIG = {
  // The userland proxy would make every client appear to come from the bridge gateway: SPF,
  // rate limits and mynetworks would all see one internal address.
  "userland-proxy": false,
  ipv6: true,
  "fixed-cidr-v6": "fd00:6d61:696c:ffff::/64",
  // Docker 26.1 (Debian 13) still needs experimental for ip6tables (the default from 27.0);
  // without it published ports are unreachable over IPv6 once the userland proxy is off.
  experimental: true,
  ip6tables: true,
  "log-driver": "local",
  "log-opts": { "max-size": "20m", "max-file": "5" },
} as const;
