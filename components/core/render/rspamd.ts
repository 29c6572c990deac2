// Rspamd's rendered files: its local.d overrides (milter proxy, controller, Valkey with its
// password, greylisting, Bayes, headers, DKIM and ARC signing, per-mailbox send limits) and one
// DKIM private key per domain. Pure: reads
// templates from files/rspamd/, never writes.
import type { MailConfig } from "../config/config";
import { internalSubmissionNetworks, resolverAddress, type Topology } from "../topology";
import { INTERNAL_MILTER_NAME } from "./postfix";
import type { RenderedFile } from "./render";
import { rspamdPasswordHash } from "./rspamdPassword";
import { ratelimitRates } from "./rspamdLimits";
import { checkedValkeyPassword } from "./valkey";
import type { ServiceSecrets } from "./secrets";
import { renderSpecs, type FileSpec } from "./spec";
import type { TemplateValues } from "./template";

/** The sender of the DMARC aggregate reports the stack sends (and the only one its reports listener relays for). */
export function dmarcReportSender(cfg: Pick<MailConfig, "domains" | "hostname">): string {
  return `noreply-dmarc@${cfg.domains[0]?.name ?? cfg.hostname}`;
}

/** Where Rspamd finds DKIM/ARC keys, relative to its config dir: dkim/<domain>.<selector>.key */
export const DKIM_KEY_DIR = "dkim";

export function rspamdFiles(cfg: MailConfig, secrets: ServiceSecrets, topo: Topology): RenderedFile[] {
  const dir = topo.configDirs.rspamd;
  const ld = (name: string, values: TemplateValues = {}): FileSpec => ({ service: "rspamd", template: `rspamd/local.d/${name}`, values });
  const keyDir = `${dir}/${DKIM_KEY_DIR}`;
  const domainBlocks = cfg.domains
    .map((d) => `  ${d.name} {\n    selector = "${cfg.dkimSelector}";\n    path = "${keyDir}/${d.name}.${cfg.dkimSelector}.key";\n  }`)
    .join("\n");
  const internalNetworks = internalSubmissionNetworks(topo)
    .map((n) => `"${n.replace(/[[\]]/g, "")}"`)
    .join(", ");
  const mail = topo.networks.mail;
  const reportNetworks = [mail.ipv4Subnet, ...(mail.ipv6Subnet !== undefined ? [mail.ipv6Subnet] : [])].map((n) => `"${n}"`);
  const signNetworks = [internalNetworks, ...reportNetworks].join(", ");
  const signing = { dkimSelector: cfg.dkimSelector, dkimKeyDir: keyDir, domainBlocks, signNetworks, internalNetworks };
  const local = topo.kind === "local";
  const files = renderSpecs([
    { service: "rspamd", template: "rspamd/README.conf", values: { hostname: cfg.hostname, configDir: dir } },
    ld("worker-proxy.inc", { milterPort: topo.internal.milter.port }),
    ld("worker-normal.inc"),
    ld("worker-fuzzy.inc"),
    ld("worker-controller.inc", {
      controllerPort: topo.internal.rspamdController.port,
      controllerPasswordHash: rspamdPasswordHash(secrets.rspamdControllerPassword, secrets.rspamdControllerSalt),
    }),
    ld("options.inc", {
      localAddrs: topo.mynetworks.map((n) => `"${n.replace(/[[\]]/g, "")}"`).join(", "),
      // The stack's own validating resolver (files/unbound), asked directly: DNSBL answers are
      // meant for our address, and on the local stack it answers from local data only.
      dnsNameserverLine: `nameserver = ["${resolverAddress(topo)}:53"];`,
    }),
    ld("fuzzy_check.conf", { fuzzyEnabled: local ? "false" : "true" }),
    ld("logging.inc"),
    // 0640 root:rspamd: it holds Valkey's password.
    {
      ...ld("redis.conf", { valkeyHost: topo.internal.valkey.host, valkeyPort: topo.internal.valkey.port, valkeyPassword: checkedValkeyPassword(secrets.valkeyPassword) }),
      secret: true,
      mode: 0o640,
    },
    ld("ratelimit.conf", { rates: ratelimitRates(cfg) }),
    ld("classifier-bayes.conf"),
    ld("greylist.conf", {
      greylistingEnabled: topo.greylisting ? "true" : "false",
      greylistingNote: topo.greylisting
        ? "Greylisting on: first mail from an unknown sender gets a temporary 4xx and is accepted on retry."
        : "GREYLISTING OFF: only for the local test/benchmark stack (MAILSTACK_GREYLISTING=off). Never in production.",
    }),
    ld("milter_headers.conf"),
    ld("dkim_signing.conf", signing),
    ld("arc.conf", signing),
    ld("settings.conf", { internalMilterName: INTERNAL_MILTER_NAME, internalNetworks }),
    ld("multimap.conf"),
    ld("hosted-domains.map", { hostedDomains: cfg.domains.map((d) => d.name).join("\n") }),
    ld("force_actions.conf"),
    ld("dmarc.conf", {
      reportingEnabled: cfg.reports.sendDmarc ? "true" : "false",
      reportSender: dmarcReportSender(cfg),
      reportDomain: cfg.domains[0]?.name ?? cfg.hostname,
      orgName: cfg.hostname,
      hostname: cfg.hostname,
      smtpHost: topo.internal.reportsSmtp.host,
      smtpPort: topo.internal.reportsSmtp.port,
    }),
    ld("policies_group.conf"),
    { service: "rspamd", template: "rspamd/lua.local.d/mailstack.lua", values: {} },
  ]);
  for (const d of cfg.domains) {
    const key = secrets.dkimPrivateKeys[d.name];
    if (key === undefined) throw new Error(`no DKIM private key for ${d.name}; every mail domain needs one`);
    files.push({
      service: "rspamd",
      path: `${DKIM_KEY_DIR}/${d.name}.${cfg.dkimSelector}.key`,
      content: key.endsWith("\n") ? key : `${key}\n`,
      // Group-readable: Rspamd's workers read keys as _rspamd; the deployer sets the group.
      mode: 0o640,
      secret: true,
    });
  }
  return files;
}
