// Entry point of `pulumi up`: reads the stack's `mailstack:` config, validates it with the pure
// core (a bad value stops the program with every problem listed), builds the MailStack and
// exports what operators and mail users need. No resource logic lives here.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseMailConfig, type MailConfig } from "./components/core/config/config";
import { CONFIG_NAMESPACE, RELAY_PASSWORD_KEY, rawMailConfig } from "./components/core/config/stackValues";
import { OPERATIONS_SECRET_KEYS, operationsWarnings } from "./components/core/config/operations";
import type { BackupSecrets } from "./components/core/render/secrets";
import { productionTopology } from "./components/core/topology";
import { MailStack } from "./components/mailStack";

// Every key of the stack, as Pulumi hands them over (strings; objects as JSON), through the same
// rawMailConfig the tools use on the YAML: `dkimSelector: 2026` means "2026" everywhere.
const { raw, hasRelayPassword, secretsSet, keyProblems } = rawMailConfig(pulumi.runtime.allConfig());
const relayPassword = hasRelayPassword ? new pulumi.Config(CONFIG_NAMESPACE).requireSecret(RELAY_PASSWORD_KEY) : undefined;
let cfg: MailConfig;
try {
  cfg = parseMailConfig(raw, { hasRelayPassword, secretsSet, keyProblems, notice: (n) => void pulumi.log.warn(n) });
} catch (err) {
  // RunError prints the message alone, without a stack trace: the message is the fix.
  if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
  throw err;
}

// Backup credentials: only those the repository's kind uses are read (the schema checked they are set).
const config = new pulumi.Config(CONFIG_NAMESPACE);
const secretOf = (key: keyof typeof OPERATIONS_SECRET_KEYS) => (secretsSet.has(key) ? config.requireSecret(OPERATIONS_SECRET_KEYS[key]) : pulumi.output(undefined));
const backupSecrets: pulumi.Output<BackupSecrets> | undefined =
  cfg.backup === undefined
    ? undefined
    : pulumi.secret(
        pulumi
          .all([secretOf("backupPassword"), secretOf("backupAccessKeyId"), secretOf("backupSecretAccessKey"), secretOf("backupSshKey"), secretOf("backupRestPassword")])
          .apply(([password, accessKeyId, secretAccessKey, sshKey, restPassword]) => ({
            password: password ?? "",
            ...(accessKeyId !== undefined ? { accessKeyId } : {}),
            ...(secretAccessKey !== undefined ? { secretAccessKey } : {}),
            ...(sshKey !== undefined ? { sshKey } : {}),
            ...(restPassword !== undefined ? { restPassword } : {}),
          })),
      );
for (const w of operationsWarnings(cfg)) void pulumi.log.warn(w);
const alertWebhookUrl = secretsSet.has("alertWebhookUrl") ? config.requireSecret(OPERATIONS_SECRET_KEYS.alertWebhookUrl) : undefined;

const topology = productionTopology;
const stack = new MailStack("mail", { cfg, topology, relayPassword, backupSecrets, alertWebhookUrl });
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
    case "TLSA":
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
/**
 * Per zone with `domains[].dnssec: true`: the DS record to enter at the domain's registrar (until it
 * is there, the zone is signed but not trusted; inbound DANE needs both).
 */
export const dnssecDsRecords = stack.dnssecDsRecords;
/** Initial password per mailbox: `pulumi stack output --show-secrets mailboxPasswords`. */
export const mailboxPasswords = stack.mailboxPasswords;
/**
 * `pulumi up` needs neither: it writes both into .pulumi-ssh/<stack>/ itself. In a fresh checkout
 * `scripts/restore-ssh-access.sh <stack>` restores that folder from these two outputs.
 */
export const deployPrivateKey = pulumi.secret(server.ssh.privateKey);
/** The VM's pinned host key as a known_hosts line. */
export const sshKnownHosts = server.knownHostsLine;
