// The secrets the rendered files need. They enter the pure core as plain strings from the caller:
// the Pulumi shell passes them inside `apply` so they stay Pulumi secrets, and the local runner
// generates its own and keeps them in its state folder. Nothing here is ever logged.

export interface ServiceSecrets {
  /** PostgreSQL superuser (container init only). */
  postgresPassword: string;
  /** Role `mailserver`: read-only lookups for Postfix and Dovecot. */
  mailDbPassword: string;
  /** Role `roundcube`: owns the Roundcube database. */
  roundcubeDbPassword: string;
  /**
   * Role `mailpassword`: Roundcube's password plugin logs in as it, and it may do one thing only:
   * call mailstack_set_password(), which changes a mailbox's password given the current one.
   */
  mailPasswordDbPassword: string;
  /** Roundcube's des_key: exactly 24 characters. */
  roundcubeDesKey: string;
  /** Rspamd controller (web UI) password, plain; templates only ever see its hash. */
  rspamdControllerPassword: string;
  /** Salt for the controller password hash, so the hash (and the file) is deterministic. */
  rspamdControllerSalt: string;
  /** Valkey's requirepass: Rspamd logs in with it; nothing else has it. Letters and digits. */
  valkeyPassword: string;
  /** DKIM private keys in PEM, by domain (punycode). */
  dkimPrivateKeys: Readonly<Record<string, string>>;
  /** Password for the configured relay host, when one is set. */
  relayPassword?: string;
  /** Role `mailbackup`: reads every database for pg_dump (pg_read_all_data), writes nothing. */
  backupDbPassword: string;
  /** The backup repository's password and credentials (mailstack:backup*), when backups are set. */
  backup?: BackupSecrets;
}

export interface BackupSecrets {
  /** restic's repository password (mailstack:backupPassword). */
  password: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** OpenSSH private key for an sftp: repository. */
  sshKey?: string;
  restPassword?: string;
}

/** Password hashes (Dovecot BLF-CRYPT, `$2a$`/`$2y$`) by mailbox address. */
export type MailboxPasswordHashes = Readonly<Record<string, string>>;

/** What `npm run render` prints instead of a secret value. */
export const SECRET_PLACEHOLDER = "<secret: set by pulumi up>";
