// The fail2ban image with our rendered configuration: its own checker accepts the e2e stack and
// the example customer and refuses a broken jail; and, in a network namespace of its own (network
// "none": nothing of this machine's nftables is touched), it bans from Dovecot's failed-login
// lines the way the stack does: five failures of an IPv4 address put that address in the ban set,
// five of an IPv6 address put its whole /64 there, and lifting a ban takes it out again. The local
// stack has no IPv6, so this is where the IPv6 path is proven (the IPv4 path runs end to end in
// test/e2e/abuse/bans.test.ts). Containers are named dev-fail2ban-test<n>-*.
import assert from "node:assert/strict";
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import type Docker from "dockerode";
import { hostConfigDir } from "../../components/core/containers/hostLayout";
import { imagePlans, type ImagePlans } from "../../components/core/containers/images";
import { hostTableName } from "../../components/core/host/hostFirewall";
import { REPO_ROOT } from "../../components/core/paths";
import { BAN_JAIL } from "../../components/core/render/fail2ban";
import { localInstance, productionTopology } from "../../components/core/topology";
import { ensureImages } from "../../local/engine/buildImages";
import { execIn, execOk, logsTail, removeContainer, runOnce } from "../../local/engine/containers";
import { connectEngine } from "../../local/engine/engine";
import { sleep } from "../../local/proc";
import { renderDev } from "../../tools/dev/renderDev";

const INSTANCE = localInstance();
const NAME = `dev-fail2ban-test${INSTANCE === 0 ? "" : INSTANCE}`;
const tmp = mkdtempSync(join(tmpdir(), `${NAME}-`));
let docker: Docker;
let plans: ImagePlans;

beforeAll(async () => {
  docker = (await connectEngine({ install: false })).docker;
  plans = imagePlans(productionTopology);
  await ensureImages(docker, plans, { buildDir: join(REPO_ROOT, ".local", "build"), which: [plans.services.fail2ban] });
}, 20 * 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const check = (dir: string) => runOnce(docker, plans.services.fail2ban.tag, ["check"], { binds: [`${dir}:/config:ro`] });

describe("fail2ban image: check", () => {
  it("accepts the e2e stack and the example customer", async () => {
    for (const [file, kind] of [["test/e2e/Pulumi.e2e.yaml", "local"], ["Pulumi.prod.yaml", "production"]] as const) {
      const topo = renderDev(join(REPO_ROOT, file), kind, mkdtempSync(join(tmp, `${kind}-`)));
      const r = await check(hostConfigDir(topo, "fail2ban"));
      assert.equal(r.code, 0, r.stdout);
      assert.match(r.stdout, /fail2ban: \/config OK/);
    }
  });

  it("refuses a jail it cannot use, with fail2ban's own message", async () => {
    const topo = renderDev(join(REPO_ROOT, "Pulumi.prod.yaml"), "production", mkdtempSync(join(tmp, "broken-")));
    const dir = hostConfigDir(topo, "fail2ban");
    const jail = join(dir, "jail.conf");
    writeFileSync(jail, readFileSync(jail, "utf8").replace(/^action = .*$/m, "action = no-such-action"));
    const r = await check(dir);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /no-such-action/);
    assert.match(r.stdout, /fail2ban: \/config is not valid/);
  });
});

describe("fail2ban image: bans in nftables, IPv6 by /64", () => {
  const container = `${NAME}-bans`;
  const topo = { ...productionTopology, hostRoot: join(tmp, "bans") };
  const table = hostTableName(topo, "bans");
  const log = join(tmp, "bans-log");
  const failures = join(log, "failures.json");

  /** One failed-login line as Dovecot 2.4 writes it, stamped now. */
  const failure = (ip: string) => {
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
    return `{"event":"auth_passdb_request_finished","start_time":"${now}","end_time":"${now}","fields":{"protocol":"imap","remote_ip":"${ip}","real_remote_ip":"${ip}","user":"alice@example.com","result":"password_mismatch","passdb":"sql"}}\n`;
  };
  // The table appears with the jail's first action (fail2ban starts actions on demand): until
  // then a set reads as empty.
  const set = async (name: "ban4" | "ban6") => {
    const r = await execIn(docker, container, ["nft", "list", "set", "inet", table, name]);
    return r.code === 0 ? r.stdout : "";
  };
  const until = async (what: string, ok: () => Promise<boolean>) => {
    const end = Date.now() + 30_000;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`${what} within 30 s:\n${await logsTail(docker, container, 40)}`);
      await sleep(500);
    }
  };

  beforeAll(async () => {
    renderDev(join(REPO_ROOT, "Pulumi.prod.yaml"), "production", topo.hostRoot);
    mkdirSync(log, { recursive: true });
    writeFileSync(failures, "");
    chmodSync(failures, 0o644);
    const db = join(tmp, "bans-db");
    mkdirSync(db, { recursive: true });
    await removeContainer(docker, container, 1);
    const c = await docker.createContainer({
      name: container,
      Image: plans.services.fail2ban.tag,
      HostConfig: {
        // A network namespace of its own: its nftables are its own.
        NetworkMode: "none",
        CapAdd: ["CAP_NET_ADMIN"],
        Binds: [`${hostConfigDir(topo, "fail2ban")}:/config:ro`, `${log}:${topo.paths.authFailureLog.replace(/\/[^/]+$/, "")}`, `${db}:/var/lib/fail2ban`],
      },
    });
    await c.start();
    await until("fail2ban answers", async () => (await execIn(docker, container, ["fail2ban-client", "-c", "/config", "ping"])).code === 0);
  }, 120_000);
  afterAll(async () => {
    await removeContainer(docker, container, 5);
  });

  it("bans an IPv4 address after five failures, and no address with fewer", async () => {
    for (let i = 0; i < 5; i++) appendFileSync(failures, failure("203.0.113.7"));
    for (let i = 0; i < 4; i++) appendFileSync(failures, failure("198.51.100.9"));
    await until("203.0.113.7 in the ban set", async () => /elements = \{ 203\.0\.113\.7 \}/.test(await set("ban4")));
    assert.doesNotMatch(await set("ban4"), /198\.51\.100\.9/);
  });

  it("bans an IPv6 address as its whole /64", async () => {
    for (let i = 0; i < 5; i++) appendFileSync(failures, failure("2001:db8:1:2:aa:bb:cc:5"));
    await until("2001:db8:1:2::/64 in the ban set", async () => /elements = \{ 2001:db8:1:2::\/64 \}/.test(await set("ban6")));
    // The table rejects that prefix on its way to the stack's IPv6 networks.
    const chain = (await execOk(docker, container, "nft list chain", ["nft", "list", "chain", "inet", table, "banned"])).stdout;
    // nft shows the two adjacent /64s (the mail and web networks) as one range.
    assert.match(chain, /ip6 daddr \{ fd00:6d61:696c:19::(\/64, fd00:6d61:696c:1a::\/64|-fd00:6d61:696c:1a:ffff:ffff:ffff:ffff) \} ip6 saddr @ban6 meta l4proto tcp reject with tcp reset/);
  });

  it("takes a lifted ban out of nftables", async () => {
    await execOk(docker, container, "unban", ["fail2ban-client", "-c", "/config", "set", BAN_JAIL, "unbanip", "2001:db8:1:2:aa:bb:cc:5", "203.0.113.7"]);
    assert.doesNotMatch(await set("ban6"), /elements/);
    assert.doesNotMatch(await set("ban4"), /203\.0\.113\.7/);
  });
});
