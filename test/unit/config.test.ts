// What an operator sees when the stack file is wrong: every problem at once, each with its
// config path and what would be valid. And what a correct file turns into.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { ConfigError, parseMailConfig, type RawMailConfig } from "../../components/core/config/config";

const ZONE_A = "0123456789abcdef0123456789abcdef";
const ZONE_B = "fedcba9876543210fedcba9876543210";

function valid(): RawMailConfig {
  return {
    hostname: "mail.example.com",
    acmeEmail: "postmaster@example.com",
    ssh: { adminKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDummyKeyForTests ops@example"], allowFrom: ["203.0.113.0/24"] },
    domains: [
      { name: "example.com", zoneId: ZONE_A, dmarc: { policy: "quarantine", reportTo: "dmarc@example.com" } },
      { name: "example.org", zoneId: ZONE_B, dmarc: { policy: "reject", reportTo: "dmarc@example.com" } },
    ],
    mailboxes: [
      { address: "alice@example.com", name: "Alice", quota: "2G", aliases: ["a@example.com"] },
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
    raw.domains = [{ name: "Bücher.example", zoneId: ZONE_A, dmarc: { policy: "none", reportTo: "dmarc@bücher.example" } }];
    raw.mailboxes = [{ address: "Anna@BÜCHER.example" }];
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
    assert.ok(p.some((x) => /^mailstack:domains: is empty; list at least one mail domain/.test(x)), p.join("\n"));
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
    assert.match(onlyProblem(raw), /^mailstack:hostnmae: unknown setting; check the spelling/);
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
