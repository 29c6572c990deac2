// Rule (c): the Hetzner firewall opens only the mail stack's documented inbound ports, and SSH
// never to the whole internet. Outbound rules are not checked (Hetzner allows all outbound when
// none are given, and delivery needs it).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { HCLOUD_FIREWALL } from "./types";

/** SMTP 25, submissions 465, submission 587, IMAPS 993, IMAP 143, ManageSieve 4190, HTTP(S) 80/443, SSH 22. */
export const ALLOWED_INBOUND_PORTS: readonly number[] = [22, 25, 80, 143, 443, 465, 587, 993, 4190];
const WORLD = new Set(["0.0.0.0/0", "::/0", "0.0.0.0", "::"]);

interface Rule {
  direction?: string;
  protocol?: string;
  port?: string;
  sourceIps?: string[];
}

/** The ports a Hetzner `port` value opens: "25", "80-85" or "any"; undefined means all. */
function portsOf(port: string | undefined): number[] | "all" {
  if (port === undefined || port === "any") return "all";
  const m = /^(\d+)(?:-(\d+))?$/.exec(port.trim());
  if (m === null) return "all";
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (to - from > 65535) return "all";
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

export const firewallPorts: ResourceValidationPolicy = {
  name: "mail-firewall-ports",
  description:
    `Inbound firewall rules may open only TCP/UDP ${ALLOWED_INBOUND_PORTS.join(", ")} and ICMP; ` +
    "SSH (22) only from listed ranges, never 0.0.0.0/0 or ::/0.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== HCLOUD_FIREWALL) return;
    const rules = (args.props.rules ?? []) as Rule[];
    rules.forEach((r, i) => {
      if (r.direction !== "in") return;
      const where = `firewall ${args.name} rule ${i} (${r.protocol ?? "?"} ${r.port ?? "all ports"})`;
      if (r.protocol === "icmp") return;
      if (r.protocol !== "tcp" && r.protocol !== "udp") {
        return reportViolation(`${where}: protocol "${r.protocol ?? ""}" is not used by the mail stack; remove the rule.`);
      }
      const ports = portsOf(r.port);
      if (ports === "all") {
        return reportViolation(`${where}: opens every port; open single ports from ${ALLOWED_INBOUND_PORTS.join(", ")}.`);
      }
      const extra = ports.filter((p) => !ALLOWED_INBOUND_PORTS.includes(p));
      if (extra.length > 0) {
        const shown = extra.length > 5 ? `${extra.slice(0, 5).join(", ")}, ...` : extra.join(", ");
        reportViolation(`${where}: opens port(s) ${shown}, outside the mail stack's set ${ALLOWED_INBOUND_PORTS.join(", ")}.`);
      }
      const world = (r.sourceIps ?? []).filter((s) => WORLD.has(s.trim()));
      if (ports.includes(22) && world.length > 0) {
        reportViolation(`${where}: SSH is open to ${world.join(" and ")}; allow only the ranges in mailstack:ssh.allowFrom.`);
      }
    });
  },
};
