// Local Postfix as a second instance (`postfix -c <config dir>`): the default instance's
// /etc/postfix/main.cf must list the dir in alternate_config_directories, which this module sets
// up when it is missing. `postfix check` and `postconf -n` validate the rendered files first.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readPid, run, runOk, waitPorts } from "../proc";
import { ownedDir, unixUser } from "./common";
import type { LocalContext, LocalService } from "./types";

const DEFAULT_MAIN_CF = "/etc/postfix/main.cf";

async function ensureDefaultInstance(ctx: LocalContext): Promise<void> {
  const dir = ctx.topology.configDirs.postfix;
  if (!existsSync(DEFAULT_MAIN_CF)) {
    writeFileSync(
      DEFAULT_MAIN_CF,
      "# Default Postfix instance: not used for mail; it only allows the local stack's instance.\n" +
        `# Added by the mail stack's local runner (npm run local).\nalternate_config_directories = ${dir}\n`,
    );
    return;
  }
  // Other checkouts (another clone, CI) keep their own entries: add ours, never replace theirs.
  const current = (await runOk("postconf alternate_config_directories", "postconf", ["-c", "/etc/postfix", "-h", "alternate_config_directories"])).stdout.trim();
  const dirs = current.split(/[\s,]+/).filter((d) => d !== "");
  if (dirs.includes(dir)) return;
  await runOk("postconf -e alternate_config_directories", "postconf", ["-c", "/etc/postfix", "-e", `alternate_config_directories = ${[...dirs, dir].join(" ")}`]);
}

export const postfixPid = (ctx: LocalContext) => readPid(join(ctx.topology.paths.postfixQueue, "pid", "master.pid"));

export const postfix: LocalService = {
  name: "postfix",
  async check(ctx) {
    await ensureDefaultInstance(ctx);
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
