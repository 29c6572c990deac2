// The Hetzner firewall's inbound rules as plain data: SSH only from the operator's ranges, the
// public mail and web ports from anywhere (IPv4 and IPv6), and ICMP for path MTU discovery and
// ping. Everything else inbound is dropped by Hetzner. Pure; the Server component attaches it.
import type { MailConfig } from "../config/config";
import type { Topology } from "../topology";

export interface InboundRule {
  direction: "in";
  protocol: "tcp" | "icmp";
  port?: string;
  sourceIps: string[];
  description: string;
}

const ANYWHERE = ["0.0.0.0/0", "::/0"];

export function inboundRules(cfg: MailConfig, topo: Topology): InboundRule[] {
  const p = topo.ports;
  const open = (port: number, description: string): InboundRule => ({
    direction: "in",
    protocol: "tcp",
    port: String(port),
    sourceIps: ANYWHERE,
    description,
  });
  return [
    { direction: "in", protocol: "tcp", port: "22", sourceIps: cfg.ssh.allowFrom, description: "SSH for operators and pulumi (mailstack:ssh.allowFrom)" },
    open(p.smtp, "SMTP: inbound mail from other servers"),
    open(p.submissions, "SMTP submission, implicit TLS"),
    open(p.submission, "SMTP submission, STARTTLS"),
    open(p.imaps, "IMAP, implicit TLS"),
    open(p.imap, "IMAP, STARTTLS"),
    open(p.sieve, "ManageSieve (filter rules)"),
    open(p.http, "HTTP: ACME challenges and redirect to HTTPS"),
    open(p.https, "HTTPS: webmail, MTA-STS policy, autoconfig"),
    { direction: "in", protocol: "icmp", sourceIps: ANYWHERE, description: "ICMP: ping and path MTU discovery" },
  ];
}

/** Ports the Docker containers publish, by service: only public services, never a database. */
export function publishedPorts(topo: Topology): Record<"postfix" | "dovecot" | "caddy", number[]> {
  const p = topo.ports;
  return {
    postfix: [p.smtp, p.submissions, p.submission],
    dovecot: [p.imaps, p.imap, p.sieve],
    caddy: [p.http, p.https],
  };
}
