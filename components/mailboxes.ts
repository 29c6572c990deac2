// Mailbox logins: one generated password per mailbox (its bcrypt hash goes to the database, the
// plain password only to a secret stack output), and a remote command that applies the
// domains/mailboxes/aliases sync SQL to PostgreSQL through `psql` on stdin whenever the SQL
// changes. Removed mailboxes are disabled by that SQL, never deleted. It never touches the
// server, DNS or any container.
import { createHash } from "node:crypto";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { MailConfig } from "./core/config";
import { mailboxSyncSql } from "./core/mailboxSync";
import { connectionOf, type SshAccess } from "./sshConnection";

/** Database the mail lookups read (created by the rendered PostgreSQL init files). */
export const MAIL_DATABASE = "mail";

export interface MailboxesArgs {
  cfg: MailConfig;
  ssh: SshAccess;
  /** The postgres container: the sync runs inside it. */
  database: pulumi.Resource;
  /** Name of the postgres container. */
  databaseContainer: string;
}

export class Mailboxes extends pulumi.ComponentResource {
  /** Initial password per mailbox address (secret). */
  readonly passwords: pulumi.Output<Record<string, string>>;

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
    new command.remote.Command(
      "mailbox-sync",
      {
        connection: connectionOf(args.ssh),
        create: `docker exec -i ${args.databaseContainer} psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 -U postgres -d ${MAIL_DATABASE}`,
        stdin: sql,
        triggers: [sqlHash],
        logging: "none",
      },
      { parent: this, dependsOn: [args.database], additionalSecretOutputs: ["stdout", "stderr", "stdin"] },
    );
    this.registerOutputs({});
  }
}
