// `npm run bans -- list|lift`: what it asks fail2ban in the stack's container, what it prints,
// which bans a lifted address names (an IPv6 address: every ban in its prefix), and its usage
// errors. fail2ban itself is a fake here; the real one is driven by test/e2e/abuse/bans.test.ts.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "@jest/globals";
import { bansMain, sshRunner, type Fail2banRunner } from "../../tools/bans/cli";
import { liftTargets, parseBans } from "../../tools/bans/fail2ban";
import { UsageError } from "../../tools/cliKit";

/** A fail2ban-client stand-in holding a ban list; records every call. */
function fakeFail2ban(banned: string[], prefix = 64) {
  const calls: string[][] = [];
  const list = () => banned.map((b) => `${b} \t2026-11-30 10:00:00 + 3600 = 2026-11-30 11:00:00`).join("\n");
  const runner: Fail2banRunner = async (args) => {
    calls.push(args);
    const tail = args.slice(3).join(" ");
    if (tail === "get mailstack-auth banip --with-time") return { code: 0, output: `${list()}\n` };
    if (tail === "get mailstack-auth action mailstack-nftables ipv6prefix") return { code: 0, output: `${prefix}\n` };
    if (args[3] === "set" && args[5] === "unbanip") {
      for (const a of args.slice(6)) banned.splice(banned.indexOf(a), 1);
      return { code: 0, output: `${args.length - 6}\n` };
    }
    return { code: 1, output: `unexpected ${args.join(" ")}` };
  };
  return { runner, calls };
}

async function run(argv: string[], f = fakeFail2ban([])) {
  const lines: string[] = [];
  const targets: unknown[] = [];
  const code = await bansMain(argv, { out: (l) => lines.push(l), runner: (t) => (targets.push(t), f.runner) });
  return { code, text: lines.join("\n"), targets, calls: f.calls };
}

describe("npm run bans", () => {
  it("lists each banned address with when its ban ends, from the stack's fail2ban", async () => {
    const r = await run(["list", "--stack", "acme"], fakeFail2ban(["203.0.113.7", "2001:db8:1:2::5"]));
    assert.equal(r.code, 0);
    assert.deepEqual(r.targets, [{ stack: "acme" }]);
    assert.match(r.text, /^203\.0\.113\.7 +banned 2026-11-30 10:00:00 until 2026-11-30 11:00:00 UTC$/m);
    assert.match(r.text, /^2001:db8:1:2::5 /m);
    assert.deepEqual(r.calls[0], ["fail2ban-client", "-c", "/config", "get", "mailstack-auth", "banip", "--with-time"]);
    assert.match((await run(["list", "--local"])).text, /no address is banned on the local stack/);
  });

  it("lifts one ban, and for IPv6 every ban in the address's prefix", async () => {
    const f = fakeFail2ban(["203.0.113.7", "203.0.113.8", "2001:db8:1:2::5", "2001:db8:1:2:aa::9", "2001:db8:1:3::5"]);
    const v4 = await run(["lift", "203.0.113.7", "--local"], f);
    assert.equal(v4.code, 0);
    assert.match(v4.text, /lifted the ban of 203\.0\.113\.7 on the local stack/);
    const v6 = await run(["lift", "2001:DB8:1:2::77", "--local"], f);
    assert.match(v6.text, /lifted the ban of 2001:db8:1:2::5, 2001:db8:1:2:aa::9/);
    assert.deepEqual((await run(["list", "--local"], f)).text.split("\n").map((l) => l.split(" ")[0]), ["203.0.113.8", "2001:db8:1:3::5"]);
    const none = await run(["lift", "198.51.100.1", "--local"], f);
    assert.equal(none.code, 0);
    assert.match(none.text, /198\.51\.100\.1 is not banned/);
  });

  it("fails when fail2ban does, naming the stack", async () => {
    const broken: Fail2banRunner = async () => ({ code: 255, output: "Failed to access socket path" });
    await assert.rejects(bansMain(["list", "--stack", "acme"], { out: () => undefined, runner: () => broken }), /fail2ban-client on stack acme failed \(exit 255\): Failed to access socket path/);
  });

  it("refuses bad usage before it connects anywhere", async () => {
    for (const argv of [["list"], ["list", "--local", "--stack", "acme"], ["lift", "--local"], ["lift", "not-an-ip", "--local"], ["ban", "1.2.3.4", "--local"], ["list", "--stack", "../x"]]) {
      const r = run(argv);
      await assert.rejects(r, UsageError, argv.join(" "));
    }
    assert.throws(() => sshRunner(mkdtempSync(join(tmpdir(), "bans-")), "acme"), /scripts\/restore-ssh-access\.sh acme/);
  });

  it("parses fail2ban's list and refuses what it does not understand", () => {
    assert.deepEqual(parseBans("198.18.87.6 \t2026-11-30 13:57:15 + 20 = 2026-11-30 13:57:35\n"), [{ address: "198.18.87.6", since: "2026-11-30 13:57:15", until: "2026-11-30 13:57:35" }]);
    assert.deepEqual(parseBans("\n"), []);
    assert.throws(() => parseBans("Sorry but the jail 'x' does not exist"), /unexpected line/);
    assert.deepEqual(liftTargets(parseBans("::ffff:203.0.113.7 \t2026-11-30 13:57:15 + 20 = 2026-11-30 13:57:35"), "203.0.113.7", 64), ["::ffff:203.0.113.7"]);
  });
});
