// Entry point of `pulumi up`: runs the program (components/program.ts: config, validation, the
// MailStack on the VM or an existing host) and exports its outputs. No resource logic lives here.
import { mailProgram } from "./components/program";

const outputs = mailProgram();

export const ipv4 = outputs.ipv4;
/** The one IPv6 address with AAAA and PTR; outbound mail leaves from it. */
export const ipv6 = outputs.ipv6;
export const mailHost = outputs.mailHost;
export const webmailUrl = outputs.webmailUrl;
export const dnsRecords = outputs.dnsRecords;
export const clientSettings = outputs.clientSettings;
/**
 * Per zone with `domains[].dnssec: true`: the DS record to enter at the domain's registrar (until it
 * is there, the zone is signed but not trusted; inbound DANE needs both).
 */
export const dnssecDsRecords = outputs.dnssecDsRecords;
/** Initial password per mailbox: `pulumi stack output --show-secrets mailboxPasswords`. */
export const mailboxPasswords = outputs.mailboxPasswords;
/**
 * VM only. `pulumi up` needs neither: it writes both into .pulumi-ssh/<stack>/ itself. In a fresh
 * checkout `scripts/restore-ssh-access.sh <stack>` restores that folder from these two outputs.
 */
export const deployPrivateKey = outputs.deployPrivateKey;
/** VM only: its pinned host key as a known_hosts line. */
export const sshKnownHosts = outputs.sshKnownHosts;
/** Existing host with `dns: zoneFile`: every record as a BIND zone file. */
export const zoneFile = outputs.zoneFile;
/** Existing host: the command that runs the certificate hook again (schedule it every 5 minutes). */
export const certHookCommand = outputs.certHookCommand;
