// The customer's configuration: the schema of everything under the `mailstack:` namespace of a
// Pulumi stack file, and the validation that turns raw stack values into a typed, normalised
// MailConfig. Every problem is collected in one pass (a value of the wrong type is reported and
// set aside, and the rules about everything else still run) and reported at once, each with its
// config path, what was found and what would be valid. Pure: no Pulumi, no I/O; the Pulumi entry,
// the renderer, the local runner and the customer tool all call `parseMailConfig`.
import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { bansSchema, limitsSchema, mailboxLimitsSchema, mailboxSendLimits, normaliseBans, normaliseLimits, type BansConfig, type LimitsConfig, type SendLimits } from "./abuse";
import { sourceRange, sshExposureProblems, type SourceRange } from "./cidr";
import { adoptionProblems } from "../dns/zoneConflicts";
import { deliverabilityProblems, implicitAbuseAliases } from "./deliverability";
import { configPath as pathText, describeIssue, prune, type ConfigPath } from "./issues";
import { hostName, mailAddress, sizeInBytes, zoneOf } from "./names";
import { alertsSchema, backupSchema, normaliseOperations, reportsSchema, type OperationsConfig, type RawOperations } from "./operations";
import { sshPublicKey } from "./sshKeys";
import { CONFIG_KEYS, CONFIG_NAMESPACE } from "./stackValues";

export { CONFIG_KEYS, CONFIG_NAMESPACE };

const text = (what: string) => z.string({ error: `must be ${what}` });
const wholeNumber = (min: number, max: number, what: string) => {
  const error = `must be ${what}, a whole number from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const list = <T extends z.ZodType>(item: T, what: string) => z.array(item, { error: `must be a list of ${what}` });
const mapping = <T extends z.core.$ZodLooseShape>(shape: T, what: string) => z.strictObject(shape, { error: `must be a mapping with ${what}` });

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Record types the stack writes, hence the only ones an `adopt` entry can name. */
export const ADOPTABLE_TYPES = ["A", "AAAA", "CAA", "MX", "SRV", "TXT"] as const;

const dmarcSchema = mapping(
  {
    policy: z.enum(["none", "quarantine", "reject"], { error: 'must be one of "none", "quarantine", "reject"' }),
    reportTo: text("the mail address that receives aggregate DMARC reports (rua)"),
    /** Percentage of failing mail the policy applies to. */
    percent: wholeNumber(1, 100, "the DMARC percentage (pct)").optional(),
  },
  "policy and reportTo",
);

const domainSchema = mapping(
  {
    name: text("the mail domain, such as example.com"),
    /** Cloudflare zone name; defaults to the domain itself. */
    zone: text("the Cloudflare zone name").optional(),
    /** Cloudflare zone id (32 hex characters, from the zone's overview page). */
    zoneId: z.string({ error: "must be the 32-character hex zone id from the Cloudflare dashboard (zone overview page)" }).regex(/^[0-9a-f]{32}$/, {
      error: "must be the 32-character hex zone id from the Cloudflare dashboard (zone overview page)",
    }),
    dmarc: dmarcSchema,
    mtaSts: mapping(
      {
        mode: z.enum(["testing", "enforce"], { error: 'must be "testing" or "enforce"' }),
        maxAgeDays: wholeNumber(1, 365, "the MTA-STS max_age in days").optional(),
      },
      "mode and maxAgeDays",
    ).optional(),
    tlsRptTo: text("the mail address that receives TLS reports").optional(),
    /** true: Cloudflare signs the domain's zone (DNSSEC); the DS record for the registrar is a stack output. */
    dnssec: z.boolean({ error: "must be true (Cloudflare signs the zone; give the registrar the DS record from the dnssecDsRecords output) or false" }).optional(),
    /** false while the domain's mail still goes to its old provider: MX, SPF and MTA-STS are held back. */
    cutover: z.boolean({ error: "must be true (mail for the domain comes here) or false (still moving: MX, SPF and MTA-STS stay with the old provider)" }).optional(),
    /** Existing Cloudflare records the stack takes over: "<name> <type>" -> record id. */
    adopt: z
      .record(
        z.string(),
        z.string({ error: "must be the 32-character hex Cloudflare record id" }).regex(/^[0-9a-f]{32}$/, { error: "must be the 32-character hex Cloudflare record id" }),
        { error: 'must be a mapping of "<record name> <type>" to a Cloudflare record id' },
      )
      .optional(),
  },
  "name, zoneId and dmarc",
);

const mailboxSchema = mapping(
  {
    address: text("the mailbox address, such as alice@example.com"),
    name: text("the display name").optional(),
    quota: z.union([z.string(), z.number()], { error: "must be a size such as 2G or 500M" }).optional(),
    aliases: list(text("an address of this mailbox's own domains"), "addresses").optional(),
    /** false keeps the mailbox and its mail but refuses login and delivery. */
    enabled: z.boolean({ error: "must be true or false" }).optional(),
    /** This mailbox's own sending limits over mailstack:limits.send (abuse.ts). */
    limits: mailboxLimitsSchema,
  },
  "address (and optionally name, quota, aliases, enabled, limits)",
);

const aliasSchema = mapping(
  {
    /** An address, or "@domain" for a catch-all. */
    from: text('an address or "@domain" for a catch-all'),
    to: list(text("a target address"), "target addresses").min(1, { error: "needs at least one target address" }),
  },
  "from and to",
);

const rawSchema = z.strictObject({
  hostname: text("the mail host name, such as mail.example.com"),
  acmeEmail: text("the ACME account contact address (a mailbox, alias or listed external address)"),
  dkimSelector: text("one DNS label (letters, digits, hyphens), such as mail2026")
    .regex(DNS_LABEL, { error: "must be one DNS label (letters, digits, hyphens), such as mail2026" })
    .optional(),
  dkimPrevious: list(
    mapping(
      {
        selector: text("the DKIM selector that signed before, such as mail2026").regex(DNS_LABEL, {
          error: "must be one DNS label (letters, digits, hyphens), such as mail2026",
        }),
        until: text('the last day its record stays published, as "YYYY-MM-DD"').regex(/^\d{4}-\d{2}-\d{2}$/, {
          error: 'must be the last day its record stays published, as "YYYY-MM-DD", such as "2027-01-31"',
        }),
      },
      "selector and until",
    ),
    "earlier DKIM selectors (selector and until)",
  ).optional(),
  server: mapping(
    {
      type: text("a Hetzner server type such as cx23").regex(/^[a-z0-9-]+$/, { error: "must be a Hetzner server type such as cx23" }).optional(),
      location: text("a Hetzner location such as fsn1, nbg1, hel1, ash")
        .regex(/^[a-z]+[0-9]*$/, { error: "must be a Hetzner location such as fsn1, nbg1, hel1, ash" })
        .optional(),
      image: text("a Hetzner image name such as debian-13").optional(),
      volumeSizeGb: wholeNumber(10, 10240, "the data volume size in GB").optional(),
    },
    "type, location, image and volumeSizeGb",
  ).optional(),
  /** An existing Docker host instead of the Hetzner VM (see ExistingHostConfig). */
  host: mapping(
    {
      docker: text("the Docker engine's address, such as unix:///var/run/docker.sock"),
      dataDir: text("an absolute folder on the host, such as /srv/mail"),
      ipv4: text("the host's public IPv4 address"),
      ipv6: text("the host's public IPv6 address").optional(),
      dns: z.enum(["cloudflare", "zoneFile"], { error: 'must be "cloudflare" or "zoneFile"' }).optional(),
    },
    "docker, dataDir, ipv4 (and optionally ipv6, dns)",
  ).optional(),
  // Required for the Hetzner VM, unused on an existing host: normalise() enforces it.
  ssh: mapping(
    {
      adminKeys: list(text("an OpenSSH public key line (ssh-ed25519 AAAA... comment)"), "OpenSSH public key lines").min(1, {
        error: "needs at least one admin SSH public key",
      }),
      allowFrom: list(text("a CIDR range such as 203.0.113.0/24"), "CIDR ranges").min(1, {
        error: "needs at least one source range for SSH, such as 203.0.113.0/24",
      }),
    },
    "adminKeys and allowFrom",
  ).optional(),
  domains: list(domainSchema, "mail domains").min(1, { error: "needs at least one mail domain" }),
  mailboxes: list(mailboxSchema, "mailboxes").optional(),
  aliases: list(aliasSchema, "aliases").optional(),
  relay: mapping(
    {
      host: text("the relay host name"),
      port: wholeNumber(1, 65535, "the relay's TCP port").optional(),
      username: text("the relay user name").optional(),
      /** SPF include of the relay provider, such as spf.relay.example. */
      spfInclude: text("the relay provider's SPF include domain").optional(),
    },
    "host, username (and optionally port, spfInclude)",
  ).optional(),
  externalReportAddresses: list(text("a mail address outside the customer's domains"), "mail addresses").optional(),
  limits: limitsSchema,
  bans: bansSchema,
  // Operations (components/core/config/operations.ts): backups, alerts, DMARC reports.
  backup: backupSchema.optional(),
  alerts: alertsSchema.optional(),
  reports: reportsSchema.optional(),
});

export type RawMailConfig = z.input<typeof rawSchema>;

/** Every field optional and every list entry possibly missing: what is left after bad values are set aside. */
type Loose<T> = T extends (infer U)[] ? (Loose<U> | undefined)[] : T extends object ? { [K in keyof T]?: Loose<T[K]> } : T;
type LooseRaw = Loose<z.output<typeof rawSchema>>;

export interface DomainConfig {
  name: string;
  zone: string;
  zoneId: string;
  dmarc: { policy: "none" | "quarantine" | "reject"; reportTo: string; /** @default DEFAULTS.dmarcPercent (100) */ percent: number };
  mtaSts: { mode: "testing" | "enforce"; maxAgeDays: number };
  tlsRptTo: string;
  /** @default DEFAULTS.dnssec (false); true signs the domain's Cloudflare zone. */
  dnssec: boolean;
  /** @default DEFAULTS.cutover (true); false holds back MX, SPF and the MTA-STS id. */
  cutover: boolean;
  /** "<name> <TYPE>" -> Cloudflare record id of an existing record to import. */
  adopt: Record<string, string>;
}

export interface MailboxConfig {
  address: string;
  domain: string;
  name: string;
  quotaBytes: number;
  aliases: string[];
  /** @default DEFAULTS.mailboxEnabled (true) */
  enabled: boolean;
  /** What this mailbox may send: mailstack:limits.send with its own limits over it. */
  sendLimits: SendLimits;
}

export interface AliasConfig {
  /** Address, or "@domain" for a catch-all. */
  from: string;
  domain: string;
  catchAll: boolean;
  to: string[];
  /** Added by the stack (abuse@ -> postmaster@), not written in the stack file. */
  implicit?: true;
}

export interface RelayConfig {
  host: string;
  port: number;
  username: string;
  spfInclude?: string;
}

/**
 * An existing server with a Docker engine, used instead of the Hetzner VM: the same containers,
 * files and database steps, no Hetzner resources. The engine is reached at `docker` from the
 * machine that runs `pulumi up`; today that must be its own engine (`unix://`), because the
 * steps that write files and run commands on the host run there (components/hostCommand.ts).
 */
export interface ExistingHostConfig {
  /** `unix:///path/to/docker.sock` (podman's Docker-compatible service works too). */
  docker: string;
  /** Absolute host folder that holds every bind-mounted folder (the VM's /srv/mail). */
  dataDir: string;
  /** Public addresses the A and AAAA records name. */
  ipv4: string;
  ipv6?: string;
  /** @default DEFAULTS.hostDns ("cloudflare"); "zoneFile": no DNS resources, a `zoneFile` stack output instead. */
  dns: "cloudflare" | "zoneFile";
}

/** A DKIM selector that signed before the current one: its record stays published until `until`. */
export interface PreviousDkimKey {
  selector: string;
  /** The last day (YYYY-MM-DD) its record should stay; the operator (or tools/dkim) removes the entry after it. */
  until: string;
}

export interface MailConfig extends OperationsConfig {
  hostname: string;
  acmeEmail: string;
  dkimSelector: string;
  /** Earlier selectors whose keys stay published (not used for signing), sorted by selector. */
  dkimPrevious: PreviousDkimKey[];
  server: { type: string; location: string; image: string; volumeSizeGb: number };
  /** Set: deploy onto this existing host instead of a Hetzner VM. */
  host?: ExistingHostConfig;
  /** adminKeys: normalised key lines; allowFrom: network addresses (host bits cleared). */
  ssh: { adminKeys: string[]; allowFrom: string[] };
  domains: DomainConfig[];
  mailboxes: MailboxConfig[];
  aliases: AliasConfig[];
  relay?: RelayConfig;
  externalReportAddresses: string[];
  /** @default LIMIT_DEFAULTS (abuse.ts) */
  limits: LimitsConfig;
  /** @default BAN_DEFAULTS (abuse.ts) */
  bans: BansConfig;
}

export const DEFAULTS = {
  dkimSelector: "mail",
  quota: "2G",
  serverType: "cx23",
  location: "fsn1",
  image: "debian-13",
  volumeSizeGb: 20,
  relayPort: 587,
  mtaStsMode: "testing" as const,
  mtaStsMaxAgeDays: 7,
  dmarcPercent: 100,
  mailboxEnabled: true,
  cutover: true,
  hostDns: "cloudflare" as const,
  dnssec: false,
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `The mail stack configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Something the parser changed on the operator's behalf (a CIDR's host bits); worth saying, not refusing. */
export type ParseNotice = string;

export interface ParseOptions {
  /** Whether the secret `mailstack:relayPassword` is set. */
  hasRelayPassword: boolean;
  /**
   * Secrets set for the stack (`mailstack:<key>`), by key; only their presence is judged. Every
   * reader of a stack file passes it (index.ts, the stack file loaders, the local runner); without
   * it the backup secrets are not judged.
   */
  secretsSet?: ReadonlySet<string>;
  /** Problems the stack file reader found with the keys (misspelt namespaces); reported with the rest. */
  keyProblems?: readonly string[];
  /** Receives notices; index.ts logs them as warnings, the tools print them. */
  notice?: (n: ParseNotice) => void;
}

const configPath = (path: ConfigPath) => pathText(CONFIG_NAMESPACE, path);

/** The settings allowed at a path of the schema, for "did you mean" on an unknown key. */
function keysAt(path: ConfigPath): readonly string[] {
  let s: z.ZodType = rawSchema;
  for (const p of path) {
    while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodObject && typeof p === "string") s = (s.shape as Record<string, z.ZodType>)[p];
    if (s === undefined) return [];
  }
  while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodArray) s = s.element as z.ZodType;
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** Parses raw stack values into a MailConfig, or throws a ConfigError listing every problem. */
export function parseMailConfig(raw: unknown, opts: ParseOptions): MailConfig {
  const problems: string[] = [...(opts.keyProblems ?? [])];
  const root = raw !== null && typeof raw === "object" ? raw : {};
  const parsed = rawSchema.safeParse(root);
  let data: LooseRaw;
  if (parsed.success) data = parsed.data;
  else {
    for (const issue of parsed.error.issues) problems.push(...describeIssue(issue, root, CONFIG_NAMESPACE, keysAt));
    data = prune(root, parsed.error.issues) as LooseRaw;
  }
  const notices: ParseNotice[] = [];
  const hadSsh = (root as Record<string, unknown>).ssh !== undefined;
  const cfg = normalise(data, opts.hasRelayPassword, problems, notices, opts.secretsSet, hadSsh);
  if (problems.length > 0) throw new ConfigError(problems);
  for (const n of notices) opts.notice?.(n);
  return cfg;
}

function normalise(
  raw: LooseRaw,
  hasRelayPassword: boolean,
  problems: string[],
  notices: ParseNotice[],
  secretsSet: ReadonlySet<string> | undefined,
  hadSsh: boolean,
): MailConfig {
  const problem = (path: (string | number)[], message: string): void => {
    problems.push(`${configPath(path)}: ${message}`);
  };

  const host = raw.hostname === undefined ? undefined : hostName(raw.hostname);
  if (host !== undefined && !host.ok) problem(["hostname"], host.reason);
  const acme = raw.acmeEmail === undefined ? undefined : mailAddress(raw.acmeEmail);
  if (acme !== undefined && !acme.ok) problem(["acmeEmail"], acme.reason);

  type CheckedDomain = DomainConfig & { rawIndex: number; tlsRptExplicit: boolean };
  const domains: CheckedDomain[] = [];
  const domainNames = new Set<string>();
  (raw.domains ?? []).forEach((d, i) => {
    if (d === undefined || d.name === undefined) return;
    const name = hostName(d.name);
    if (!name.ok) return problem(["domains", i, "name"], name.reason);
    if (domainNames.has(name.value)) {
      return problem(["domains", i, "name"], `"${name.value}" is listed twice; list each domain once`);
    }
    domainNames.add(name.value);
    let zone = name.value;
    if (d.zone !== undefined) {
      const zn = hostName(d.zone);
      if (!zn.ok) problem(["domains", i, "zone"], zn.reason);
      else if (zoneOf(name.value, [zn.value]) === undefined) {
        problem(["domains", i, "zone"], `zone "${zn.value}" does not contain the domain "${name.value}"`);
      } else zone = zn.value;
    }
    const reportTo = d.dmarc?.reportTo === undefined ? undefined : mailAddress(d.dmarc.reportTo);
    if (reportTo !== undefined && !reportTo.ok) problem(["domains", i, "dmarc", "reportTo"], reportTo.reason);
    const tlsInput = d.tlsRptTo ?? d.dmarc?.reportTo;
    const tlsRpt = tlsInput === undefined ? undefined : mailAddress(tlsInput);
    if (d.tlsRptTo !== undefined && tlsRpt !== undefined && !tlsRpt.ok) problem(["domains", i, "tlsRptTo"], tlsRpt.reason);
    const adopt: Record<string, string> = {};
    for (const [key, id] of Object.entries(d.adopt ?? {})) {
      if (id === undefined) continue;
      const m = /^(\S+)\s+(\S+)$/.exec(key.trim());
      const type = m?.[2].toUpperCase();
      // Record names, not host names: _dmarc, _domainkey and SRV labels start with "_". Written in
      // punycode, as the refusal that suggests the entry prints them.
      const recordName = m?.[1].toLowerCase().replace(/\.$/, "");
      if (recordName === undefined || !/^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/.test(recordName) || !(ADOPTABLE_TYPES as readonly string[]).includes(type!)) {
        problem(
          ["domains", i, "adopt", key],
          `"${key}" is not "<record name> <type>"; write the full name and one of ${ADOPTABLE_TYPES.join(", ")}, such as "${name.value} MX"`,
        );
        continue;
      }
      adopt[`${recordName} ${type}`] = id;
    }
    domains.push({
      name: name.value,
      zone,
      zoneId: d.zoneId ?? "",
      dmarc: {
        policy: d.dmarc?.policy ?? "none",
        reportTo: reportTo?.ok ? reportTo.value.address : "",
        percent: d.dmarc?.percent ?? DEFAULTS.dmarcPercent,
      },
      mtaSts: {
        mode: d.mtaSts?.mode ?? DEFAULTS.mtaStsMode,
        maxAgeDays: d.mtaSts?.maxAgeDays ?? DEFAULTS.mtaStsMaxAgeDays,
      },
      tlsRptTo: tlsRpt?.ok ? tlsRpt.value.address : "",
      cutover: d.cutover ?? DEFAULTS.cutover,
      dnssec: d.dnssec ?? DEFAULTS.dnssec,
      adopt,
      rawIndex: i,
      tlsRptExplicit: d.tlsRptTo !== undefined,
    });
  });

  if (host?.ok && domains.length > 0 && zoneOf(host.value, domains.map((d) => d.zone)) === undefined) {
    problem(
      ["hostname"],
      `"${host.value}" is outside every configured zone (${domains.map((d) => d.zone).join(", ")}); ` +
        "the host's A/AAAA records must live in one of them, e.g. mail." + domains[0].zone,
    );
  }

  const localDomain = (path: (string | number)[], input: string) => {
    const a = mailAddress(input);
    if (!a.ok) {
      problem(path, a.reason);
      return undefined;
    }
    // With no valid domain at all, that one problem is the fix; naming every address would bury it.
    if (domainNames.size === 0) return undefined;
    if (!domainNames.has(a.value.domain)) {
      problem(
        path,
        `"${a.value.address}" is in the domain "${a.value.domain}", which is not in mailstack:domains (${[...domainNames].join(", ")}); add the domain or fix the address`,
      );
      return undefined;
    }
    return a.value;
  };

  // Every local address (mailbox, mailbox alias, alias source) is owned by exactly one entry.
  const owner = new Map<string, string>();
  const claim = (address: string, path: (string | number)[], what: string): boolean => {
    const prior = owner.get(address);
    if (prior !== undefined) {
      problem(path, `"${address}" ${what}, but it is already ${prior}; each address may be defined once`);
      return false;
    }
    owner.set(address, `${what.replace(/^is /, "")} at ${configPath(path)}`);
    return true;
  };

  // Deliverability is judged only on addresses that all parsed: a broken entry would otherwise
  // show up twice, as itself and as every report address it was meant to receive.
  const problemsBeforeAddresses = problems.length;
  const limits = normaliseLimits(raw.limits, problem);
  const mailboxes: MailboxConfig[] = [];
  (raw.mailboxes ?? []).forEach((m, i) => {
    if (m === undefined || m.address === undefined) return;
    const a = localDomain(["mailboxes", i, "address"], m.address);
    const quota = sizeInBytes(m.quota ?? DEFAULTS.quota);
    if (!quota.ok) problem(["mailboxes", i, "quota"], quota.reason);
    if (a === undefined) return;
    if (owner.has(a.address) && owner.get(a.address)!.startsWith("a mailbox")) {
      return problem(["mailboxes", i, "address"], `duplicate mailbox "${a.address}" (already ${owner.get(a.address)}); list each mailbox once`);
    }
    if (!claim(a.address, ["mailboxes", i, "address"], "is a mailbox")) return;
    const aliases: string[] = [];
    (m.aliases ?? []).forEach((al, j) => {
      if (al === undefined) return;
      const aa = localDomain(["mailboxes", i, "aliases", j], al);
      if (aa === undefined) return;
      if (claim(aa.address, ["mailboxes", i, "aliases", j], `is an alias of mailbox ${a.address}`)) aliases.push(aa.address);
    });
    mailboxes.push({
      address: a.address,
      domain: a.domain,
      name: m.name ?? a.local,
      quotaBytes: quota.ok ? quota.value : 0,
      aliases,
      enabled: m.enabled ?? DEFAULTS.mailboxEnabled,
      sendLimits: mailboxSendLimits(limits.send, m.limits, i, problem),
    });
  });
  // Mailbox aliases claimed above may collide with mailboxes listed later; report them as shadows.
  for (const m of mailboxes) {
    for (const al of m.aliases) {
      if (mailboxes.some((o) => o.address === al)) {
        problems.push(`alias "${al}" of mailbox ${m.address} shadows the mailbox of the same address; remove one of them`);
      }
    }
  }

  const aliases: AliasConfig[] = [];
  (raw.aliases ?? []).forEach((al, i) => {
    if (al === undefined || al.from === undefined) return;
    const path = ["aliases", i, "from"];
    let from: string;
    let domain: string;
    const catchAll = al.from.trim().startsWith("@");
    if (catchAll) {
      const d = hostName(al.from.trim().slice(1));
      if (!d.ok) return problem(path, d.reason);
      if (!domainNames.has(d.value)) {
        return problem(path, `catch-all "@${d.value}" is for a domain not in mailstack:domains; add the domain or fix it`);
      }
      from = `@${d.value}`;
      domain = d.value;
    } else {
      const a = localDomain(path, al.from);
      if (a === undefined) return;
      from = a.address;
      domain = a.domain;
    }
    const prior = owner.get(from);
    if (prior !== undefined) {
      const kind = prior.startsWith("a mailbox") ? "shadows" : "duplicates";
      return problem(path, `alias "${from}" ${kind} ${prior}; an alias may not reuse an existing address`);
    }
    owner.set(from, `an alias at ${configPath(path)}`);
    const to: string[] = [];
    (al.to ?? []).forEach((t, j) => {
      if (t === undefined) return;
      const a = mailAddress(t);
      if (!a.ok) return problem(["aliases", i, "to", j], a.reason);
      to.push(a.value.address);
    });
    aliases.push({ from, domain, catchAll, to: [...new Set(to)] });
  });

  // Alias targets inside our domains must resolve to something, and never back to themselves.
  const aliasTargets = new Map(aliases.map((a) => [a.from, a.to]));
  const mailboxAddresses = new Set(mailboxes.flatMap((m) => [m.address, ...m.aliases]));
  aliases.forEach((al, i) => {
    al.to.forEach((t, j) => {
      const domain = t.slice(t.lastIndexOf("@") + 1);
      if (domainNames.has(domain) && !mailboxAddresses.has(t) && !aliasTargets.has(t) && !aliasTargets.has(`@${domain}`)) {
        problem(["aliases", i, "to", j], `"${t}" is in a local domain but is no mailbox or alias; add it as a mailbox or fix the address`);
      }
    });
    const loop = findLoop(al.from, aliasTargets);
    if (loop !== undefined && loop[0] === al.from) {
      problem(["aliases", i], `alias loop: ${loop.join(" -> ")}; mail would circle until it bounces. Point one of them at a mailbox`);
    }
  });
  const allAliases = [...aliases, ...implicitAbuseAliases([...domainNames], mailboxes, aliases)];

  const external: string[] = [];
  (raw.externalReportAddresses ?? []).forEach((e, i) => {
    if (e === undefined) return;
    const a = mailAddress(e);
    if (!a.ok) return problem(["externalReportAddresses", i], a.reason);
    if (domainNames.has(a.value.domain)) {
      return problem(
        ["externalReportAddresses", i],
        `"${a.value.address}" is in the customer's own domain ${a.value.domain}; only addresses elsewhere belong here (make a local one a mailbox or alias)`,
      );
    }
    external.push(a.value.address);
  });
  const addressesParsed = problems.length === problemsBeforeAddresses;
  for (const p of !addressesParsed ? [] : deliverabilityProblems({
    domains,
    mailboxes,
    aliases: allAliases,
    acmeEmail: acme?.ok ? acme.value.address : undefined,
    external,
  })) {
    problem(p.path, p.message);
  }

  let relay: RelayConfig | undefined;
  if (raw.relay !== undefined) {
    const rh = raw.relay.host === undefined ? undefined : hostName(raw.relay.host);
    if (rh !== undefined && !rh.ok) problem(["relay", "host"], rh.reason);
    if (raw.relay.username === undefined || !hasRelayPassword) {
      problem(
        ["relay"],
        "a relay host needs credentials: set mailstack:relay.username and the secret " +
          "(pulumi config set --secret mailstack:relayPassword <password>)",
      );
    }
    let spfInclude: string | undefined;
    if (raw.relay.spfInclude !== undefined) {
      const s = hostName(raw.relay.spfInclude);
      if (!s.ok) problem(["relay", "spfInclude"], s.reason);
      else spfInclude = s.value;
    }
    relay = {
      host: rh?.ok ? rh.value : "",
      port: raw.relay.port ?? DEFAULTS.relayPort,
      username: raw.relay.username ?? "",
      spfInclude,
    };
  }

  const adminKeys: string[] = [];
  (raw.ssh?.adminKeys ?? []).forEach((k, i) => {
    if (k === undefined) return;
    const key = sshPublicKey(k);
    if (!key.ok) return problem(["ssh", "adminKeys", i], key.reason);
    adminKeys.push(key.value.line);
  });

  const ranges: SourceRange[] = [];
  const rangeIndex = new Map<SourceRange, number>();
  (raw.ssh?.allowFrom ?? []).forEach((r, i) => {
    if (r === undefined) return;
    const c = sourceRange(r);
    if (!c.ok) return problem(["ssh", "allowFrom", i], c.reason);
    if (c.value.normalisedFrom !== undefined) {
      notices.push(
        `${configPath(["ssh", "allowFrom", i])}: "${c.value.normalisedFrom}" has host bits set; using ${c.value.cidr}, ` +
          `the whole range it lies in. Write ${c.value.cidr} to say so, or the address alone (/32, /128) to allow only it`,
      );
    }
    ranges.push(c.value);
    rangeIndex.set(c.value, i);
  });
  for (const p of sshExposureProblems(ranges)) {
    problem(p.range !== undefined ? ["ssh", "allowFrom", rangeIndex.get(p.range)!] : ["ssh", "allowFrom"], p.message);
  }

  const existingHost = checkedHost(raw.host, problem);
  if (raw.host !== undefined && raw.server !== undefined) {
    problem(["server"], "is for the Hetzner VM; with mailstack:host (an existing host) there is no server to size or place: remove one of the two");
  }
  if (raw.host === undefined && !hadSsh) problem(["ssh"], "is required; must be a mapping with adminKeys and allowFrom (the VM's root logins and who may reach port 22)");

  const dkimSelector = raw.dkimSelector ?? DEFAULTS.dkimSelector;
  const dkimPrevious: PreviousDkimKey[] = [];
  (raw.dkimPrevious ?? []).forEach((k, i) => {
    if (k === undefined || k.selector === undefined || k.until === undefined) return;
    if (k.selector === dkimSelector) {
      return problem(["dkimPrevious", i, "selector"], `"${k.selector}" is the current dkimSelector; list only selectors that signed before it`);
    }
    if (dkimPrevious.some((p) => p.selector === k.selector)) {
      return problem(["dkimPrevious", i, "selector"], `"${k.selector}" is listed twice; list each earlier selector once`);
    }
    if (Number.isNaN(Date.parse(`${k.until}T00:00:00Z`))) return problem(["dkimPrevious", i, "until"], `"${k.until}" is not a date; write "YYYY-MM-DD"`);
    dkimPrevious.push({ selector: k.selector, until: k.until });
  });
  // One zone, one DNSSEC setting: two domains in a zone that disagree cannot both be right.
  for (const d of domains) {
    const other = domains.find((o) => o.zone === d.zone && o.dnssec !== d.dnssec);
    if (other !== undefined && d.dnssec) {
      problem(["domains", d.rawIndex, "dnssec"], `zone ${d.zone} also holds ${other.name}, which says dnssec: ${other.dnssec}; DNSSEC is per zone, set the same on both`);
    }
  }
  // DNSSEC is switched on at Cloudflare; a zone file is published by the operator's own DNS, so
  // there the setting does nothing: said, not refused (the rest of the stack is unaffected).
  if (raw.host?.dns === "zoneFile") {
    for (const d of domains.filter((x) => x.dnssec)) {
      notices.push(
        `${configPath(["domains", d.rawIndex, "dnssec"])}: DNSSEC is turned on at Cloudflare, but with host.dns "zoneFile" this stack writes no DNS; ` +
          `sign ${d.zone} where you publish the zone file (dnssecDsRecords stays empty)`,
      );
    }
  }

  // Sorted so that reordering the stack file never changes a resource input.
  const cfg: MailConfig = {
    hostname: host?.ok ? host.value : "",
    acmeEmail: acme?.ok ? acme.value.address : "",
    dkimSelector,
    dkimPrevious: dkimPrevious.sort(byName((k) => k.selector)),
    server: {
      type: raw.server?.type ?? DEFAULTS.serverType,
      location: raw.server?.location ?? DEFAULTS.location,
      image: raw.server?.image ?? DEFAULTS.image,
      volumeSizeGb: raw.server?.volumeSizeGb ?? DEFAULTS.volumeSizeGb,
    },
    ...(existingHost !== undefined ? { host: existingHost } : {}),
    ssh: { adminKeys: [...new Set(adminKeys)].sort(), allowFrom: [...new Set(ranges.map((r) => r.cidr))].sort() },
    domains: domains.map(({ rawIndex: _i, tlsRptExplicit: _t, ...d }) => d).sort(byName((d) => d.name)),
    mailboxes: mailboxes
      .map((m) => ({ ...m, aliases: [...m.aliases].sort() }))
      .sort(byName((m) => m.address)),
    aliases: allAliases.map((a) => ({ ...a, to: [...a.to].sort() })).sort(byName((a) => a.from)),
    relay,
    externalReportAddresses: [...new Set(external)].sort(),
    limits,
    bans: normaliseBans(raw.bans, problem),
    ...normaliseOperations(raw as RawOperations, { acmeEmail: acme?.ok ? acme.value.address : "", secretsSet }, problem),
  };
  // Adopt entries can only be judged against the records a complete, valid config writes.
  if (problems.length === 0) {
    for (const a of adoptionProblems(cfg)) problem(["domains", domains.find((d) => d.name === a.domain)!.rawIndex, "adopt", a.key], a.message);
  }
  return cfg;
}

/** The `host` mapping checked: supported engine address, absolute data folder, real addresses. */
function checkedHost(raw: LooseRaw["host"], problem: (path: (string | number)[], message: string) => void): ExistingHostConfig | undefined {
  if (raw === undefined) return undefined;
  let ok = true;
  const bad = (key: string, message: string) => {
    ok = false;
    problem(["host", key], message);
  };
  const docker = raw.docker ?? "";
  if (raw.docker !== undefined) {
    if (docker.startsWith("ssh://") || docker.startsWith("tcp://")) {
      bad(
        "docker",
        `found "${docker}"; only the engine of the machine that runs \`pulumi up\` is supported for now (unix:///var/run/docker.sock): ` +
          "the steps that write files and run commands on the host run there (a remote host would need them over SSH)",
      );
    } else if (!/^unix:\/\/\/[A-Za-z0-9._\/-]+$/.test(docker)) {
      bad("docker", `found "${docker}"; must be unix:// and an absolute socket path, such as unix:///var/run/docker.sock`);
    }
  }
  const dataDir = (raw.dataDir ?? "").replace(/\/+$/, "");
  if (raw.dataDir !== undefined && !/^\/[A-Za-z0-9._\/-]*[A-Za-z0-9._-]$/.test(dataDir)) {
    bad("dataDir", `found "${raw.dataDir}"; must be an absolute folder of letters, digits, ".", "_", "-" and "/", such as /srv/mail`);
  }
  const address = (key: "ipv4" | "ipv6", value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    const valid = key === "ipv4" ? ipaddr.IPv4.isValidFourPartDecimal(value) : ipaddr.IPv6.isValid(value) && !value.includes("%");
    if (!valid) {
      bad(key, `found "${value}"; must be an ${key === "ipv4" ? "IPv4" : "IPv6"} address`);
      return undefined;
    }
    // The canonical spelling (RFC 5952 for IPv6), as the records will carry it.
    return key === "ipv4" ? value : ipaddr.IPv6.parse(value).toRFC5952String();
  };
  const ipv4 = address("ipv4", raw.ipv4);
  const ipv6 = address("ipv6", raw.ipv6);
  if (!ok || raw.docker === undefined || raw.dataDir === undefined || ipv4 === undefined) return undefined;
  return { docker, dataDir, ipv4, ...(ipv6 !== undefined ? { ipv6 } : {}), dns: raw.dns ?? DEFAULTS.hostDns };
}

function byName<T>(key: (t: T) => string) {
  return (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

function findLoop(start: string, targets: Map<string, string[]>): string[] | undefined {
  const walk = (at: string, path: string[]): string[] | undefined => {
    for (const next of targets.get(at) ?? []) {
      if (next === start) return [...path, next];
      if (path.includes(next)) continue;
      const found = walk(next, [...path, next]);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk(start, [start]);
}
