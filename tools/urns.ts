// Resource URNs of a deployed customer stack, for the commands that name one resource
// (`pulumi up --replace`, `pulumi destroy --exclude`). A URN is
// urn:pulumi:<stack>::<project>::<parent types joined by $>$<type>::<name>; the parents are the
// component types the resource sits under (index.ts -> MailStack "mail" -> ...), and the root
// stack resource is not part of it. test/mock/urns.test.ts checks these against the parent chain
// the program really registers, so a renamed component or type token shows up as a failing test.
export const PROJECT = "mailstack";
export const MAIL_STACK = "mailstack:index:MailStack";
export const MAILBOXES = "mailstack:index:Mailboxes";
export const MAIL_SERVER = "mailstack:index:MailServer";
export const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";
export const PRIMARY_IP = "hcloud:index/primaryIp:PrimaryIp";

export function urn(stack: string, parentTypes: readonly string[], type: string, name: string): string {
  return `urn:pulumi:${stack}::${PROJECT}::${[...parentTypes, type].join("$")}::${name}`;
}

/** The generated password of a mailbox (components/mailboxes.ts names it by address). */
export const mailboxPasswordUrn = (stack: string, address: string) =>
  urn(stack, [MAIL_STACK, MAILBOXES], RANDOM_PASSWORD, `mailbox-password-${address}`);

/** The two primary IPs of the server (components/server.ts: "ipv4", "ipv6"). */
export const primaryIpUrns = (stack: string) => (["ipv4", "ipv6"] as const).map((n) => urn(stack, [MAIL_STACK, MAIL_SERVER], PRIMARY_IP, n));

export const REMOTE_COMMAND = "command:remote:Command";

/** The mailbox sync (components/mailboxes.ts "mailbox-sync"): re-run after a database restore. */
export const mailboxSyncUrn = (stack: string) => urn(stack, [MAIL_STACK, MAILBOXES], REMOTE_COMMAND, "mailbox-sync");
