// What an operator sees when the stack file is wrong: every problem at once, each with its
// config path and what would be valid. And what a correct file turns into.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "@jest/globals";
import { ConfigError, DEFAULTS, parseMailConfig, type RawMailConfig } from "../../components/core/config/config";

const ZONE_A = "0123456789abcdef0123456789abcdef";
const ZONE_B = "fedcba9876543210fedcba9876543210";
// A FIDO (security key) Ed25519 public key, built from its wire format (OpenSSH PROTOCOL.u2f):
// type, 32-byte key, application.
const wire = (...parts: Buffer[]) => Buffer.concat(parts.flatMap((p) => [Buffer.from([0, 0, 0, p.length]), p]));
const FIDO_ED25519 = `sk-ssh-ed25519@openssh.com ${wire(Buffer.from("sk-ssh-ed25519@openssh.com"), Buffer.alloc(32, 7), Buffer.from("ssh:")).toString("base64")} yubikey`;

function valid(): RawMailConfig & { ssh: NonNullable<RawMailConfig["ssh"]> } {
  return {
    hostname: "mail.example.com",
    acmeEmail: "postmaster@example.com",
    ssh: { adminKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0u3Lk2Y0y1p0cM9xq3Yb2oQ1u2Jw4H2b6w0y8Zk9mP ops@example"], allowFrom: ["203.0.113.0/24"] },
    domains: [
      { name: "example.com", zoneId: ZONE_A, dmarc: { policy: "quarantine", reportTo: "dmarc@example.com" } },
      { name: "example.org", zoneId: ZONE_B, dmarc: { policy: "reject", reportTo: "dmarc@example.com" } },
    ],
    mailboxes: [
      { address: "alice@example.com", name: "Alice", quota: "2G", aliases: ["a@example.com", "postmaster@example.com", "dmarc@example.com"] },
      { address: "bob@example.org", quota: "500M" },
    ],
    aliases: [
      { from: "info@example.com", to: ["alice@example.com", "bob@example.org"] },
      { from: "@example.org", to: ["bob@example.org"] },
    ],
  };
}

function problemsOf(raw: unknown, hasRelayPassword = false): string[] {
  try {
    parseMailConfig(raw, { hasRelayPassword });
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e.problems;
  }
  assert.fail("expected the configuration to be refused");
}

function onlyProblem(raw: unknown, hasRelayPassword = false): string {
  const p = problemsOf(raw, hasRelayPassword);
  assert.equal(p.length, 1, `expected one problem, got:\n${p.join("\n")}`);
  return p[0];
}

describe("a valid customer config", () => {
  it("normalises names, sizes and defaults", () => {
    const cfg = parseMailConfig(valid(), { hasRelayPassword: false });
    assert.equal(cfg.hostname, "mail.example.com");
    assert.equal(cfg.dkimSelector, "mail");
    assert.equal(cfg.mailboxes.find((m) => m.address === "alice@example.com")?.quotaBytes, 2 * 1024 ** 3);
    assert.equal(cfg.mailboxes.find((m) => m.address === "bob@example.org")?.quotaBytes, 500 * 1024 ** 2);
    assert.equal(cfg.mailboxes.find((m) => m.address === "bob@example.org")?.name, "bob");
    const catchAll = cfg.aliases.find((a) => a.catchAll);
    assert.equal(catchAll?.from, "@example.org");
    assert.equal(cfg.domains[0].zone, "example.com");
    assert.equal(cfg.domains[0].tlsRptTo, "dmarc@example.com");
  });

  it("accepts internationalised domains and converts them to punycode", () => {
    const raw = valid();
    raw.hostname = "mail.bücher.example";
    raw.acmeEmail = "postmaster@bücher.example";
    raw.domains = [{ name: "Bücher.example", zoneId: ZONE_A, dmarc: { policy: "none", reportTo: "dmarc@bücher.example" } }];
    raw.mailboxes = [{ address: "Anna@BÜCHER.example", aliases: ["postmaster@bücher.example", "dmarc@bücher.example"] }];
    raw.aliases = [];
    const cfg = parseMailConfig(raw, { hasRelayPassword: false });
    assert.equal(cfg.domains[0].name, "xn--bcher-kva.example");
    assert.equal(cfg.hostname, "mail.xn--bcher-kva.example");
    assert.equal(cfg.mailboxes[0].address, "anna@xn--bcher-kva.example");
  });

  it("gives the same result whatever order the lists are written in", () => {
    const a = valid();
    const b = valid();
    b.domains = [...b.domains!].reverse();
    b.mailboxes = [...b.mailboxes!].reverse();
    b.aliases = [...b.aliases!].reverse();
    assert.deepEqual(parseMailConfig(a, { hasRelayPassword: false }), parseMailConfig(b, { hasRelayPassword: false }));
  });
});

describe("bad input gets a clear message naming the field", () => {
  it("an address in a domain that is not configured", () => {
    const raw = valid();
    raw.mailboxes!.push({ address: "carol@example.net" });
    const p = onlyProblem(raw);
    assert.match(p, /^mailstack:mailboxes\[2\]\.address: /);
    assert.match(p, /example\.net.*not in mailstack:domains/);
  });

  it("a duplicate mailbox", () => {
    const raw = valid();
    raw.mailboxes!.push({ address: "Alice@example.com" });
    const p = onlyProblem(raw);
    assert.match(p, /^mailstack:mailboxes\[2\]\.address: duplicate mailbox "alice@example\.com"/);
    assert.match(p, /mailstack:mailboxes\[0\]/);
  });

  it("an alias loop", () => {
    const raw = valid();
    raw.aliases = [
      { from: "sales@example.com", to: ["team@example.com"] },
      { from: "team@example.com", to: ["sales@example.com"] },
    ];
    const p = problemsOf(raw);
    assert.ok(p.some((x) => /^mailstack:aliases\[0\]: alias loop: sales@example\.com -> team@example\.com -> sales@example\.com/.test(x)), p.join("\n"));
  });

  it("an alias that shadows a mailbox", () => {
    const raw = valid();
    raw.aliases!.push({ from: "bob@example.org", to: ["alice@example.com"] });
    const p = onlyProblem(raw);
    assert.match(p, /^mailstack:aliases\[2\]\.from: alias "bob@example\.org" shadows a mailbox/);
  });

  it("a mailbox alias that shadows another mailbox", () => {
    const raw = valid();
    raw.mailboxes![0].aliases = ["bob@example.org"];
    const p = problemsOf(raw);
    assert.ok(p.some((x) => /bob@example\.org/.test(x) && /mailbox/.test(x)), p.join("\n"));
  });

  it("an invalid host name", () => {
    const raw = valid();
    raw.hostname = "mail_server.example.com";
    const p = problemsOf(raw);
    assert.ok(p.some((x) => /^mailstack:hostname: .*invalid label "mail_server"/.test(x)), p.join("\n"));
  });

  it("an invalid address", () => {
    const raw = valid();
    raw.mailboxes![1].address = "bob at example.org";
    const p = onlyProblem(raw);
    assert.match(p, /^mailstack:mailboxes\[1\]\.address: "bob at example\.org" is not a mail address/);
  });

  it("a mail host outside every zone", () => {
    const raw = valid();
    raw.hostname = "mail.example.net";
    const p = onlyProblem(raw);
    assert.match(p, /^mailstack:hostname: "mail\.example\.net" is outside every configured zone \(example\.com, example\.org\)/);
  });

  it("an empty domain list", () => {
    const raw = valid();
    raw.domains = [];
    const p = problemsOf(raw);
    assert.ok(p.some((x) => /^mailstack:domains: found an empty list; needs at least one mail domain/.test(x)), p.join("\n"));
  });

  it("a quota that is not a size", () => {
    const raw = valid();
    raw.mailboxes![0].quota = "lots";
    const p = onlyProblem(raw);
    assert.match(p, /^mailstack:mailboxes\[0\]\.quota: "lots" is not a size; write a number with K, M, G or T/);
  });

  it("a relay host without credentials", () => {
    const raw = valid();
    raw.relay = { host: "smtp.relay.example" };
    const p = onlyProblem(raw, false);
    assert.match(p, /^mailstack:relay: a relay host needs credentials.*mailstack:relayPassword/);
  });

  it("a relay host with a user but no password secret", () => {
    const raw = valid();
    raw.relay = { host: "smtp.relay.example", username: "customer-1" };
    assert.match(onlyProblem(raw, false), /relayPassword/);
    assert.doesNotThrow(() => parseMailConfig(raw, { hasRelayPassword: true }));
  });

  it("SSH opened to the whole internet", () => {
    const raw = valid();
    raw.ssh.allowFrom = ["0.0.0.0/0"];
    assert.match(onlyProblem(raw), /^mailstack:ssh\.allowFrom\[0\]: .*whole internet/);
  });

  it("an unknown setting (a typo)", () => {
    const raw = { ...valid(), hostnmae: "x" };
    assert.match(onlyProblem(raw), /^mailstack:hostnmae: unknown setting; did you mean mailstack:hostname\?$/);
  });

  it("a missing required setting", () => {
    const { hostname: _unused, ...raw } = valid();
    assert.match(onlyProblem(raw), /^mailstack:hostname: is required/);
  });

  it("an alias target in a local domain that does not exist", () => {
    const raw = valid();
    raw.aliases![0].to = ["nobody@example.com"];
    assert.match(onlyProblem(raw), /^mailstack:aliases\[0\]\.to\[0\]: "nobody@example\.com" is in a local domain but is no mailbox or alias/);
  });

  it("reports every problem at once", () => {
    const raw = valid();
    raw.hostname = "mail.example.net";
    raw.mailboxes![0].quota = "lots";
    raw.mailboxes!.push({ address: "carol@example.net" });
    assert.equal(problemsOf(raw).length, 3);
  });
});

describe("one pass, in our words", () => {
  it("a value of the wrong type does not hide the other problems, and says what was found", () => {
    const raw = valid() as Record<string, unknown> & RawMailConfig;
    raw.server = { volumeSizeGb: "50" as unknown as number };
    raw.hostname = "mail.example.net";
    const p = problemsOf(raw);
    assert.equal(p.length, 2, p.join("\n"));
    assert.match(p[0], /^mailstack:server\.volumeSizeGb: found the text "50"; must be the data volume size in GB, a whole number from 10 to 10240 \(write the number without quotes\)$/);
    assert.match(p[1], /^mailstack:hostname: "mail\.example\.net" is outside every configured zone/);
  });

  it("never shows the schema library's own wording, whatever the wrong type", () => {
    const raw = valid() as unknown as Record<string, unknown>;
    const bad = {
      ...raw,
      hostname: 42,
      dkimSelector: ["a"],
      server: "big",
      ssh: { adminKeys: "ssh-ed25519 AAAA", allowFrom: [true] },
      domains: [{ name: "example.com", zoneId: 7, dmarc: { policy: "sometimes", reportTo: null, percent: 150 }, mtaSts: { mode: "on" }, cutover: "yes", adopt: { "example.com MX": 5 } }],
      mailboxes: [{ address: "alice@example.com", quota: { size: 1 }, enabled: "no", aliases: "a@example.com" }, "bob@example.com"],
      aliases: [{ from: "x@example.com", to: [] }],
      relay: { host: "r.example", port: "587" },
      externalReportAddresses: "ops@elsewhere.example",
    };
    const p = problemsOf(bad);
    assert.ok(p.length >= 15, p.join("\n"));
    for (const line of p) {
      assert.match(line, /^mailstack:[\w.[\]" -]+: /, line);
      assert.doesNotMatch(line, /Invalid input|expected \w+, received|Too (small|big)|Unrecognized key/, line);
    }
    assert.ok(p.some((l) => /^mailstack:mailboxes\[1\]: found the text "bob@example\.com"; must be a mapping with address/.test(l)), p.join("\n"));
    assert.ok(p.some((l) => /^mailstack:relay\.port: found the text "587";.*without quotes/.test(l)), p.join("\n"));
  });

  it("an unknown setting nested in a list entry is named with a suggestion", () => {
    const raw = valid();
    (raw.mailboxes![0] as Record<string, unknown>).alias = ["x@example.com"];
    assert.match(onlyProblem(raw), /^mailstack:mailboxes\[0\]\.alias: unknown setting; did you mean mailstack:mailboxes\[0\]\.aliases\?$/);
  });

  it("admin keys are decoded: a key-shaped word is refused, a FIDO key is accepted", () => {
    const raw = valid();
    raw.ssh.adminKeys = ["ssh-ed25519 notakey", FIDO_ED25519];
    assert.match(onlyProblem(raw), /^mailstack:ssh\.adminKeys\[0\]: "ssh-ed25519 notakey" has no valid base64 key data/);
    raw.ssh.adminKeys = [FIDO_ED25519];
    assert.deepEqual(parseMailConfig(raw, { hasRelayPassword: false }).ssh.adminKeys, [FIDO_ED25519]);
  });

  it("clears host bits of an SSH range and says so", () => {
    const raw = valid();
    raw.ssh.allowFrom = ["203.0.113.77/24", "2001:DB8:0:0::5/48"];
    const notices: string[] = [];
    const cfg = parseMailConfig(raw, { hasRelayPassword: false, notice: (n) => notices.push(n) });
    assert.deepEqual(cfg.ssh.allowFrom, ["2001:db8::/48", "203.0.113.0/24"]);
    assert.equal(notices.length, 2);
    assert.match(notices[0], /^mailstack:ssh\.allowFrom\[0\]: "203\.0\.113\.77\/24" has host bits set; using 203\.0\.113\.0\/24/);
  });

  it("refuses SSH ranges that add up to the internet, like /0", () => {
    const raw = valid();
    raw.ssh.allowFrom = ["0.0.0.0/1", "128.0.0.0/1"];
    const p = problemsOf(raw);
    assert.deepEqual(p.map((x) => x.split(":")[1]), ["ssh.allowFrom[0]", "ssh.allowFrom[1]"].map((x) => x));
    raw.ssh.allowFrom = ["10.0.0.0/9", "10.128.0.0/9", "11.0.0.0/9"];
    assert.match(onlyProblem(raw), /^mailstack:ssh\.allowFrom: the IPv4 ranges together .* at most a \/8's worth/);
    raw.ssh.allowFrom = ["10.0.0.0/8", "2001:db8::/16"];
    assert.doesNotThrow(() => parseMailConfig(raw, { hasRelayPassword: false }), "one /8 and one IPv6 /16 are the limit, not over it");
  });
});

describe("addresses other people write to must receive mail", () => {
  it("a DMARC report address that is no mailbox or alias", () => {
    const raw = valid();
    raw.domains![1].dmarc.reportTo = "reports@example.com";
    assert.match(
      onlyProblem(raw),
      /^mailstack:domains\[1\]\.dmarc\.reportTo: "reports@example\.com" \(DMARC aggregate reports\) receives no mail: it is no mailbox or alias, and example\.com has no catch-all/,
    );
  });

  it("a report address elsewhere must be listed as external; a listed one is accepted", () => {
    const raw = valid();
    raw.acmeEmail = "ops@provider.example";
    assert.match(onlyProblem(raw), /^mailstack:acmeEmail: "ops@provider\.example" .* list it under mailstack:externalReportAddresses/);
    raw.externalReportAddresses = ["OPS@provider.example"];
    assert.deepEqual(parseMailConfig(raw, { hasRelayPassword: false }).externalReportAddresses, ["ops@provider.example"]);
    raw.externalReportAddresses = ["ops@provider.example", "alice@example.com"];
    assert.match(onlyProblem(raw), /^mailstack:externalReportAddresses\[1\]: "alice@example\.com" is in the customer's own domain/);
  });

  it("every domain needs a postmaster that reaches an enabled mailbox", () => {
    const raw = valid();
    raw.mailboxes![0].aliases = ["a@example.com", "dmarc@example.com"];
    raw.acmeEmail = "alice@example.com";
    assert.match(onlyProblem(raw), /^mailstack:domains\[0\]\.name: postmaster@example\.com receives no mail \(RFC 5321 requires it\)/);
    raw.mailboxes!.push({ address: "postmaster@example.com", enabled: false });
    assert.match(onlyProblem(raw), /postmaster@example\.com receives no mail .* it is a disabled mailbox/);
  });

  it("abuse@ goes to the domain's postmaster unless the config says otherwise", () => {
    const cfg = parseMailConfig(valid(), { hasRelayPassword: false });
    // example.org has a catch-all, which already delivers abuse@example.org.
    assert.deepEqual(cfg.aliases.filter((a) => a.implicit).map((a) => [a.from, a.to]), [["abuse@example.com", ["postmaster@example.com"]]]);
    const raw = valid();
    raw.aliases!.push({ from: "abuse@example.com", to: ["alice@example.com"] });
    assert.deepEqual(parseMailConfig(raw, { hasRelayPassword: false }).aliases.filter((a) => a.implicit), []);
  });
});

describe("an existing Docker host instead of the VM (mailstack:host)", () => {
  const host = { docker: "unix:///var/run/docker.sock", dataDir: "/srv/mail/", ipv4: "203.0.113.10", ipv6: "2001:DB8:0::10" };

  it("is read with canonical addresses and the default DNS; ssh is then optional", () => {
    const { ssh: _ssh, ...raw } = valid();
    const cfg = parseMailConfig({ ...raw, host }, { hasRelayPassword: false });
    assert.deepEqual(cfg.host, { docker: "unix:///var/run/docker.sock", dataDir: "/srv/mail", ipv4: "203.0.113.10", ipv6: "2001:db8::10", dns: "cloudflare" });
    assert.deepEqual(cfg.ssh, { adminKeys: [], allowFrom: [] });
    assert.equal(parseMailConfig(valid(), { hasRelayPassword: false }).host, undefined);
  });

  it("with a zone file, says that DNSSEC (which the stack turns on at Cloudflare) is left to the operator", () => {
    const { ssh: _ssh, ...raw } = valid();
    raw.domains![0].dnssec = true;
    const notices: string[] = [];
    const cfg = parseMailConfig({ ...raw, host: { ...host, dns: "zoneFile" } }, { hasRelayPassword: false, notice: (n) => notices.push(n) });
    assert.equal(cfg.domains.find((d) => d.name === raw.domains![0].name)?.dnssec, true);
    assert.equal(notices.length, 1);
    assert.match(notices[0], /^mailstack:domains\[0\]\.dnssec: DNSSEC is turned on at Cloudflare, but with host\.dns "zoneFile" this stack writes no DNS/);
    const cloudflare: string[] = [];
    parseMailConfig({ ...raw, host }, { hasRelayPassword: false, notice: (n) => cloudflare.push(n) });
    assert.deepEqual(cloudflare, []);
  });

  it("without it, ssh is required as before", () => {
    const { ssh: _ssh, ...raw } = valid();
    assert.match(onlyProblem(raw), /^mailstack:ssh: is required; must be a mapping with adminKeys and allowFrom/);
  });

  it("refuses a remote engine, a relative folder, a bad address and server settings, all at once", () => {
    const raw = { ...valid(), server: { type: "cx23" }, host: { docker: "ssh://root@203.0.113.10", dataDir: "srv/mail", ipv4: "203.0.113", dns: "bind" } };
    const p = problemsOf(raw);
    assert.equal(p.length, 5, p.join("\n"));
    assert.match(p.find((x) => x.startsWith("mailstack:host.docker"))!, /only the engine of the machine that runs `pulumi up` is supported/);
    assert.match(p.find((x) => x.startsWith("mailstack:host.dataDir"))!, /must be an absolute folder/);
    assert.match(p.find((x) => x.startsWith("mailstack:host.ipv4"))!, /must be an IPv4 address/);
    assert.match(p.find((x) => x.startsWith("mailstack:host.dns"))!, /"cloudflare" or "zoneFile"/);
    assert.match(p.find((x) => x.startsWith("mailstack:server"))!, /remove one of the two/);
  });
});

describe("defaults", () => {
  it("every default is the one the README's configuration reference states", () => {
    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("### Configuration reference"), readme.indexOf("### DNS records written"));
    const row = (key: string) => table.split("\n").find((l) => l.startsWith(`| \`${key}`)) ?? "";
    const expect: [string, unknown][] = [
      ["dkimSelector", DEFAULTS.dkimSelector], ["mailboxes[].quota", DEFAULTS.quota], ["server.type", DEFAULTS.serverType],
      ["server.type", DEFAULTS.location], ["server.type", DEFAULTS.image], ["server.volumeSizeGb", DEFAULTS.volumeSizeGb],
      ["relay.host", DEFAULTS.relayPort], ["domains[].mtaSts.mode", DEFAULTS.mtaStsMode], ["domains[].mtaSts.maxAgeDays", DEFAULTS.mtaStsMaxAgeDays],
      ["domains[].dmarc.percent", DEFAULTS.dmarcPercent], ["mailboxes[].enabled", DEFAULTS.mailboxEnabled], ["domains[].cutover", DEFAULTS.cutover],
      ["host.dns", DEFAULTS.hostDns],
      ["domains[].dnssec", DEFAULTS.dnssec],
    ];
    for (const [key, value] of expect) assert.ok(row(key).includes(String(value)), `README row ${key} does not state ${String(value)}`);
    assert.equal(Object.keys(DEFAULTS).length, expect.length, "a new default needs its README row checked here");
  });
});
