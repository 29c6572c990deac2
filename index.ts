// Entry point of `pulumi up`: reads the stack's `mailstack:` config, validates it with the pure
// core (a bad value stops the program with every problem listed), builds the MailStack and
// exports what operators and mail users need. No resource logic lives here.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, CONFIG_NAMESPACE, ConfigError, parseMailConfig, type MailConfig } from "./components/core/config/config";
import { productionTopology } from "./components/core/topology";
import { MailStack } from "./components/mailStack";

const STRING_KEYS = new Set<string>(["hostname", "acmeEmail", "dkimSelector"]);

function readRawConfig(config: pulumi.Config): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value = STRING_KEYS.has(key) ? config.get(key) : config.getObject<unknown>(key);
    if (value !== undefined) raw[key] = value;
  }
  // Unknown keys (typos such as mailstack:mailbox) are passed on so validation names them.
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [k, v] of Object.entries(pulumi.runtime.allConfig())) {
    const key = k.slice(prefix.length);
    if (k.startsWith(prefix) && key !== "relayPassword" && !(CONFIG_KEYS as readonly string[]).includes(key)) raw[key] = v;
  }
  return raw;
}

const config = new pulumi.Config(CONFIG_NAMESPACE);
const relayPassword = config.getSecret("relayPassword");
let cfg: MailConfig;
try {
  cfg = parseMailConfig(readRawConfig(config), { hasRelayPassword: relayPassword !== undefined });
} catch (err) {
  // RunError prints the message alone, without a stack trace: the message is the fix.
  if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
  throw err;
}

const topology = productionTopology;
const stack = new MailStack("mail", { cfg, topology, relayPassword });
const server = stack.server;

export const ipv4 = server.ipv4;
/** The one IPv6 address with AAAA and PTR; outbound mail leaves from it. */
export const ipv6 = server.ipv6;
export const mailHost = cfg.hostname;
export const webmailUrl = `https://${cfg.hostname}/`;
export const dnsRecords = stack.dnsRecords.map((r) => {
  const base = { name: r.name, type: r.type, ttl: r.ttl };
  switch (r.type) {
    case "MX":
      return { ...base, priority: r.priority, content: r.content };
    case "SRV":
    case "CAA":
      return { ...base, data: r.data };
    default:
      return { ...base, content: r.content };
  }
});
export const clientSettings = {
  imap: { host: cfg.hostname, port: topology.ports.imaps, security: "SSL/TLS" },
  imapStartTls: { host: cfg.hostname, port: topology.ports.imap, security: "STARTTLS" },
  smtp: { host: cfg.hostname, port: topology.ports.submissions, security: "SSL/TLS", authentication: "normal password" },
  smtpStartTls: { host: cfg.hostname, port: topology.ports.submission, security: "STARTTLS", authentication: "normal password" },
  manageSieve: { host: cfg.hostname, port: topology.ports.sieve, security: "STARTTLS" },
  username: "the full mail address",
};
/** Initial password per mailbox: `pulumi stack output --show-secrets mailboxPasswords`. */
export const mailboxPasswords = stack.mailboxPasswords;
/**
 * `pulumi up` needs neither: it writes both into .pulumi-ssh/<stack>/ itself. In a fresh checkout
 * `scripts/restore-ssh-access.sh <stack>` restores that folder from these two outputs.
 */
export const deployPrivateKey = pulumi.secret(server.ssh.privateKey);
/** The VM's pinned host key as a known_hosts line. */
export const sshKnownHosts = server.knownHostsLine;
