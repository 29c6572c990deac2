// The Pulumi program as a function: reads the stack's `mailstack:` config, validates it with the
// pure core (a bad value stops the program with every problem listed), builds the MailStack for
// the VM or for an existing host, and returns the stack outputs. index.ts (what `pulumi up` runs)
// exports them one by one; the Automation API runs it as an inline program
// (tools/engine/inlineStack.ts), which needs no Node.js language host. No resource logic lives here.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseMailConfig, type MailConfig } from "./core/config/config";
import { CONFIG_NAMESPACE, RELAY_PASSWORD_KEY, rawMailConfig } from "./core/config/stackValues";
import { OPERATIONS_SECRET_KEYS, operationsWarnings } from "./core/config/operations";
import type { BackupSecrets } from "./core/render/secrets";
import { existingHostTopology, productionTopology, type Topology } from "./core/topology";
import { MailStack } from "./mailStack";

export interface ProgramOptions {
  /**
   * Tests only: the topology an existing host gets instead of production's ports and names (its
   * data folder still comes from `mailstack:host.dataDir`).
   */
  existingHostBase?: Topology;
}

export function mailProgram(opts: ProgramOptions = {}) {
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

  const topology = cfg.host === undefined ? productionTopology : existingHostTopology(cfg.host, opts.existingHostBase);
  const stack = new MailStack("mail", { cfg, topology, relayPassword, backupSecrets, alertWebhookUrl });
  const server = stack.server;

  return {
    ipv4: stack.ipv4,
    /** The one IPv6 address with AAAA and PTR; outbound mail leaves from it. */
    ipv6: stack.ipv6,
    mailHost: cfg.hostname,
    webmailUrl: `https://${cfg.hostname}/`,
    dnsRecords: stack.dnsRecords.map((r) => {
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
    }),
    clientSettings: {
      imap: { host: cfg.hostname, port: topology.ports.imaps, security: "SSL/TLS" },
      imapStartTls: { host: cfg.hostname, port: topology.ports.imap, security: "STARTTLS" },
      smtp: { host: cfg.hostname, port: topology.ports.submissions, security: "SSL/TLS", authentication: "normal password" },
      smtpStartTls: { host: cfg.hostname, port: topology.ports.submission, security: "STARTTLS", authentication: "normal password" },
      manageSieve: { host: cfg.hostname, port: topology.ports.sieve, security: "STARTTLS" },
      username: "the full mail address",
    },
    /**
     * Per zone with `domains[].dnssec: true`: the DS record to enter at the domain's registrar (until
     * it is there, the zone is signed but not trusted; inbound DANE needs both). Empty with a zone file.
     */
    dnssecDsRecords: stack.dnssecDsRecords,
    /** Initial password per mailbox: `pulumi stack output --show-secrets mailboxPasswords`. */
    mailboxPasswords: stack.mailboxPasswords,
    /**
     * VM only. `pulumi up` needs neither: it writes both into .pulumi-ssh/<stack>/ itself. In a
     * fresh checkout `scripts/restore-ssh-access.sh <stack>` restores that folder from these two.
     */
    deployPrivateKey: server === undefined ? undefined : pulumi.secret(server.ssh.privateKey),
    /** VM only: its pinned host key as a known_hosts line. */
    sshKnownHosts: server?.knownHostsLine,
    /** Existing host with `dns: zoneFile`: every record, for the operator's own DNS. */
    zoneFile: stack.zoneFile,
    /** Existing host: runs the certificate hook again; schedule it (cron, every 5 minutes) so renewals reach the daemons. */
    certHookCommand: stack.certHookCommand,
  };
}
