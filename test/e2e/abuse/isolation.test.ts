// A compromised container reaches only what its own service needs. From inside the webmail
// (Roundcube) container, as code running there would try: no LMTP, SASL or quota policy (they are
// Dovecot sockets only Postfix mounts, on no network), no Valkey and no Rspamd (not even their
// names resolve), and PostgreSQL only as the password-change role, which can read no mail table,
// never as the mail lookup role. Valkey wants its password even from Rspamd's network. No
// container reaches the cloud's metadata service (the guard table), and no container reaches a
// container it shares no network with, even by address. And mail still flows: in on port 25,
// through LMTP to the mailbox, and out through submission.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { METADATA_ADDRESS } from "../../../components/core/host/hostFirewall";
import { STATE_DIR } from "../../../local/endpoints";
import { statePaths } from "../../../local/state";
import { guardTable } from "../helpers/bans";
import { addressesOf, probeFrom } from "../helpers/containers";
import { waitForMessage } from "../helpers/imap";
import { startOutside, type Outside } from "../helpers/outside";
import { sendFromInternet, startSink, submit } from "../helpers/smtp";
import { execInService, uniqueId, upLocalStack, type LocalStack } from "../helpers/stack";

/** The runner's generated service secrets (never printed). */
const secrets = () => JSON.parse(readFileSync(statePaths(STATE_DIR).serviceSecrets, "utf8")) as { mailDbPassword: string; mailPasswordDbPassword: string; valkeyPassword: string };

/**
 * A PostgreSQL login from inside the Roundcube container with PHP's own pgsql driver (what
 * Roundcube uses); the password arrives on stdin. Returns PHP's last line: "connected: <n rows>"
 * or the server's refusal.
 */
async function pgFromWebmail(stack: LocalStack, role: string, database: string, password: string, sql: string): Promise<string> {
  const php = [
    '$pw = trim(stream_get_contents(STDIN));',
    `$c = @pg_connect("host=postgres port=${stack.topo.internal.postgres.port} dbname=${database} user=${role} connect_timeout=5 password=" . $pw);`,
    'if (!$c) { $e = error_get_last(); echo "refused: " . ($e["message"] ?? "?"), "\\n"; exit(0); }',
    `$r = @pg_query($c, ${JSON.stringify(sql)});`,
    'echo $r ? "connected: " . pg_num_rows($r) . " rows" : "connected, query refused: " . pg_last_error($c), "\\n";',
  ].join("\n");
  const r = await execInService(stack, "roundcube", ["php", "-r", php], { input: password });
  return (r.stdout + r.stderr).trim().split("\n").pop() ?? "";
}

describe("isolation", () => {
  let stack: LocalStack;
  let outside: Outside;
  beforeAll(async () => {
    stack = await upLocalStack();
    outside = await startOutside(stack);
  });
  afterAll(async () => {
    await outside?.stop();
  });

  it("the webmail container reaches no LMTP, SASL or quota policy, on any address of Dovecot", async () => {
    const dovecot = await addressesOf(stack, "dovecot");
    assert.ok(Object.keys(dovecot).length >= 3, JSON.stringify(dovecot));
    for (const port of [24, 12345, 12340]) {
      assert.equal(await probeFrom(stack, "roundcube", "dovecot", port), "refused", `dovecot:${port}`);
      for (const [net, address] of Object.entries(dovecot)) {
        assert.notEqual(await probeFrom(stack, "roundcube", address, port), "open", `${address}:${port} on ${net}`);
      }
    }
    // What the webmail needs is there.
    assert.equal(await probeFrom(stack, "roundcube", "dovecot", 143), "open");
    assert.equal(await probeFrom(stack, "roundcube", "dovecot", 4190), "open");
    assert.equal(await probeFrom(stack, "roundcube", "postfix", 587), "open");
  });

  it("the webmail container cannot even find Valkey or Rspamd, nor reach their addresses", async () => {
    assert.equal(await probeFrom(stack, "roundcube", "valkey", stack.topo.internal.valkey.port), "unreachable");
    assert.equal(await probeFrom(stack, "roundcube", "rspamd", stack.topo.internal.rspamdController.port), "unreachable");
    for (const address of Object.values(await addressesOf(stack, "valkey"))) {
      assert.notEqual(await probeFrom(stack, "roundcube", address, stack.topo.internal.valkey.port), "open", address);
    }
  });

  it("the webmail container reaches the mail database only as the password-change role, which reads no mail table", async () => {
    const s = secrets();
    assert.match(await pgFromWebmail(stack, "mailserver", "mail", s.mailDbPassword, "SELECT address FROM mailboxes"), /^refused: .*no pg_hba\.conf entry/);
    assert.match(await pgFromWebmail(stack, "mailpassword", "mail", s.mailPasswordDbPassword, "SELECT password FROM mailboxes"), /^connected, query refused: .*permission denied/);
    assert.match(await pgFromWebmail(stack, "mailpassword", "roundcube", s.mailPasswordDbPassword, "SELECT 1"), /^refused: .*no pg_hba\.conf entry/);
  });

  it("Valkey refuses a client without its password, even on Rspamd's network", async () => {
    const ask = (input: string) => execInService(stack, "rspamd", ["bash", "-c", `exec 3<>/dev/tcp/valkey/${stack.topo.internal.valkey.port}; cat >&3; timeout 2 head -n 1 <&3`], { input });
    assert.match((await ask("PING\r\n")).stdout, /^-NOAUTH/);
    assert.match((await ask(`AUTH ${secrets().valkeyPassword}\r\n`)).stdout, /^\+OK/);
  });

  it("no container reaches the metadata service, and none reaches a container it shares no network with", async () => {
    // Checked before any packet goes out: without the guard the probe would leave this machine.
    assert.match(await guardTable(stack), new RegExp(`ip daddr ${METADATA_ADDRESS.replace(/\./g, "\\.")} reject`));
    for (const service of ["postfix", "rspamd", "nginx", "certbot"] as const) {
      assert.equal(await probeFrom(stack, service, METADATA_ADDRESS, 80), "refused", service);
    }
    const dovecotOnMail = (await addressesOf(stack, "dovecot"))[stack.topo.networks.mail.name];
    assert.notEqual(await probeFrom(stack, "nginx", dovecotOnMail, 143), "open", "nginx to Dovecot across networks");
    const postgres = Object.values(await addressesOf(stack, "postgres"));
    for (const address of postgres) assert.notEqual(await probeFrom(stack, "rspamd", address, stack.topo.internal.postgres.port), "open", `rspamd to ${address}`);
    assert.notEqual(await probeFrom(stack, "nginx", postgres[0], stack.topo.internal.postgres.port), "open", "nginx to PostgreSQL");
  }, 120_000);

  it("mail still flows: from the internet through LMTP to the mailbox, and out through submission and SASL", async () => {
    const id = await sendFromInternet(outside, { to: "bob@e2e.test" });
    await waitForMessage(stack, "bob@e2e.test", id);
    const sink = await startSink(stack);
    try {
      const out = await submit(stack, "bob@e2e.test", { to: "someone@elsewhere.example", messageId: uniqueId("isolation") });
      await sink.waitFor(out);
    } finally {
      await sink.close();
    }
  });
});
