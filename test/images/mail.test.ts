// The daemons' own checkers on our rendered files, inside the images that deploy: Postfix
// (`postconf -n` without a warning and `postfix check`), Rspamd (`rspamadm configtest`), Unbound
// (`unbound-checkconf`), Valkey
// (starts on the file), PostgreSQL (`postgres -C` on postgresql.conf and the hba file it names),
// for the e2e stack (local topology) and the example customer (production topology); and each
// checker refusing a broken file with its own message, which is what stops a deploy (the VM's
// config push runs the same `check` before it installs anything) and the local stack's `up`.
// Needs the container engine; test/run.sh builds the images before this project runs.
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import type Docker from "dockerode";
import { hostConfigDir } from "../../components/core/containers/hostLayout";
import { imagePlans, type ImagePlans } from "../../components/core/containers/images";
import { REPO_ROOT } from "../../components/core/paths";
import { rspamdBase32, rspamdPbkdf2 } from "../../components/core/render/rspamdPassword";
import type { ServiceName } from "../../components/core/topology";
import { runOnce } from "../../local/engine/containers";
import { connectEngine } from "../../local/engine/engine";
import { renderDev } from "../../tools/dev/renderDev";

const tmp = mkdtempSync(join(tmpdir(), "mailstack-image-checks-"));
let docker: Docker;
let plans: ImagePlans;

beforeAll(async () => {
  docker = (await connectEngine({ install: false })).docker;
  plans = imagePlans({ mailUser: { name: "vmail", uid: 5000, gid: 5000 } });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function check(service: ServiceName, configDir: string): Promise<{ code: number; out: string }> {
  const r = await runOnce(docker, plans.services[service].tag, ["check"], { binds: [`${configDir}:/config:ro`] });
  return { code: r.code, out: r.stdout };
}

const STACKS = [
  { name: "the e2e stack (local topology)", file: join(REPO_ROOT, "test", "e2e", "Pulumi.e2e.yaml"), kind: "local" },
  { name: "the example customer (production topology)", file: join(REPO_ROOT, "Pulumi.prod.yaml"), kind: "production" },
];

describe.each(STACKS)("the mail daemons' checkers accept $name", ({ file, kind }) => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmp, `${kind}-`));
    renderDev(file, kind, root);
  });
  const dirOf = (service: ServiceName) => hostConfigDir({ hostRoot: kind === "local" ? join(root, "data") : root }, service);

  it.each(["postfix", "rspamd", "valkey", "postgres", "unbound"] as const)("%s", async (service) => {
    const r = await check(service, dirOf(service));
    assert.equal(r.code, 0, r.out);
  });
});

describe("the entrypoints install the pushed files so each daemon can read its secrets", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmp, "modes-"));
    renderDev(join(REPO_ROOT, "Pulumi.prod.yaml"), "production", root);
  });

  // What the daemon sees after its entrypoint installed /config: the secret map 0640 with the
  // daemon's group (cp -R would make it root:root, unreadable for the daemon), the package's own
  // files kept next to ours, the config folder root:root 0755.
  it.each([
    ["postfix", "/etc/postfix", "pgsql-virtual-mailboxes.cf", "postfix", "dynamicmaps.cf"],
    ["rspamd", "/etc/rspamd", "dkim/example.com.mail2026.key", "_rspamd", "rspamd.conf"],
  ] as const)("%s", async (service, etc, secret, group, fromPackage) => {
    const r = await runOnce(docker, plans.services[service].tag, ["-c", `/usr/local/bin/mailstack-entrypoint check >/dev/null 2>&1; stat -c '%a %U:%G %n' ${etc}/${secret} ${etc} ${etc}/${fromPackage}`], {
      binds: [`${hostConfigDir({ hostRoot: root }, service)}:/config:ro`],
      entrypoint: ["sh"],
    });
    assert.equal(r.code, 0, r.stdout);
    const lines = r.stdout.trim().split("\n");
    assert.deepEqual(lines, [`640 root:${group} ${etc}/${secret}`, `755 root:root ${etc}`, lines[2]]);
    assert.match(lines[2], new RegExp(`^\\d+ root:root ${etc}/${fromPackage}$`), "the package's own file is still there");
  });
});

describe("Rspamd's controller password hash", () => {
  it("is what rspamadm pw (Rspamd 3.12 in our image) computes from the same password and salt", async () => {
    // A throwaway test password, not a secret of any stack.
    const r = await runOnce(docker, plans.services.rspamd.tag, ["pw", "-t", "pbkdf2", "-p", "correct horse"], { entrypoint: ["rspamadm"] });
    assert.equal(r.code, 0, r.stdout);
    const made = r.stdout.trim().split("\n").pop() ?? "";
    const [, id, salt, key] = made.split("$");
    assert.equal(id, "1");
    const decode = (s: string) => {
      const ZB = "ybndrfg8ejkmcpqxot1uwisza345h769";
      const out: number[] = [];
      let acc = 0;
      let bits = 0;
      for (const ch of s) {
        acc |= ZB.indexOf(ch) << bits;
        bits += 5;
        while (bits >= 8) {
          out.push(acc & 0xff);
          acc >>>= 8;
          bits -= 8;
        }
      }
      return Uint8Array.from(out);
    };
    assert.equal(rspamdBase32(rspamdPbkdf2(Buffer.from("correct horse"), decode(salt), 16000, 32)), key);
    assert.notEqual(rspamdBase32(rspamdPbkdf2(Buffer.from("wrong horse"), decode(salt), 16000, 32)), key);
  });
});

describe("a broken file is refused by the daemon's own checker, naming what is wrong", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmp, "broken-"));
    renderDev(join(REPO_ROOT, "Pulumi.prod.yaml"), "production", root);
  });
  const dirOf = (service: ServiceName) => hostConfigDir({ hostRoot: root }, service);

  it("Postfix: an unknown main.cf parameter is a warning, and a warning fails the check", async () => {
    appendFileSync(join(dirOf("postfix"), "main.cf"), "smtpd_bogus_setting = yes\n");
    const r = await check("postfix", dirOf("postfix"));
    assert.notEqual(r.code, 0);
    assert.match(r.out, /smtpd_bogus_setting/);
  });

  it("Rspamd: a syntax error in local.d", async () => {
    appendFileSync(join(dirOf("rspamd"), "local.d", "options.inc"), "dns { timeout = ;\n");
    const r = await check("rspamd", dirOf("rspamd"));
    assert.notEqual(r.code, 0);
    assert.match(r.out, /options\.inc|syntax|parse/i);
  });

  it("Valkey: an unknown directive", async () => {
    appendFileSync(join(dirOf("valkey"), "valkey.conf"), "bogus-directive yes\n");
    const r = await check("valkey", dirOf("valkey"));
    assert.notEqual(r.code, 0);
    assert.match(r.out, /bogus-directive/);
  });

  it("Unbound: an unknown option", async () => {
    appendFileSync(join(dirOf("unbound"), "unbound.conf"), "server:\n  bogus-option: yes\n");
    const r = await check("unbound", dirOf("unbound"));
    assert.notEqual(r.code, 0);
    assert.match(r.out, /bogus-option|syntax error/);
  });

  it("PostgreSQL: an unknown setting", async () => {
    appendFileSync(join(dirOf("postgres"), "postgresql.conf"), "bogus_setting = 1\n");
    const r = await check("postgres", dirOf("postgres"));
    assert.notEqual(r.code, 0);
    assert.match(r.out, /bogus_setting/);
  });
});
