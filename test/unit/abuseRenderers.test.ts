// What mailstack:limits and mailstack:bans turn into in the daemons' files: Rspamd's ratelimit
// rules (one bucket per kind and login, a mailbox's own limits in a rule of its own, the stack's
// rule leaving that mailbox out), Postfix's anvil limits with the stack's own networks exempt,
// and fail2ban's jail, filter and nftables action. The filter is run against the exact line
// Dovecot 2.4 writes. The daemons' own checkers (rspamadm configtest, postconf, fail2ban-client
// --test) read these files in their images when the local stack starts.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { parseMailConfig, type RawMailConfig } from "../../components/core/config/config";
import { ratelimitRates } from "../../components/core/render/rspamdLimits";
import { fail2banFiles } from "../../components/core/render/fail2ban";
import { postfixFiles } from "../../components/core/render/postfix";
import { localTopology, productionTopology } from "../../components/core/topology";
import { webTestSecrets } from "./webFixture";

function config(extra: Partial<RawMailConfig> = {}, bob: Record<string, number> | undefined = undefined) {
  return parseMailConfig(
    {
      hostname: "mail.example.com",
      acmeEmail: "postmaster@example.com",
      ssh: { adminKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0u3Lk2Y0y1p0cM9xq3Yb2oQ1u2Jw4H2b6w0y8Zk9mP t"], allowFrom: ["203.0.113.0/24"] },
      domains: [{ name: "example.com", zoneId: "0".repeat(32), dmarc: { policy: "reject", reportTo: "postmaster@example.com" } }],
      mailboxes: [{ address: "alice@example.com", aliases: ["postmaster@example.com"] }, { address: "bob@example.com", ...(bob ? { limits: bob } : {}) }, { address: "carol@example.com", ...(bob ? { limits: bob } : {}) }],
      ...extra,
    },
    { hasRelayPassword: false },
  );
}

/** The rules of a rates block: name -> { selector, burst, rate, skipRecipients }. */
function rules(text: string) {
  return Object.fromEntries(
    [...text.matchAll(/^ {2}(\S+) \{\n {4}selector = "([^"]+)";\n {4}bucket \{\n {6}burst = (\d+);\n {6}rate = "([^"]+)";\n( {6}skip_recipients = true;\n)?/gm)].map((m) => [
      m[1],
      { selector: m[2], burst: Number(m[3]), rate: m[4], skipRecipients: m[5] !== undefined },
    ]),
  );
}

describe("send limits (Rspamd ratelimit)", () => {
  it("counts messages and recipients per hour and day for every login, each in a bucket of its own", () => {
    const r = rules(ratelimitRates(config()));
    assert.deepEqual(Object.keys(r).sort(), ["mailbox_messages_day", "mailbox_messages_hour", "mailbox_recipients_day", "mailbox_recipients_hour"]);
    assert.deepEqual(r.mailbox_messages_hour, { selector: "user.lower.append(':messages_hour')", burst: 100, rate: "100 / 1h", skipRecipients: true });
    assert.deepEqual(r.mailbox_recipients_day, { selector: "user.lower.append(':recipients_day')", burst: 500, rate: "500 / 1d", skipRecipients: false });
    // Rspamd keeps one bucket per key: four kinds of one login must never share a key.
    assert.equal(new Set(Object.values(r).map((x) => x.selector)).size, 4);
    assert.match(ratelimitRates(config()), /message = "Sending limit reached: at most 200 messages per day for this mailbox; try again later";/);
  });

  it("gives mailboxes with their own limit a rule of their own and leaves them out of the stack's", () => {
    const r = rules(ratelimitRates(config({}, { messagesPerHour: 5, recipientsPerDay: 0 })));
    assert.equal(r.mailbox_messages_hour.selector, "user.lower.not_in('bob@example.com', 'carol@example.com').append(':messages_hour')");
    assert.deepEqual(r.mailbox_messages_hour_5, { selector: "user.lower.in('bob@example.com', 'carol@example.com').append(':messages_hour')", burst: 5, rate: "5 / 1h", skipRecipients: true });
    // 0: no limit for them, and no rule.
    assert.equal(r.mailbox_recipients_day.selector, "user.lower.not_in('bob@example.com', 'carol@example.com').append(':recipients_day')");
    assert.ok(!Object.keys(r).some((k) => k.startsWith("mailbox_recipients_day_")));
    // Unchanged kinds stay one rule for everybody.
    assert.equal(r.mailbox_messages_day.selector, "user.lower.append(':messages_day')");
  });

  it("writes no rule at all when every limit is 0", () => {
    const text = ratelimitRates(config({ limits: { send: { messagesPerHour: 0, messagesPerDay: 0, recipientsPerHour: 0, recipientsPerDay: 0 } } }));
    assert.deepEqual(rules(text), {});
  });
});

describe("per-client limits (Postfix anvil)", () => {
  it("limits connections, concurrency and AUTH per client address, exempting loopback and the stack's own networks", () => {
    const main = postfixFiles(config({ limits: { smtp: { connectionsPerMinute: 30 } } }), webTestSecrets, productionTopology).find((f) => f.path === "main.cf")?.content ?? "";
    assert.match(main, /^smtpd_client_connection_rate_limit = 30$/m);
    assert.match(main, /^smtpd_client_connection_count_limit = 20$/m);
    assert.match(main, /^smtpd_client_auth_rate_limit = 30$/m);
    assert.match(main, /^anvil_rate_time_unit = 60s$/m);
    const exceptions = /^smtpd_client_event_limit_exceptions = (.*)$/m.exec(main)?.[1].split(" ") ?? [];
    assert.ok(exceptions.includes("$mynetworks"));
    assert.ok(exceptions.includes(productionTopology.networks.mailaccess.ipv4Subnet), "the webmail's network");
    assert.ok(exceptions.includes("[fd00:6d61:696c:19::]/64"), "IPv6 in Postfix's bracket form");
    assert.ok(!exceptions.includes("0.0.0.0/0"));
  });
});

describe("bans (fail2ban)", () => {
  const file = (files: ReturnType<typeof fail2banFiles>, path: string) => files.find((f) => f.path === path)?.content ?? "";

  it("bans after maxFailures within findTime, for banTime doubling to maxBanTime, in the stack's own table", () => {
    const files = fail2banFiles(config({ bans: { maxFailures: 3, findTime: "10m", banTime: "30m", maxBanTime: "1d", ignore: ["198.51.100.0/24"] } }), webTestSecrets, productionTopology);
    const jail = file(files, "jail.conf");
    for (const line of ["enabled = true", "maxretry = 3", "findtime = 600", "bantime = 1800", "bantime.increment = true", "bantime.maxtime = 86400", "logpath = /var/log/mailstack-auth/failures.json"]) {
      assert.match(jail, new RegExp(`^${line.replace(/\./g, "\\.")}$`, "m"), line);
    }
    assert.match(jail, /^action = mailstack-nftables\[table="mailstack-bans", ipv6prefix="64"\]$/m);
    const ignore = /^ignoreip = (.*)$/m.exec(jail)?.[1].split(" ") ?? [];
    for (const n of ["127.0.0.0/8", "::1/128", productionTopology.networks.mail.ipv4Subnet, "fd00:6d61:696c:19::/64", "198.51.100.0/24"]) assert.ok(ignore.includes(n), n);
    assert.match(file(files, "bans.nft"), /^table inet mailstack-bans \{\n {2}set ban4 \{/m);
    assert.match(file(fail2banFiles(config(), webTestSecrets, localTopology("/tmp/s", { instance: 4 })), "jail.conf"), /table="mailstack4-bans"/);
    assert.match(file(fail2banFiles(config({ bans: { enabled: false } }), webTestSecrets, productionTopology), "jail.conf"), /^enabled = false$/m);
  });

  it("bans IPv6 by prefix and never fails on an already lifted ban", () => {
    const action = file(fail2banFiles(config(), webTestSecrets, productionTopology), "action.d/mailstack-nftables.conf");
    // fail2ban takes family-specific values from [Init?family=inet6] only (the image test bans
    // an IPv6 address with this file for real: test/images/fail2ban.test.ts).
    assert.match(action, /^\[Init\?family=inet6\]\nbanset = ban6\nbanprefix = \/<ipv6prefix>$/m);
    assert.doesNotMatch(action, /\[Definition\?family/);
    assert.match(action, /^actionban = nft add element inet <table> <banset> \{ <ip><banprefix> \}$/m);
    assert.match(action, /^actionunban = nft delete element inet <table> <banset> \{ <ip><banprefix> \} 2>\/dev\/null \|\| true$/m);
    assert.match(action, /^actionstart = nft -f \/config\/bans\.nft$/m);
  });

  it("matches Dovecot's failed-login line by the client's address, not the webmail's", () => {
    const filter = file(fail2banFiles(config(), webTestSecrets, productionTopology), "filter.d/mailstack-auth.conf");
    const failregex = /^failregex = (.*)$/m.exec(filter)?.[1] ?? "";
    // fail2ban's <ADDR> (failregex.py), reduced to what the line below needs.
    const re = new RegExp(failregex.replace("<ADDR>", "(?<addr>[0-9a-fA-F.:]+)"));
    const line =
      '{"event":"auth_passdb_request_finished","start_time":"2026-11-30T13:42:38.007929Z","end_time":"2026-11-30T13:42:39.087211Z","fields":{"duration":1078978,' +
      '"mechanism":"PLAIN","protocol":"imap","local_ip":"198.18.83.5","remote_ip":"198.18.87.4","real_remote_ip":"198.18.83.4","user":"alice@e2e.test","result":"password_mismatch","passdb":"sql"}}';
    assert.equal(re.exec(line)?.groups?.addr, "198.18.87.4");
    assert.equal(re.exec(line.replace("auth_passdb_request_finished", "auth_request_finished")), null, "only the passdb's own event");
    assert.match(filter, /^datepattern = "end_time":"%%Y-%%m-%%dT%%H:%%M:%%S\\\.%%f%%z"$/m);
  });
});
