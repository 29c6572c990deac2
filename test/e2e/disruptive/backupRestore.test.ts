// The restore drill: mailboxes are filled (several folders, flags and keywords, an alias, a Sieve
// script), backed up to the local stack's repository while mail keeps arriving, and backed up
// again; then the stack's data is destroyed (every container gone, the whole data folder
// deleted), a fresh stack is started and `npm run restore -- --local` puts the backup back. Every
// message must be back byte for byte with its flags, logins must work, the Sieve script must be
// active, the DKIM key must be the one from before and mail signed with it must verify against the
// zone published before the loss, and nothing accepted during the first backup may be missing.
// Then one mailbox is restored into the running server: deleted mail comes back, and mail that
// arrived since the backup stays. Disruptive (it deletes the stack's data): runs last.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import type { ImapFlow } from "imapflow";
import { authenticate } from "mailauth";
import { hostDir } from "../../../components/core/containers/hostLayout";
import { REPO_ROOT } from "../../../components/core/paths";
import { imapLogin } from "../helpers/imap";
import { sleep } from "../../../local/proc";
import { startOutside, type Outside } from "../helpers/outside";
import { sendFromInternet, startSink, submit, type Mail } from "../helpers/smtp";
import { E2E_STACK_FILE, execInService, until, upLocalStack, type LocalStack } from "../helpers/stack";
import { zoneResolver } from "../helpers/zoneResolver";

const USERS = ["alice@e2e.test", "bob@e2e.test", "carol@other.test"] as const;
type Snapshot = Map<string, string>; // "<user> <mailbox> <Message-ID>" -> "<sha256 of the source> <sorted flags>"

let stack: LocalStack;
const cli = (args: string[], timeout = 600_000) => {
  const r = spawnSync("npx", ["tsx", join(REPO_ROOT, "tools", "backup", "cli.ts"), ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout });
  assert.equal(r.status, 0, `backup ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};
/** The local runner, as the e2e global setup runs it (greylisting off); passwords never printed. */
const runner = (args: string[]) => {
  const r = spawnSync("npx", ["tsx", join(REPO_ROOT, "local", "cli.ts"), ...args], { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, MAILSTACK_GREYLISTING: "off" }, timeout: 600_000 });
  assert.equal(r.status, 0, `local ${args[0]} failed:\n${r.stderr}`);
};
const inContainer = async (service: "backup" | "dovecot", cmd: string[], input?: string) => {
  const r = await execInService(stack, service, cmd, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `${service}: ${cmd.join(" ")}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
};
const imap = (user: string): Promise<ImapFlow> => imapLogin(stack, user);
const mid = (tag: string, i: number) => `<drill.${tag}.${i}.${Date.now()}@remote.example>`;

/** Every message of every mailbox of the users: Message-ID -> hash of its bytes and its flags. */
async function snapshot(): Promise<Snapshot> {
  const out: Snapshot = new Map();
  for (const user of USERS) {
    const c = await imap(user);
    try {
      for (const box of await c.list()) {
        const lock = await c.getMailboxLock(box.path);
        try {
          if (c.mailbox === false || c.mailbox.exists === 0) continue;
          for await (const m of c.fetch("1:*", { source: true, flags: true, envelope: true }, { uid: false })) {
            if (!m.source) continue;
            const id = m.envelope?.messageId ?? "(none)";
            const flags = [...(m.flags ?? new Set<string>())].filter((f) => f !== "\\Recent").sort().join(",");
            out.set(`${user} ${box.path} ${id}`, `${createHash("sha256").update(m.source).digest("hex")} ${flags}`);
          }
        } finally {
          lock.release();
        }
      }
    } finally {
      await c.logout().catch(() => undefined);
    }
  }
  return out;
}

function maildirBases(root: string): Set<string> {
  const out = new Set<string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\/(cur|new)$/.test(d)) out.add(name.replace(/:2,.*$/, ""));
    }
  };
  walk(root);
  return out;
}

beforeAll(async () => {
  stack = await upLocalStack();
});

// Inbound mail comes from an MTA on the internet (the outside namespace, whose addresses
// remote.example's SPF lists): from 127.0.0.1 it would fail SPF and score as spam. The proxies
// start on first use and again after the stack was taken down and rebuilt.
// The servers take turns (one address may open limits.smtp.connectionsPerMinute, 60, a minute:
// the stack's own per-client limit), and the loop below paces itself as a real sender would.
let outside: Outside | undefined;
let sent = 0;
async function fromInternet(mail: Partial<Mail>): Promise<string> {
  outside ??= await startOutside(stack);
  return sendFromInternet(outside, mail, { source: sent++ % outside.sources.length });
}
async function stopOutside(): Promise<void> {
  await outside?.stop();
  outside = undefined;
}
afterAll(stopOutside);

describe("restore drill", () => {
  const sieve = 'require ["fileinto"];\nif header :contains "subject" "[invoice]" { fileinto "Invoices"; }\n';
  let before: Snapshot;
  let duringIds: string[] = [];
  let snapshot1 = "";
  let snapshot1Bases = new Set<string>();
  let dkimKeys: Record<string, string> = {};
  let zoneBefore = "";

  it("fills mailboxes: folders, flags and keywords, an alias, a Sieve script", async () => {
    // Alice: mail from Bob over submission, then folders with flagged and keyword-tagged copies.
    for (let i = 0; i < 12; i++) {
      await submit(stack, "bob@e2e.test", { to: "alice@e2e.test", subject: `Status ${i}`, text: `Report number ${i}.\n`.repeat(20), messageId: mid("inbox", i) });
    }
    await fromInternet({ from: "buyer@remote.example", to: "sales@e2e.test", subject: "Order", text: "Please quote 40 units.", messageId: mid("alias", 0) });
    await fromInternet({ from: "friend@remote.example", to: "carol@other.test", subject: "Hello Carol", text: "Lunch on Friday?", messageId: mid("carol", 0) });
    const c = await imap("alice@e2e.test");
    try {
      await until("Alice's mail", async () => ((await c.status("INBOX", { messages: true })).messages! >= 13 ? true : undefined));
      await c.mailboxCreate("Projects");
      await c.mailboxCreate(["Archive", "2025"]);
      await c.append("Projects", `From: x@remote.example\r\nTo: alice@e2e.test\r\nSubject: plan\r\nMessage-ID: ${mid("proj", 1)}\r\n\r\nThe plan.\r\n`, ["\\Seen", "\\Flagged", "$Label1", "Project-X"]);
      await c.append("Projects", `From: y@remote.example\r\nTo: alice@e2e.test\r\nSubject: budget\r\nMessage-ID: ${mid("proj", 2)}\r\n\r\nThe budget.\r\n`, ["\\Answered", "Project-X"]);
      await c.append("Archive/2025", `From: z@remote.example\r\nTo: alice@e2e.test\r\nSubject: old\r\nMessage-ID: ${mid("arch", 1)}\r\n\r\nOld news.\r\n`, ["\\Seen"]);
      const lock = await c.getMailboxLock("INBOX");
      try {
        await c.messageFlagsAdd("1:4", ["\\Seen"]);
        await c.messageFlagsAdd("2", ["\\Flagged", "$Forwarded"]);
      } finally {
        lock.release();
      }
    } finally {
      await c.logout();
    }
    // Bob's Sieve script, put and activated as ManageSieve would.
    await inContainer("dovecot", ["doveadm", "sieve", "put", "-u", "bob@e2e.test", "-a", "drill"], sieve);
    assert.match(await inContainer("dovecot", ["doveadm", "sieve", "list", "-u", "bob@e2e.test"]), /^drill\s+ACTIVE/m);
    before = await snapshot();
    assert.ok(before.size >= 18, `filled ${before.size} messages`);
    assert.ok([...before.values()].some((v) => v.includes("Project-X")), "a keyword is set");
  });

  it("backs up while mail keeps arriving, and misses nothing that was there when it started", async () => {
    const vmail = join(stack.topo.hostRoot, "vmail");
    const basesAtStart = maildirBases(vmail);
    const backup = spawn("npx", ["tsx", join(REPO_ROOT, "tools", "backup", "cli.ts"), "now", "--local"], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    backup.stdout.on("data", (d: Buffer) => (log += d.toString()));
    backup.stderr.on("data", (d: Buffer) => (log += d.toString()));
    const done = new Promise<number>((res) => backup.on("close", (code) => res(code ?? 1)));
    // Mail accepted while the backup runs; Alice reads her mail meanwhile, so Dovecot moves
    // messages from new/ to cur/ and renames them for flags while the snapshot is taken.
    let running = true;
    void done.then(() => (running = false));
    const reader = (async () => {
      while (running) {
        const c = await imap("alice@e2e.test");
        const lock = await c.getMailboxLock("INBOX");
        try {
          await c.messageFlagsAdd("1:*", ["\\Seen"]);
        } finally {
          lock.release();
          await c.logout().catch(() => undefined);
        }
      }
    })();
    for (let i = 0; running || i < 5; i++) {
      const id = mid("during", i);
      await fromInternet({ from: "late@remote.example", to: "alice@e2e.test", subject: `During ${i}`, text: "Sent while the backup ran.", messageId: id });
      duringIds.push(id);
      if (i > 200) break;
      await sleep(250);
    }
    assert.equal(await done, 0, log);
    await reader;
    const status = JSON.parse(await inContainer("backup", ["mailstack-backup", "status"])) as { snapshot: string };
    snapshot1 = status.snapshot;
    const listing = await inContainer("backup", ["sh", "-c", `. /config/backup.env; export RESTIC_REPOSITORY RESTIC_PASSWORD_FILE=/config/restic-password RESTIC_CACHE_DIR=/volume/backup/cache; restic ls --json ${snapshot1}`]);
    snapshot1Bases = new Set(
      listing
        .split("\n")
        .filter((l) => l.includes('"struct_type":"node"') && /\/vmail\/.*\/(cur|new)\//.test(l))
        .map((l) => (JSON.parse(l) as { name: string }).name.replace(/:2,.*$/, "")),
    );
    const missing = [...basesAtStart].filter((b) => !snapshot1Bases.has(b));
    assert.deepEqual(missing, [], "every message present when the backup started is in its snapshot");
    assert.ok(duringIds.length >= 5);
  });

  it("a second backup takes what arrived during the first", async () => {
    for (const id of duringIds) {
      await until(`message ${id}`, async () => {
        const c = await imap("alice@e2e.test");
        try {
          const lock = await c.getMailboxLock("INBOX");
          try {
            const hits = await c.search({ header: { "message-id": id } });
            return hits && hits.length > 0 ? true : undefined;
          } finally {
            lock.release();
          }
        } finally {
          await c.logout().catch(() => undefined);
        }
      });
    }
    before = await snapshot();
    cli(["now", "--local"]);
    const snaps = cli(["snapshots", "--local"]);
    assert.ok(snaps.trim().split("\n").length >= 2, snaps);
    const dkimDir = join(hostDir(stack.topo, "config"), "rspamd", "dkim");
    dkimKeys = Object.fromEntries(readdirSync(dkimDir).map((f) => [f, readFileSync(join(dkimDir, f), "utf8")]));
    zoneBefore = readFileSync(stack.ep.zone, "utf8");
  });

  it("after the stack's data is destroyed, restores everything byte for byte with its flags", async () => {
    // Disaster: every container gone, the whole data folder (maildirs, database, Valkey, DKIM
    // keys, certificates, queue) deleted. The repository and the stack's secrets (its Pulumi
    // state, on a VM) survive, as they would off the server.
    await stopOutside();
    runner(["down"]);
    rmSync(stack.topo.hostRoot, { recursive: true, force: true });
    runner(["up", "--stack-file", E2E_STACK_FILE]);
    // pebble made a new root: the clients trust only this run's.
    stack = await upLocalStack();
    assert.equal((await snapshot()).size, 0, "the new stack starts empty");
    const out = cli(["restore", "--local", "--yes"]);
    assert.match(out, /re-applying the stack's mailboxes and aliases/);
    stack = await upLocalStack();
    const after = await snapshot();
    const lost = [...before.keys()].filter((k) => !after.has(k));
    assert.deepEqual(lost, [], "no message lost");
    const changed = [...before].filter(([k, v]) => after.get(k) !== v).map(([k, v]) => `${k}: ${v} -> ${after.get(k)}`);
    assert.deepEqual(changed, [], "every message byte for byte, with its flags");
    for (const id of duringIds) assert.ok([...after.keys()].some((k) => k.endsWith(id)), `${id}, accepted during the first backup, is back`);
  });

  it("logins, the Sieve script and the DKIM key are back; mail signed with it verifies", async () => {
    for (const user of USERS) await (await imap(user)).logout();
    assert.match(await inContainer("dovecot", ["doveadm", "sieve", "list", "-u", "bob@e2e.test"]), /^drill\s+ACTIVE/m);
    const dkimDir = join(hostDir(stack.topo, "config"), "rspamd", "dkim");
    for (const [f, pem] of Object.entries(dkimKeys)) assert.equal(readFileSync(join(dkimDir, f), "utf8"), pem, `DKIM key ${f} as before`);
    const sink = await startSink(stack);
    try {
      const id = mid("dkim", 0);
      await submit(stack, "alice@e2e.test", { subject: "After the restore", text: "Signed as before.", messageId: id });
      const msg = await sink.waitFor(id);
      const zone = join(stack.topo.hostRoot, "..", "zone-before-restore.zone");
      writeFileSync(zone, zoneBefore);
      const res = await authenticate(msg.raw, { ip: "127.0.0.1", helo: stack.cfg.hostname, sender: msg.from, mta: "mx.elsewhere.example", resolver: zoneResolver(zone) as never });
      const dkim = res.dkim.results.find((r: { signingDomain?: string }) => r.signingDomain === "e2e.test");
      assert.equal(dkim?.status.result, "pass", "DKIM verifies against the records published before the loss");
    } finally {
      await sink.close();
    }
  });

  it("restores one mailbox into the running server without touching newer mail", async () => {
    const c = await imap("alice@e2e.test");
    let deleted: string[] = [];
    try {
      const lock = await c.getMailboxLock("Projects");
      try {
        deleted = [...before.keys()].filter((k) => k.startsWith("alice@e2e.test Projects "));
        await c.messageDelete("1:*");
      } finally {
        lock.release();
      }
    } finally {
      await c.logout();
    }
    assert.ok(deleted.length >= 2, `Projects held ${deleted.length} messages`);
    const newer = mid("newer", 0);
    await fromInternet({ from: "new@remote.example", to: "alice@e2e.test", subject: "Newer than the backup", text: "Keep me.", messageId: newer });
    await until("the newer message", async () => ([...(await snapshot()).keys()].some((k) => k.endsWith(newer)) ? true : undefined));
    cli(["restore", "--local", "--mailbox", "alice@e2e.test", "--yes"]);
    const after = await snapshot();
    for (const k of deleted) assert.equal(after.get(k), before.get(k), `${k} is back with its flags`);
    assert.ok([...after.keys()].some((k) => k.endsWith(newer)), "mail newer than the backup stays");
    const aliceBefore = [...before.keys()].filter((k) => k.startsWith("alice@e2e.test ")).length;
    assert.equal([...after.keys()].filter((k) => k.startsWith("alice@e2e.test ")).length, aliceBefore + 1, "no duplicates: the backup's mail once, plus the newer message");
  });
});

