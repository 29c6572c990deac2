// Caddy on the local stack: the rendered Caddyfile on the local HTTP/HTTPS ports, with Caddy's
// internal CA instead of Let's Encrypt. Once Caddy has its certificate for the mail host, runs
// files/tls/sync-certs.sh exactly as the VM's timer does, so Postfix and Dovecot switch to it
// with a reload, and leaves a readable copy of the local root for Roundcube and the tests.
// Never installs that root in the system trust store and never touches Postfix's or Dovecot's
// own files except through the sync hook.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { caddyCertificatePaths, caddyIssuerDir } from "../../components/core/render/renderWeb";

import type { Topology } from "../../components/core/topology";
import { readPid, runOk, sleep, startDetached, stopPid, waitPorts } from "../proc";
import type { LocalService } from "./types";
import { FILES_DIR } from "../../components/core/paths";

export const SYNC_CERTS = join(FILES_DIR, "tls", "sync-certs.sh");

function paths(topo: Topology) {
  const base = join(topo.configDirs.caddy, "..");
  return {
    caddyfile: join(topo.configDirs.caddy, "Caddyfile"),
    pid: join(base, "caddy.pid"),
    xdg: join(base, "xdg"),
    log: join(topo.paths.logDir, "caddy.log"),
    localRoot: join(topo.paths.caddyData, "pki", "authorities", "local", "root.crt"),
  };
}

/** The mail host: the one site block of the main Caddyfile (the domains' names are in sites/). */
export function mailHostOf(topo: Topology): string {
  const site = /^([a-z0-9.-]+) \{$/m.exec(readFileSync(join(topo.configDirs.caddy, "Caddyfile"), "utf8"));
  if (site === null) throw new Error(`caddy: no mail host site block in ${join(topo.configDirs.caddy, "Caddyfile")}`);
  return site[1];
}

/** Environment for sync-certs.sh against the local daemons (reload commands for this stack). */
export function syncCertsEnv(topo: Topology, mailHost: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    MAIL_HOST: mailHost,
    CADDY_DATA: topo.paths.caddyData,
    CADDY_ISSUER: caddyIssuerDir(topo),
    TLS_CERT: topo.paths.tlsCert,
    TLS_KEY: topo.paths.tlsKey,
    RELOAD_POSTFIX: `postfix -c '${topo.configDirs.postfix}' reload`,
    RELOAD_DOVECOT: `doveadm -c '${join(topo.configDirs.dovecot, "dovecot.conf")}' reload`,
  };
}

async function waitForFile(file: string, what: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > until) throw new Error(`caddy: ${what} did not appear at ${file} within ${timeoutMs / 1000}s; see ${"caddy.log"} in the log folder`);
    await sleep(200);
  }
}

export const caddyService: LocalService = {
  name: "caddy",

  async check(ctx) {
    const p = paths(ctx.topology);
    mkdirSync(p.xdg, { recursive: true });
    await runOk(`caddy validate (${p.caddyfile})`, "caddy", ["validate", "--adapter", "caddyfile", "--config", p.caddyfile], {
      env: { PATH: process.env.PATH, XDG_DATA_HOME: p.xdg, XDG_CONFIG_HOME: p.xdg, HOME: p.xdg },
    });
  },

  async start(ctx) {
    const p = paths(ctx.topology);
    mkdirSync(p.xdg, { recursive: true });
    mkdirSync(ctx.topology.paths.logDir, { recursive: true });
    await stopPid(readPid(p.pid));
    // --pidfile lets `down` stop exactly this Caddy; XDG_* keep autosave.json out of /root.
    startDetached("caddy", ["run", "--adapter", "caddyfile", "--config", p.caddyfile, "--pidfile", p.pid], p.log, {
      PATH: process.env.PATH,
      XDG_DATA_HOME: p.xdg,
      XDG_CONFIG_HOME: p.xdg,
      HOME: p.xdg,
    });
  },

  async ready(ctx) {
    const topo = ctx.topology;
    const p = paths(topo);
    await waitPorts("caddy", [{ host: topo.publicBind[0], port: topo.ports.https }, { host: topo.publicBind[0], port: topo.ports.http }], 20000);
    await waitForFile(p.localRoot, "Caddy's local root certificate", 20000);
    copyFileSync(p.localRoot, topo.paths.webmailTrustedCa);
    // A CA certificate is public: PHP-FPM (www-data) and test clients read this copy.
    chmodSync(topo.paths.webmailTrustedCa, 0o644);
    const host = await waitForMailHost(topo);
    const r = await runOk("sync-certs.sh (mail certificate to Postfix and Dovecot)", "bash", [SYNC_CERTS], { env: syncCertsEnv(topo, host) });
    for (const line of r.stdout.trim().split("\n").filter(Boolean)) ctx.log(line);
  },

  async stop(ctx) {
    await stopPid(readPid(paths(ctx.topology).pid));
  },
};

async function waitForMailHost(topo: Topology): Promise<string> {
  const host = mailHostOf(topo);
  await waitForFile(caddyCertificatePaths(topo, host).key, `Caddy's key for ${host}`, 20000);
  return host;
}

