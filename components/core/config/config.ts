// The customer's configuration: the schema of everything under the `mailstack:` namespace of a
// Pulumi stack file, and the validation that turns raw stack values into a typed, normalised
// MailConfig. Every problem is collected and reported at once with its config path and what would
// be valid. Pure: no Pulumi, no I/O; the Pulumi entry, the renderer, the local runner and the
// customer tool all call `parseMailConfig`.
import { z } from "zod";
import { cidr, hostName, mailAddress, sizeInBytes, zoneOf } from "./names";

export const CONFIG_NAMESPACE = "mailstack";

/** Keys read from stack config, each `mailstack:<key>`. Secrets are read separately. */
export const CONFIG_KEYS = [
  "hostname",
  "acmeEmail",
  "dkimSelector",
  "server",
  "ssh",
  "domains",
  "mailboxes",
  "aliases",
  "relay",
] as const;

const text = (what: string) => z.string({ error: `must be ${what}` });

const dmarcSchema = z.strictObject({
  policy: z.enum(["none", "quarantine", "reject"], {
    error: 'must be one of "none", "quarantine", "reject"',
  }),
  reportTo: text("the mail address that receives aggregate DMARC reports (rua)"),
  /** Percentage of failing mail the policy applies to. */
  percent: z.number().int().min(1).max(100).optional(),
});

const domainSchema = z.strictObject({
  name: text("the mail domain, such as example.com"),
  /** Cloudflare zone name; defaults to the domain itself. */
  zone: text("the Cloudflare zone name").optional(),
  /** Cloudflare zone id (32 hex characters, from the zone's overview page). */
  zoneId: z.string().regex(/^[0-9a-f]{32}$/, {
    error: "must be the 32-character hex zone id from the Cloudflare dashboard (zone overview page)",
  }),
  dmarc: dmarcSchema,
  mtaSts: z
    .strictObject({
      mode: z.enum(["testing", "enforce"], { error: 'must be "testing" or "enforce"' }),
      maxAgeDays: z.number().int().min(1).max(365).optional(),
    })
    .optional(),
  tlsRptTo: text("the mail address that receives TLS reports").optional(),
});

const mailboxSchema = z.strictObject({
  address: text("the mailbox address, such as alice@example.com"),
  name: text("the display name").optional(),
  quota: z.union([z.string(), z.number()], { error: "must be a size such as 2G or 500M" }).optional(),
  aliases: z.array(z.string()).optional(),
  /** false keeps the mailbox and its mail but refuses login and delivery. */
  enabled: z.boolean().optional(),
});

const aliasSchema = z.strictObject({
  /** An address, or "@domain" for a catch-all. */
  from: text('an address or "@domain" for a catch-all'),
  to: z.array(z.string()).min(1, { error: "needs at least one target address" }),
});

const rawSchema = z.strictObject({
  hostname: text("the mail host name, such as mail.example.com"),
  acmeEmail: text("the ACME account contact address (Let's Encrypt account notices)"),
  dkimSelector: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, {
      error: "must be one DNS label (letters, digits, hyphens), such as mail2026",
    })
    .optional(),
  server: z
    .strictObject({
      type: z.string().regex(/^[a-z0-9-]+$/, { error: "must be a Hetzner server type such as cx23" }).optional(),
      location: z
        .string()
        .regex(/^[a-z]+[0-9]*$/, { error: "must be a Hetzner location such as fsn1, nbg1, hel1, ash" })
        .optional(),
      image: z.string().optional(),
      volumeSizeGb: z.number().int().min(10, { error: "must be at least 10 (GB)" }).max(10240).optional(),
    })
    .optional(),
  ssh: z.strictObject({
    adminKeys: z
      .array(
        z.string().regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/, {
          error: "must be an OpenSSH public key line (ssh-ed25519 AAAA... comment)",
        }),
      )
      .min(1, { error: "needs at least one admin SSH public key" }),
    allowFrom: z.array(z.string()).min(1, { error: "needs at least one source range for SSH, such as 203.0.113.0/24" }),
  }),
  domains: z.array(domainSchema).min(1, { error: "is empty; list at least one mail domain" }),
  mailboxes: z.array(mailboxSchema).optional(),
  aliases: z.array(aliasSchema).optional(),
  relay: z
    .strictObject({
      host: text("the relay host name"),
      port: z.number().int().min(1).max(65535).optional(),
      username: text("the relay user name").optional(),
      /** SPF include of the relay provider, such as spf.relay.example. */
      spfInclude: text("the relay provider's SPF include domain").optional(),
    })
    .optional(),
});

export type RawMailConfig = z.input<typeof rawSchema>;

export interface DomainConfig {
  name: string;
  zone: string;
  zoneId: string;
  dmarc: { policy: "none" | "quarantine" | "reject"; reportTo: string; percent: number };
  mtaSts: { mode: "testing" | "enforce"; maxAgeDays: number };
  tlsRptTo: string;
}

export interface MailboxConfig {
  address: string;
  domain: string;
  name: string;
  quotaBytes: number;
  aliases: string[];
  enabled: boolean;
}

export interface AliasConfig {
  /** Address, or "@domain" for a catch-all. */
  from: string;
  domain: string;
  catchAll: boolean;
  to: string[];
}

export interface RelayConfig {
  host: string;
  port: number;
  username: string;
  spfInclude?: string;
}

export interface MailConfig {
  hostname: string;
  acmeEmail: string;
  dkimSelector: string;
  server: { type: string; location: string; image: string; volumeSizeGb: number };
  ssh: { adminKeys: string[]; allowFrom: string[] };
  domains: DomainConfig[];
  mailboxes: MailboxConfig[];
  aliases: AliasConfig[];
  relay?: RelayConfig;
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

function configPath(path: readonly PropertyKey[]): string {
  const [key, ...rest] = path;
  let out = `${CONFIG_NAMESPACE}:${String(key ?? "")}`;
  for (const p of rest) out += typeof p === "number" ? `[${p}]` : `.${String(p)}`;
  return out;
}

/** Parses raw stack values; `hasRelayPassword` says whether the secret `mailstack:relayPassword` is set. */
export function parseMailConfig(raw: unknown, opts: { hasRelayPassword: boolean }): MailConfig {
  const parsed = rawSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.flatMap((i) => {
        if (i.code === "unrecognized_keys") {
          return i.keys.map(
            (k) => `${configPath([...i.path, k])}: unknown setting; check the spelling against the README's configuration reference`,
          );
        }
        if (i.code === "invalid_type" && i.input === undefined) {
          return `${configPath(i.path)}: is required; ${i.message}`;
        }
        return `${configPath(i.path)}: ${i.message}`;
      }),
    );
  }
  return normalise(parsed.data, opts.hasRelayPassword);
}

function normalise(raw: z.output<typeof rawSchema>, hasRelayPassword: boolean): MailConfig {
  const problems: string[] = [];
  const problem = (path: (string | number)[], message: string): void => {
    problems.push(`${configPath(path)}: ${message}`);
  };

  const host = hostName(raw.hostname);
  if (!host.ok) problem(["hostname"], host.reason);
  const acme = mailAddress(raw.acmeEmail);
  if (!acme.ok) problem(["acmeEmail"], acme.reason);

  const domains: DomainConfig[] = [];
  const domainNames = new Set<string>();
  raw.domains.forEach((d, i) => {
    const name = hostName(d.name);
    if (!name.ok) return problem(["domains", i, "name"], name.reason);
    if (domainNames.has(name.value)) {
      return problem(["domains", i, "name"], `"${name.value}" is listed twice; list each domain once`);
    }
    domainNames.add(name.value);
    let zone = name.value;
    if (d.zone !== undefined) {
      const z = hostName(d.zone);
      if (!z.ok) problem(["domains", i, "zone"], z.reason);
      else if (zoneOf(name.value, [z.value]) === undefined) {
        problem(["domains", i, "zone"], `zone "${z.value}" does not contain the domain "${name.value}"`);
      } else zone = z.value;
    }
    const report = mailAddress(d.dmarc.reportTo);
    if (!report.ok) problem(["domains", i, "dmarc", "reportTo"], report.reason);
    const tlsRpt = mailAddress(d.tlsRptTo ?? d.dmarc.reportTo);
    if (!tlsRpt.ok) problem(["domains", i, "tlsRptTo"], tlsRpt.reason);
    domains.push({
      name: name.value,
      zone,
      zoneId: d.zoneId,
      dmarc: { policy: d.dmarc.policy, reportTo: report.ok ? report.value.address : "", percent: d.dmarc.percent ?? 100 },
      mtaSts: {
        mode: d.mtaSts?.mode ?? DEFAULTS.mtaStsMode,
        maxAgeDays: d.mtaSts?.maxAgeDays ?? DEFAULTS.mtaStsMaxAgeDays,
      },
      tlsRptTo: tlsRpt.ok ? tlsRpt.value.address : "",
    });
  });

  if (host.ok && domains.length > 0 && zoneOf(host.value, domains.map((d) => d.zone)) === undefined) {
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

  const mailboxes: MailboxConfig[] = [];
  (raw.mailboxes ?? []).forEach((m, i) => {
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
      enabled: m.enabled ?? true,
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
    al.to.forEach((t, j) => {
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

  let relay: RelayConfig | undefined;
  if (raw.relay !== undefined) {
    const rh = hostName(raw.relay.host);
    if (!rh.ok) problem(["relay", "host"], rh.reason);
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
      host: rh.ok ? rh.value : "",
      port: raw.relay.port ?? DEFAULTS.relayPort,
      username: raw.relay.username ?? "",
      spfInclude,
    };
  }

  const allowFrom: string[] = [];
  raw.ssh.allowFrom.forEach((r, i) => {
    const c = cidr(r);
    if (!c.ok) return problem(["ssh", "allowFrom", i], c.reason);
    if (c.value.endsWith("/0")) {
      return problem(["ssh", "allowFrom", i], `"${r}" opens SSH to the whole internet; list your office or bastion ranges`);
    }
    allowFrom.push(c.value);
  });

  if (problems.length > 0) throw new ConfigError(problems);
  // Sorted so that reordering the stack file never changes a resource input.
  return {
    hostname: host.ok ? host.value : "",
    acmeEmail: acme.ok ? acme.value.address : "",
    dkimSelector: raw.dkimSelector ?? DEFAULTS.dkimSelector,
    server: {
      type: raw.server?.type ?? DEFAULTS.serverType,
      location: raw.server?.location ?? DEFAULTS.location,
      image: raw.server?.image ?? DEFAULTS.image,
      volumeSizeGb: raw.server?.volumeSizeGb ?? DEFAULTS.volumeSizeGb,
    },
    ssh: { adminKeys: [...raw.ssh.adminKeys].sort(), allowFrom: [...new Set(allowFrom)].sort() },
    domains: domains.sort(byName((d) => d.name)),
    mailboxes: mailboxes
      .map((m) => ({ ...m, aliases: [...m.aliases].sort() }))
      .sort(byName((m) => m.address)),
    aliases: aliases.map((a) => ({ ...a, to: [...a.to].sort() })).sort(byName((a) => a.from)),
    relay,
  };
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
