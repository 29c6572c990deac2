// The text of a new customer's stack file: commented YAML an operator can read and edit, built
// from the operator's answers and the schema's DEFAULTS, and checked by the same parser and schema
// that `pulumi up` uses before anyone writes it. Pure: no file system, no Pulumi CLI; provider
// tokens and other secrets are never written here (they are added encrypted by `pulumi config
// set --secret`, see the file's header).
import { CONFIG_NAMESPACE, DEFAULTS, parseMailConfig, type MailConfig } from "../../components/core/config/config";
import { hostName, mailAddress } from "../../components/core/config/names";
import { parseStackYaml } from "../../components/core/config/stackFile";

export interface NewCustomer {
  name: string;
  /** The customer's first mail domain; may be internationalised (the schema converts it). */
  domain: string;
  zoneId: string;
  sshKeys: string[];
  sshFrom: string[];
  mailboxes: string[];
  acmeEmail?: string;
  location?: string;
  serverType?: string;
}

// JSON strings are valid YAML double-quoted scalars: no quoting rules to get wrong.
const q = (s: string): string => JSON.stringify(s);

/** The stack file text, or a ConfigError naming every field that would be invalid. */
export function customerStackFile(c: NewCustomer): { text: string; config: MailConfig } {
  // Written in the operator's spelling (readable), compared in the schema's (punycode), so that
  // postmaster@bücher.example given as a mailbox is recognised as the postmaster.
  const postmaster = `postmaster@${c.domain}`;
  const d = hostName(c.domain);
  const is = (local: string) => (m: string): boolean => {
    const a = mailAddress(m);
    return d.ok && a.ok && a.value.address === `${local}@${d.value}`;
  };
  // Someone must read postmaster@ (RFC 5321) and the reports: without --mailbox, a postmaster
  // mailbox is created (its password is in the mailboxPasswords output like any other);
  // with mailboxes, postmaster@ and abuse@ are aliases of the first one.
  const mailboxes = c.mailboxes.length > 0 ? c.mailboxes : [postmaster];
  const firstMailbox = mailboxes[0];
  const aliasTo = (local: string) => (mailboxes.some(is(local)) ? [] : [`    - from: ${q(`${local}@${c.domain}`)}`, `      to: [${q(firstMailbox)}]`]);
  const aliases = [...aliasTo("postmaster"), ...aliasTo("abuse")];
  // An ACME contact outside the customer's domains (the operator's own address) must be listed
  // as external, or the schema refuses it as a possible typo.
  const acme = c.acmeEmail === undefined ? undefined : mailAddress(c.acmeEmail);
  const acmeExternal = acme?.ok === true && d.ok && acme.value.domain !== d.value;
  const ns = CONFIG_NAMESPACE;
  const lines = [
    `# Mail stack for customer "${c.name}", created by \`npm run customer -- new\`.`,
    "# Every key is documented in the README's configuration reference.",
    "#",
    "# Before the first `pulumi up`, add the provider tokens as encrypted secrets (never in plain text):",
    `#   pulumi stack init ${c.name}            # once; adds the stack's encryption settings below`,
    `#   pulumi config set --secret hcloud:token --stack ${c.name}         # Hetzner Cloud project API token`,
    `#   pulumi config set --secret cloudflare:apiToken --stack ${c.name}  # Cloudflare token with DNS edit on the zone`,
    "config:",
    "  # The mail host: its A/AAAA, PTR and certificate name. Must be inside one of the domains' zones.",
    `  ${ns}:hostname: ${q(`mail.${c.domain}`)}`,
    "  # The ACME (Let's Encrypt) account contact. Let's Encrypt no longer sends expiry mail (since",
    "  # June 2025); the address is for account and policy notices.",
    `  ${ns}:acmeEmail: ${q(c.acmeEmail ?? postmaster)}`,
    ...(acmeExternal ? ["  # Report addresses outside the customer's domains, listed so a typo cannot send reports elsewhere.", `  ${ns}:externalReportAddresses: [${q(c.acmeEmail!)}]`] : []),
    "  # DKIM selector; change it to rotate the signing key.",
    `  ${ns}:dkimSelector: ${q(DEFAULTS.dkimSelector)}`,
    "  # Hetzner Cloud server. The volume holds all mail and databases and survives a rebuild.",
    `  ${ns}:server:`,
    `    type: ${q(c.serverType ?? DEFAULTS.serverType)}`,
    `    location: ${q(c.location ?? DEFAULTS.location)}`,
    `    image: ${q(DEFAULTS.image)}`,
    `    volumeSizeGb: ${DEFAULTS.volumeSizeGb}`,
    "  # SSH: admin public keys, and the only source ranges the firewall lets reach port 22.",
    `  ${ns}:ssh:`,
    "    adminKeys:",
    ...c.sshKeys.map((k) => `      - ${q(k)}`),
    "    allowFrom:",
    ...c.sshFrom.map((r) => `      - ${q(r)}`),
    "  # Mail domains. zoneId: Cloudflare dashboard -> the zone -> Overview -> API -> Zone ID.",
    `  ${ns}:domains:`,
    `    - name: ${q(c.domain)}`,
    `      zoneId: ${q(c.zoneId)}`,
    "      # Start with quarantine; move to reject once the DMARC reports show only this server sending.",
    "      dmarc:",
    `        policy: "quarantine"`,
    `        reportTo: ${q(postmaster)}`,
    "      # MTA-STS starts in testing mode; switch to enforce after a week of clean TLS reports.",
    "      mtaSts:",
    `        mode: ${q(DEFAULTS.mtaStsMode)}`,
    `        maxAgeDays: ${DEFAULTS.mtaStsMaxAgeDays}`,
    "  # Mailboxes. Removing one later disables it; its mail is kept.",
    `  ${ns}:mailboxes:`,
    ...mailboxes.map((m) => `    - address: ${q(m)}\n      quota: ${q(DEFAULTS.quota)}`),
    "  # Aliases: postmaster and abuse must reach a person (RFC 5321, RFC 2142); postmaster also",
    "  # receives the DMARC and TLS reports.",
    ...(aliases.length > 0 ? [`  ${ns}:aliases:`, ...aliases] : [`  ${ns}:aliases: []`]),
    "",
  ];
  const text = lines.join("\n");
  // The exact text that will be written is parsed back and validated, so the file can never
  // disagree with what `pulumi up` accepts.
  const { raw, hasRelayPassword, keyProblems } = parseStackYaml(text, `Pulumi.${c.name}.yaml`);
  const config = parseMailConfig(raw, { hasRelayPassword, keyProblems });
  return { text, config };
}
