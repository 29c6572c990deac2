// Local Postfix as a second instance (`postfix -c <config dir>`): the default instance's
// /etc/postfix/main.cf must list the dir in alternate_config_directories, which this module sets
// up when it is missing. `postfix check` and `postconf -n` validate the rendered files first.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readPid, run, runOk, waitPorts } from "../proc";
import { ownedDir, unixUser } from "./common";
import type { LocalContext, LocalService } from "./types";

const DEFAULT_MAIN_CF = "/etc/postfix/main.cf";

function ensureDefaultInstance(ctx: LocalContext): void {
  const dir = ctx.topology.configDirs.postfix;
  const line = `alternate_config_directories = ${dir}`;
  const current = existsSync(DEFAULT_MAIN_CF) ? readFileSync(DEFAULT_MAIN_CF, "utf8") : "";
  if (current.split("\n").some((l) => l.trim() === line)) return;
  if (/^\s*alternate_config_directories\s*=/m.test(current)) {
    throw new Error(`${DEFAULT_MAIN_CF} already sets alternate_config_directories; add ${dir} to it`);
  }
  const header = current === "" ? "# Default Postfix instance: not used for mail; it only allows the local stack's instance.\n" : "";
  writeFileSync(DEFAULT_MAIN_CF, `${current}${header}# Added by the mail stack's local runner (npm run local).\n${line}\n`);
}

export const postfixPid = (ctx: LocalContext) => readPid(join(ctx.topology.paths.postfixQueue, "pid", "master.pid"));

export const postfix: LocalService = {
  name: "postfix",
  async check(ctx) {
    ensureDefaultInstance(ctx);
    const t = ctx.topology;
    ownedDir(t.paths.postfixQueue, { uid: 0, gid: 0 });
    ownedDir(t.paths.postfixData, unixUser("postfix"), 0o700);
    const dir = t.configDirs.postfix;
    const n = await run("postconf", ["-c", dir, "-n"]);
    const warn = n.stderr.split("\n").filter((l) => /warning|fatal|error/i.test(l));
    if (n.code !== 0 || warn.length > 0) throw new Error(`postconf rejects ${dir}/main.cf or master.cf:\n${warn.join("\n") || n.stderr}`);
    await runOk(`postfix check (${dir})`, "postfix", ["-c", dir, "check"]);
  },
  async start(ctx) {
    await runOk("postfix start", "postfix", ["-c", ctx.topology.configDirs.postfix, "start"]);
  },
  async ready(ctx) {
    const t = ctx.topology;
    const lo = t.publicBind[0];
    await waitPorts("postfix", [t.ports.smtp, t.ports.submission, t.ports.submissions].map((port) => ({ host: lo, port })));
  },
  async stop(ctx) {
    if (postfixPid(ctx) === undefined) return;
    await run("postfix", ["-c", ctx.topology.configDirs.postfix, "stop"]);
  },
};
