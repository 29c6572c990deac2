// Generates the stack's internal secrets (database roles, Roundcube's des_key, the Rspamd
// controller password and its salt, Valkey's password) as random.RandomPassword resources, and assembles them with
// the DKIM keys and the relay password into the ServiceSecrets the renderer needs, as one secret
// Output. It never renders or pushes anything.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { BackupSecrets, ServiceSecrets } from "./core/render/secrets";

export interface ServiceSecretsArgs {
  dkimPrivateKeys: pulumi.Output<Record<string, string>>;
  relayPassword?: pulumi.Output<string>;
  /** The backup repository's password and credentials (Pulumi secrets), when backups are set. */
  backup?: pulumi.Output<BackupSecrets>;
}

export class ServiceSecretValues extends pulumi.ComponentResource {
  /** Everything the renderer needs; secret as a whole. */
  readonly values: pulumi.Output<ServiceSecrets>;
  /** PostgreSQL superuser password, for the postgres container's environment. */
  readonly postgresPassword: pulumi.Output<string>;

  constructor(name: string, args: ServiceSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mailstack:index:ServiceSecrets", name, {}, opts);
    // Letters and digits only: these land in SQL, PHP and Rspamd config without quoting trouble.
    const password = (n: string, length: number) =>
      new random.RandomPassword(n, { length, special: false }, { parent: this }).result;
    const postgres = password("postgres-superuser-password", 32);
    const mailDb = password("mail-db-password", 32);
    const roundcubeDb = password("roundcube-db-password", 32);
    const mailPasswordDb = password("mail-password-db-password", 32);
    const desKey = password("roundcube-des-key", 24);
    const rspamd = password("rspamd-controller-password", 32);
    const salt = password("rspamd-controller-salt", 16);
    const valkey = password("valkey-password", 32);
    const backupDb = password("backup-db-password", 32);
    this.postgresPassword = postgres;
    const relay: pulumi.Output<string | undefined> = args.relayPassword ?? pulumi.output(undefined);
    const backup: pulumi.Output<BackupSecrets | undefined> = args.backup ?? pulumi.output(undefined);
    // pulumi.all takes at most eight typed inputs: the passwords as one list, then the rest.
    const passwords = pulumi.all([postgres, mailDb, roundcubeDb, mailPasswordDb, desKey, rspamd, salt, valkey]);
    this.values = pulumi.secret(
      pulumi.all([passwords, args.dkimPrivateKeys, relay, backupDb, backup]).apply(
        ([[p, m, r, mp, d, rc, s, v], dkim, rl, bdb, bk]): ServiceSecrets => ({
          postgresPassword: p,
          mailDbPassword: m,
          roundcubeDbPassword: r,
          mailPasswordDbPassword: mp,
          roundcubeDesKey: d,
          rspamdControllerPassword: rc,
          rspamdControllerSalt: s,
          valkeyPassword: v,
          dkimPrivateKeys: dkim,
          ...(rl === undefined ? {} : { relayPassword: rl }),
          backupDbPassword: bdb,
          ...(bk === undefined ? {} : { backup: bk }),
        }),
      ),
    );
    this.registerOutputs({});
  }
}
