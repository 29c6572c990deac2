// fail2ban's rendered files (mailstack:bans): its own settings, the one jail, the filter for
// Dovecot's failed-login events, the nftables action and the ban table it loads. The fail2ban
// container reads them where they are mounted. Pure: reads files/fail2ban/, never writes.
import { durationText } from "../config/abuse";
import type { MailConfig } from "../config/config";
import { FAIL2BAN_DB_DIR } from "../containers/containerSpecs";
import { banRules, hostTableName } from "../host/hostFirewall";
import { stackSubnets, type Topology } from "../topology";
import type { RenderedFile } from "./render";
import type { ServiceSecrets } from "./secrets";
import { renderSpecs } from "./spec";

/** fail2ban's jail: the name the operator's `npm run bans` and fail2ban-client use. */
export const BAN_JAIL = "mailstack-auth";

/** What fail2ban never bans: loopback, the stack's own networks, and mailstack:bans.ignore. */
export function banIgnoreList(cfg: MailConfig, topo: Pick<Topology, "networks">): string[] {
  const nets = stackSubnets(topo);
  return ["127.0.0.0/8", "::1/128", ...nets.v4, ...nets.v6, ...cfg.bans.ignore];
}

export function fail2banFiles(cfg: MailConfig, _secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  const b = cfg.bans;
  const dir = topo.configDirs.fail2ban;
  const table = hostTableName(topo, "bans");
  return renderSpecs([
    {
      service: "fail2ban",
      template: "fail2ban/fail2ban.conf",
      // Repeat offenders are judged by their earlier bans: keep at least 30 days of them.
      values: { hostname: cfg.hostname, dbFile: `${FAIL2BAN_DB_DIR}/fail2ban.sqlite3`, dbPurgeAge: Math.max(30 * 86400, 4 * b.maxBanTime) },
    },
    {
      service: "fail2ban",
      template: "fail2ban/jail.conf",
      values: {
        hostname: cfg.hostname,
        enabled: b.enabled ? "true" : "false",
        logPath: topo.paths.authFailureLog,
        maxFailures: b.maxFailures,
        findTime: durationText(b.findTime),
        banTime: durationText(b.banTime),
        maxBanTime: durationText(b.maxBanTime),
        findTimeSeconds: b.findTime,
        banTimeSeconds: b.banTime,
        maxBanTimeSeconds: b.maxBanTime,
        ipv6Prefix: b.ipv6Prefix,
        ignoreIp: banIgnoreList(cfg, topo).join(" "),
        table,
      },
    },
    { service: "fail2ban", template: "fail2ban/filter.d/mailstack-auth.conf", values: {} },
    { service: "fail2ban", template: "fail2ban/action.d/mailstack-nftables.conf", values: { configDir: dir } },
    { service: "fail2ban", template: "fail2ban/bans.nft", values: { hostname: cfg.hostname, table, rules: banRules(topo) } },
  ]);
}
