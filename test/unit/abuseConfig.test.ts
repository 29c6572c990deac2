// mailstack:limits, mailstack:bans and mailboxes[].limits: the defaults (and that the README's
// configuration reference states each of them), a mailbox's own limits over the stack's, and
// every bad value reported with its path and what would be valid, together with the rest.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "@jest/globals";
import { BAN_DEFAULTS, durationSeconds, durationText, LIMIT_DEFAULTS } from "../../components/core/config/abuse";
import { ConfigError, parseMailConfig, type RawMailConfig } from "../../components/core/config/config";

function valid(): RawMailConfig {
  return {
    hostname: "mail.example.com",
    acmeEmail: "postmaster@example.com",
    ssh: { adminKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0u3Lk2Y0y1p0cM9xq3Yb2oQ1u2Jw4H2b6w0y8Zk9mP ops@example"], allowFrom: ["203.0.113.0/24"] },
    domains: [{ name: "example.com", zoneId: "0123456789abcdef0123456789abcdef", dmarc: { policy: "reject", reportTo: "postmaster@example.com" } }],
    mailboxes: [{ address: "alice@example.com", aliases: ["postmaster@example.com"] }, { address: "bob@example.com" }],
  };
}

const parse = (raw: unknown) => parseMailConfig(raw, { hasRelayPassword: false });
function problemsOf(raw: unknown): string[] {
  try {
    parse(raw);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  assert.fail("the config was accepted");
}

describe("limits and bans", () => {
  it("defaults to Mailu's 5 failed logins an hour, a one-hour ban doubling to a day, IPv6 per /64, and Mailu's 200 messages a day", () => {
    const cfg = parse(valid());
    assert.deepEqual(cfg.bans, { enabled: true, maxFailures: 5, findTime: 3600, banTime: 3600, maxBanTime: 86400, ipv6Prefix: 64, ignore: [] });
    assert.deepEqual(cfg.limits, LIMIT_DEFAULTS);
    assert.equal(cfg.limits.send.messagesPerDay, 200);
    for (const m of cfg.mailboxes) assert.deepEqual(m.sendLimits, LIMIT_DEFAULTS.send, m.address);
  });

  it("gives a mailbox its own limits over the stack's, and 0 means no limit", () => {
    const raw = valid();
    raw.limits = { send: { messagesPerHour: 50, recipientsPerDay: 300 }, smtp: { authPerMinute: 0 } };
    raw.mailboxes![1].limits = { messagesPerHour: 5, recipientsPerDay: 0 };
    const cfg = parse(raw);
    assert.deepEqual(cfg.limits.send, { ...LIMIT_DEFAULTS.send, messagesPerHour: 50, recipientsPerDay: 300 });
    assert.equal(cfg.limits.smtp.authPerMinute, 0);
    assert.deepEqual(cfg.mailboxes.find((m) => m.address === "alice@example.com")?.sendLimits, cfg.limits.send);
    assert.deepEqual(cfg.mailboxes.find((m) => m.address === "bob@example.com")?.sendLimits, { ...cfg.limits.send, messagesPerHour: 5, recipientsPerDay: 0 });
  });

  it("reads durations as seconds or with s, m, h, d, and normalises the addresses never banned", () => {
    const raw = valid();
    raw.bans = { findTime: "10m", banTime: 90, maxBanTime: "2d", ignore: ["203.0.113.7", "2001:DB8::/48"], ipv6Prefix: 56 };
    const b = parse(raw).bans;
    assert.deepEqual([b.findTime, b.banTime, b.maxBanTime, b.ipv6Prefix], [600, 90, 172800, 56]);
    assert.deepEqual(b.ignore, ["2001:db8::/48", "203.0.113.7/32"]);
    assert.equal(durationSeconds("1h"), 3600);
    assert.equal(durationSeconds("1 h"), undefined);
    assert.deepEqual([durationText(86400), durationText(90), durationText(600)], ["1d", "90s", "10m"]);
  });

  it("reports every bad value at once, with its path and what would be valid", () => {
    const raw = valid() as Record<string, unknown>;
    raw.limits = { send: { messagesPerHour: 300, messagesPerDay: 100, recipientsPerHour: -1 }, smtp: { concurrentConnections: "20" }, daily: 5 };
    raw.bans = { maxFailures: 0, findTime: "forever", banTime: "2h", maxBanTime: "1h", ipv6Prefix: 16, ignore: ["10.0.0.0/33"], enabled: "yes" };
    (raw.mailboxes as { limits?: unknown }[])[0].limits = { messagesPerHour: 1.5 };
    (raw.mailboxes as { limits?: unknown }[])[1].limits = { recipientsPerHour: 1000, recipientsPerDay: 10 };
    const p = problemsOf(raw).join("\n");
    assert.doesNotMatch(p, /mailstack:mailboxes\[1\]\.limits\.messagesPerDay/, "the stack's own pair is reported once, at the stack");
    for (const expected of [
      /mailstack:limits\.send\.recipientsPerHour: .*must be recipients per hour \(0: no limit\), a whole number from 0 to 1000000/,
      /mailstack:limits\.smtp\.concurrentConnections: found the text "20"/,
      /mailstack:limits\.daily: unknown setting/,
      /mailstack:limits\.send\.messagesPerDay: 100 is smaller than messagesPerHour \(300\)/,
      /mailstack:bans\.maxFailures: .*from 1 to 100/,
      /mailstack:bans\.findTime: "forever" must be a duration such as "90s", "10m", "1h" or "2d"/,
      /mailstack:bans\.maxBanTime: 1h is shorter than banTime \(2h\)/,
      /mailstack:bans\.ipv6Prefix: .*from 32 to 128/,
      /mailstack:bans\.ignore\[0\]: "10\.0\.0\.0\/33" is not an address range/,
      /mailstack:bans\.enabled: .*true or false/,
      /mailstack:mailboxes\[0\]\.limits\.messagesPerHour: .*whole number/,
      /mailstack:mailboxes\[1\]\.limits\.recipientsPerDay: 10 is smaller than recipientsPerHour \(1000\)/,
    ]) {
      assert.match(p, expected);
    }
  });

  it("refuses a ban time too short to matter or longer than a month", () => {
    const raw = valid();
    raw.bans = { banTime: "5s", findTime: "8d" };
    const p = problemsOf(raw).join("\n");
    assert.match(p, /mailstack:bans\.banTime: "5s" is outside 10s to 30d/);
    assert.match(p, /mailstack:bans\.findTime: "8d" is outside 1m to 7d/);
  });

  it("every default is the one the README's configuration reference states", () => {
    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("### Configuration reference"), readme.indexOf("### DNS records written"));
    const row = (key: string) => table.split("\n").find((l) => l.startsWith(`| \`${key}\``)) ?? "";
    const expect: [string, string][] = [
      ...Object.entries(LIMIT_DEFAULTS.send).map(([k, v]): [string, string] => [`limits.send.${k}`, String(v)]),
      ...Object.entries(LIMIT_DEFAULTS.smtp).map(([k, v]): [string, string] => [`limits.smtp.${k}`, String(v)]),
      ["bans.enabled", String(BAN_DEFAULTS.enabled)],
      ["bans.maxFailures", String(BAN_DEFAULTS.maxFailures)],
      ["bans.findTime", durationText(BAN_DEFAULTS.findTime)],
      ["bans.banTime", durationText(BAN_DEFAULTS.banTime)],
      ["bans.maxBanTime", durationText(BAN_DEFAULTS.maxBanTime)],
      ["bans.ipv6Prefix", String(BAN_DEFAULTS.ipv6Prefix)],
    ];
    for (const [key, value] of expect) assert.match(row(key), new RegExp(`\\| no \\(${value}\\) \\|`), `README row ${key} does not state ${value}`);
    assert.match(row("bans.ignore"), /\| no \| /);
    assert.match(row("mailboxes[].limits"), /\| no \(the stack's `limits\.send`\) \| /);
    assert.equal(expect.length, Object.keys(LIMIT_DEFAULTS.send).length + Object.keys(LIMIT_DEFAULTS.smtp).length + Object.keys(BAN_DEFAULTS).length - 1);
  });
});
