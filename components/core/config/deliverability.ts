// Which configured addresses actually receive mail, and the rule that the addresses other people
// write to must: the report addresses (DMARC `rua`, TLS-RPT, the ACME contact) and, for every
// domain, postmaster@ (RFC 5321 4.5.1: MUST) and abuse@ (RFC 2142 2). An address outside the
// customer's domains is accepted only when listed in `externalReportAddresses`, so a typo in a
// domain cannot send reports to a stranger.
//
// Compared with the mail servers we learn from: docker-mailserver (POSTMASTER_ADDRESS, default
// postmaster@$DOMAINNAME, target/scripts/startup/variables-stack.sh) and Mailu (POSTMASTER, one
// address for the whole server, docs/compose/setup.rst: "vitally important that ... a user ...
// exists, or ... an alias") only document that postmaster must exist; mailcow does not check it
// either. We refuse the config instead, per domain, because a missing postmaster fails silently
// (mail to it bounces and nobody notices). Unlike all three we also route abuse@ by default: when a
// domain has no abuse@ and no catch-all, it goes to that domain's postmaster (an implicit alias,
// listed in the normalised config like any other), so RFC 2142 holds without extra typing.
// Pure: no Pulumi, no I/O.
import type { AliasConfig, DomainConfig, MailboxConfig } from "./config";

export interface AddressCheck {
  path: (string | number)[];
  message: string;
}

export interface DeliverabilityInput {
  domains: readonly (DomainConfig & { rawIndex: number; tlsRptExplicit: boolean })[];
  mailboxes: readonly MailboxConfig[];
  aliases: readonly AliasConfig[];
  acmeEmail?: string;
  /** Normalised addresses of `externalReportAddresses`. */
  external: readonly string[];
}

const domainOf = (a: string) => a.slice(a.lastIndexOf("@") + 1);

/** abuse@<domain> -> postmaster@<domain> for every domain where nothing else delivers abuse@. */
export function implicitAbuseAliases(domains: readonly string[], mailboxes: readonly MailboxConfig[], aliases: readonly AliasConfig[]): AliasConfig[] {
  const defined = new Set([...mailboxes.flatMap((m) => [m.address, ...m.aliases]), ...aliases.map((a) => a.from)]);
  return domains
    .filter((d) => !defined.has(`abuse@${d}`) && !defined.has(`@${d}`))
    .map((d) => ({ from: `abuse@${d}`, domain: d, catchAll: false, to: [`postmaster@${d}`], implicit: true }));
}

/** Why mail to `address` reaches nobody, or undefined when some enabled mailbox or external target gets it. */
export function undeliverableReason(
  address: string,
  local: ReadonlySet<string>,
  mailboxes: readonly MailboxConfig[],
  aliases: readonly AliasConfig[],
): string | undefined {
  const byAddress = new Map<string, MailboxConfig>();
  for (const m of mailboxes) for (const a of [m.address, ...m.aliases]) byAddress.set(a, m);
  const targets = new Map(aliases.map((a) => [a.from, a.to]));
  const reaches = (a: string, seen: Set<string>): boolean => {
    if (!local.has(domainOf(a))) return true; // forwarded out: the alias owner chose that target
    if (seen.has(a)) return false;
    seen.add(a);
    const m = byAddress.get(a);
    if (m !== undefined) return m.enabled;
    const to = targets.get(a) ?? targets.get(`@${domainOf(a)}`);
    return to !== undefined && to.some((t) => reaches(t, seen));
  };
  if (reaches(address, new Set())) return undefined;
  const m = byAddress.get(address);
  if (m !== undefined) return `is ${m.address === address ? "a" : `an alias of the`} disabled mailbox${m.address === address ? "" : ` ${m.address}`}`;
  if (targets.has(address)) return "is an alias, but none of its targets receives mail (disabled mailboxes only?)";
  if (targets.has(`@${domainOf(address)}`)) return `is only covered by the catch-all @${domainOf(address)}, whose targets receive no mail`;
  return `is no mailbox or alias, and ${domainOf(address)} has no catch-all`;
}

export function deliverabilityProblems(input: DeliverabilityInput): AddressCheck[] {
  const local = new Set(input.domains.map((d) => d.name));
  const external = new Set(input.external);
  const problems: AddressCheck[] = [];
  const check = (address: string, path: (string | number)[], role: string) => {
    if (!local.has(domainOf(address))) {
      if (!external.has(address)) {
        problems.push({
          path,
          message:
            `"${address}" (${role}) is outside the customer's domains (${[...local].join(", ")}); if reports really should ` +
            `leave this server, list it under mailstack:externalReportAddresses, otherwise fix the domain`,
        });
      }
      return;
    }
    const why = undeliverableReason(address, local, input.mailboxes, input.aliases);
    if (why !== undefined) {
      problems.push({
        path,
        message: `"${address}" (${role}) receives no mail: it ${why}. Make it a mailbox, or add an alias (aliases: - from: ${address}, to: [<a mailbox>])`,
      });
    }
  };
  if (input.acmeEmail !== undefined) check(input.acmeEmail, ["acmeEmail"], "the ACME account contact");
  for (const d of input.domains) {
    check(d.dmarc.reportTo, ["domains", d.rawIndex, "dmarc", "reportTo"], "DMARC aggregate reports");
    if (d.tlsRptExplicit) check(d.tlsRptTo, ["domains", d.rawIndex, "tlsRptTo"], "TLS-RPT reports");
    for (const [local_, rfc] of [["postmaster", "RFC 5321 requires it"], ["abuse", "RFC 2142 asks for it"]] as const) {
      // The implicit abuse@ alias follows postmaster@, whose own problem already says it all.
      if (input.aliases.some((a) => a.implicit === true && a.from === `${local_}@${d.name}`)) continue;
      const why = undeliverableReason(`${local_}@${d.name}`, local, input.mailboxes, input.aliases);
      if (why !== undefined) {
        problems.push({
          path: ["domains", d.rawIndex, "name"],
          message: `${local_}@${d.name} receives no mail (${rfc}): it ${why}. Add it as a mailbox or an alias to the person who reads it`,
        });
      }
    }
  }
  return problems;
}
