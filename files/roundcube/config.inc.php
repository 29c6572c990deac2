<?php
// Roundcube webmail on https://{{ hostname }}/, rendered by the mail stack from
// files/roundcube/config.inc.php; local edits are overwritten by the next `pulumi up`.
// The Roundcube image installs it as Debian's /etc/roundcube/config.inc.php (0640 root:www-data):
// it holds the database password and des_key. Roundcube reads defaults.inc.php first, then this.
// ref: https://github.com/roundcube/roundcubemail/blob/1.6.22/config/defaults.inc.php
$config = [];

// ------------------------------------------------------------------------------- Database ---
// Roundcube's own role and database (sessions, contacts, preferences); never the mail lookup
// tables. The Roundcube container creates or upgrades the tables at every start.
$config['db_dsnw'] = '{{ dbDsn }}';

// ------------------------------------------------------------------- IMAP, SMTP, Sieve ---
// Roundcube reaches Dovecot and Postfix by their service names, but always over STARTTLS and
// with the certificate checked against the public mail host name (the certificate names
// {{ hostname }}, not the container): the network is private, yet checking costs nothing and a
// wrong peer never sees a user's password.
$mailTls = [
    'ssl' => [
        'verify_peer' => true,
        'verify_peer_name' => true,
        'peer_name' => '{{ hostname }}',
        'cafile' => '{{ trustedCa }}',
    ],
];

// tls:// is STARTTLS on the plain port.
$config['imap_host'] = 'tls://{{ imapHost }}:{{ imapPort }}';
$config['imap_conn_options'] = $mailTls;
$config['smtp_host'] = 'tls://{{ smtpHost }}:{{ smtpPort }}';
$config['smtp_conn_options'] = $mailTls;
// Users send with their own login, like any mail client: Postfix checks the sender belongs to it.
$config['smtp_user'] = '%u';
$config['smtp_pass'] = '%p';
// No XCLIENT (smtp_xclient_addr): Postfix would have to trust the webmail with XCLIENT, which
// also lets a client claim a login (LOGIN=) without a password, so a compromised webmail could
// send as every user. Postfix therefore sees the webmail's own address for mail sent here (it is
// exempt from the per-address limits, and Rspamd limits each mailbox instead); the browser's
// address is in Roundcube's log (smtp_log). Mailu's front uses XCLIENT because it authenticates
// users itself.

// ------------------------------------------------------------------------------ Logins ---
// Logins are full addresses; "alice" alone becomes alice@{{ primaryDomain }}.
$config['username_domain'] = '{{ primaryDomain }}';
$config['username_domain_forced'] = false;
$config['login_lc'] = 2;

$config['product_name'] = '{{ productName }}';
$config['support_url'] = '{{ supportUrl }}';

// Encrypts the IMAP password in the session; changing it logs everybody out.
$config['des_key'] = '{{ desKey }}';
$config['cipher_method'] = 'AES-256-CBC';

// Served only over HTTPS by nginx (which passes HTTPS=on over FastCGI).
$config['use_https'] = true;
$config['session_samesite'] = 'Strict';
$config['enable_installer'] = false;
$config['ip_check'] = true;
// Every login, failed or not, with the browser's address, in the container log: with Dovecot's
// own log (which gets the same address from the mailstack_client_ip plugin) an operator sees who
// tried what. Sent mail is logged the same way (smtp_log, on by default). The address is never
// put into outgoing mail (http_received_header stays off): recipients learn nothing about where
// a user sat.
$config['log_logins'] = true;

// PHP-FPM copies the workers' output into the container log (catch_workers_output).
$config['log_driver'] = 'stdout';

// --------------------------------------------------------------------------- Messages ---
// Keep in sync: rendered from MESSAGE_SIZE_LIMIT, like Postfix's message_size_limit. Roundcube
// allows attachments up to this / 1.33 (their base64 size).
// ref: https://www.postfix.org/postconf.5.html#message_size_limit
$config['max_message_size'] = {{ messageSizeLimit }};

$config['skin'] = 'elastic';
$config['enable_spellcheck'] = false;
// The special-use folders Dovecot creates for every mailbox.
$config['drafts_mbox'] = 'Drafts';
$config['sent_mbox'] = 'Sent';
$config['junk_mbox'] = 'Junk';
$config['trash_mbox'] = 'Trash';
$config['create_default_folders'] = true;

// ---------------------------------------------------------------------------- Plugins ---
$config['plugins'] = [{{ plugins }}];

// password: users change their own password (Settings > Password). Roundcube logs in to the mail
// database as role mailpassword, which may only call mailstack_set_password() (schema.sql): it
// checks the current password there too, and stores the new one as bcrypt (cost 10, as the
// generated passwords; Dovecot's BLF-CRYPT reads $2y$). The next `pulumi up` keeps a password set
// here; an operator's reset (npm run mailbox -- reset-password) replaces it. Not in docker-mailserver
// or Mailu's webmail defaults; mailcow offers the same in its own UI.
// ref: https://github.com/roundcube/roundcubemail/blob/1.6.22/plugins/password/config.inc.php.dist
$config['password_driver'] = 'sql';
$config['password_db_dsn'] = '{{ passwordDbDsn }}';
// No row (the function said false: wrong current password, disabled mailbox) is a failure.
$config['password_query'] = 'SELECT 1 WHERE mailstack_set_password(%u, %o, %P)';
$config['password_algorithm'] = 'blowfish-crypt';
$config['password_algorithm_options'] = ['cost' => 10];
$config['password_confirm_current'] = true;
$config['password_minimum_length'] = 12;
$config['password_force_save'] = false;

// archive: the "Archive" button moves mail into one folder.
$config['archive_mbox'] = 'Archive';
$config['archive_type'] = '';

// managesieve: filters and vacation replies, stored by Dovecot's ManageSieve.
$config['managesieve_host'] = 'tls://{{ sieveHost }}:{{ sievePort }}';
$config['managesieve_conn_options'] = $mailTls;
$config['managesieve_vacation'] = 1;
