// Mailbox logins: one generated password per mailbox (its bcrypt hash goes to the database, the
// plain password only to a secret stack output), and the database setup command: it waits until
// PostgreSQL answers, applies roles.sql, schema.sql (database "mail") and the domains/mailboxes/
// aliases sync SQL through `psql` on stdin, whenever the SQL or the pushed PostgreSQL files
// change (script text in components/core/databaseSetup.ts). Removed mailboxes are disabled by
// that SQL, never deleted. It never touches the server, DNS or any container.
//
// A mailbox's password belongs to Pulumi only until the user changes it: the sync writes a hash
// only when this component's generated one changed (a new mailbox, or the operator's
// `npm run mailbox -- reset-password`, which replaces the RandomPassword), so a later `pulumi up`
// never undoes a password the user set in webmail (core/remote/mailboxSync.ts).
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { MailConfig } from "./core/config/config";
import { databaseSetupScript } from "./core/remote/databaseSetup";
import { mailboxSyncSql } from "./core/remote/mailboxSync";
import { containerName, type Topology } from "./core/topology";
import type { HostAccess } from "./hostAccess";

export interface MailboxesArgs {
  cfg: MailConfig;
  topology: Topology;
  /** Where the sync runs: the VM over SSH, or this machine. */
  host: HostAccess;
  /** The postgres container: the sync runs inside it. */
  database: pulumi.Resource;
  /** Name of the postgres container. */
  databaseContainer: string;
  /** Content hash of the pushed PostgreSQL files: a changed roles.sql or schema.sql reruns the setup. */
  databaseFilesHash: pulumi.Input<string>;
  /** The host's identity (the Hetzner server id on the VM): the setup runs again on a new host. */
  serverId: pulumi.Input<string>;
}

export class Mailboxes extends pulumi.ComponentResource {
  /** Generated password per mailbox address (secret): the initial one, or the last operator reset. */
  readonly passwords: pulumi.Output<Record<string, string>>;
  /** Roles, databases and schema exist and the mailbox rows match the config once this completes. */
  readonly sync: pulumi.Resource;

  constructor(name: string, args: MailboxesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:Mailboxes", name, {}, opts);
    // Named by address, so adding or reordering mailboxes never renames another's password.
    const logins = args.cfg.mailboxes.map((m) => ({
      address: m.address,
      password: new random.RandomPassword(`mailbox-password-${m.address}`, { length: 24, special: false }, { parent: this }),
    }));
    this.passwords = pulumi.secret(
      pulumi.all(Object.fromEntries(logins.map((l) => [l.address, l.password.result]))) as pulumi.Output<Record<string, string>>,
    );
    const hashes = pulumi.all(Object.fromEntries(logins.map((l) => [l.address, l.password.bcryptHash]))) as pulumi.Output<Record<string, string>>;
    const sql = pulumi.secret(hashes.apply((h) => mailboxSyncSql(args.cfg, h)));
    // A hash of SQL whose only secrets are bcrypt hashes reveals nothing; unsecret so previews
    // show when the mailbox set changed.
    const sqlHash = pulumi.unsecret(sql.apply((s) => createHash("sha256").update(s).digest("hex")));
    this.sync = args.host.run(
      "mailbox-sync",
      {
        // No secret in the script: role passwords come from the pushed roles.sql, hashes on stdin.
        create: databaseSetupScript(args.topology, { container: args.databaseContainer, dovecotContainer: containerName(args.topology, "dovecot") }),
        stdin: sql,
        triggers: [sqlHash, args.databaseFilesHash, args.serverId],
        logging: "none",
      },
      { parent: this, dependsOn: [args.database] },
    );
    this.registerOutputs({});
  }
}
