// Rule (c): the Hetzner firewall opens only the mail stack's documented inbound ports, and SSH
// never to the whole internet: not `/0`, and not ranges that add up to more than a /8 of IPv4 or
// a /16 of IPv6 (`0.0.0.0/1` + `128.0.0.0/1` is `/0` split in two). The limit and the arithmetic
// are the config validator's own (components/core/config/cidr.ts), so the two never disagree.
// Outbound rules are not checked (Hetzner allows all outbound when none are given, and delivery
// needs it).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { sourceRange, sshExposureProblems, WIDEST_SSH_PREFIX, type SourceRange } from "../../components/core/config/cidr";
import { HCLOUD_FIREWALL } from "./types";

/** SMTP 25, submissions 465, submission 587, IMAPS 993, IMAP 143, ManageSieve 4190, HTTP(S) 80/443, SSH 22. */
export const ALLOWED_INBOUND_PORTS: readonly number[] = [22, 25, 80, 143, 443, 465, 587, 993, 4190];

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
    `SSH (22) only from listed ranges: never 0.0.0.0/0 or ::/0, nor more addresses than a /${WIDEST_SSH_PREFIX[4]} (IPv4) or /${WIDEST_SSH_PREFIX[6]} (IPv6).`,
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
      if (!ports.includes(22)) return;
      const ranges: SourceRange[] = [];
      for (const s of r.sourceIps ?? []) {
        // "0.0.0.0" and "::" without a prefix are what Hetzner shows for the whole internet too.
        const parsed = sourceRange(s.trim() === "0.0.0.0" || s.trim() === "::" ? `${s.trim()}/0` : s);
        if (parsed.ok) ranges.push(parsed.value);
        else reportViolation(`${where}: source "${s}" is not an address range; SSH must list exact ranges.`);
      }
      for (const p of sshExposureProblems(ranges)) {
        reportViolation(`${where}: SSH is open too widely: ${p.message.replace(/[;.] list your office or bastion ranges$/i, "")}; allow only the ranges in mailstack:ssh.allowFrom.`);
      }
    });
  },
};
