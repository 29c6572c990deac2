<?php
// Roundcube webmail on https://{{ hostname }}/, rendered by the mail stack from
// files/roundcube/config.inc.php; local edits are overwritten by the next `pulumi up`.
// Holds the database password and des_key: keep it readable by the PHP user only.

// No `$config = [];` here: the official image includes this file after the config it generates
// (logging to stdout, temp dir), and resetting the array would throw those settings away.

// Database: Roundcube's own role and database (sessions, contacts, preferences); never the
// mail lookup tables.
$config['db_dsnw'] = '{{ dbDsn }}';

// Roundcube reaches Dovecot and Postfix by their internal names, but always over TLS and with
// the certificate checked against the public mail host name: the Docker network is private, yet
// checking costs nothing and a wrong peer can never see a user's password.
$mailTls = [
    'ssl' => [
        'verify_peer' => true,
        'verify_peer_name' => true,
        'peer_name' => '{{ hostname }}',
        'cafile' => '{{ trustedCa }}',
    ],
];

// tls:// is STARTTLS on the plain port (143, 587, 4190).
$config['imap_host'] = 'tls://{{ imapHost }}:{{ imapPort }}';
$config['imap_conn_options'] = $mailTls;
$config['smtp_host'] = 'tls://{{ smtpHost }}:{{ smtpPort }}';
$config['smtp_conn_options'] = $mailTls;
// Users send with their own login, like any mail client: Postfix checks the sender belongs to it.
$config['smtp_user'] = '%u';
$config['smtp_pass'] = '%p';

// Logins are full addresses; "alice" alone becomes alice@{{ primaryDomain }}.
$config['username_domain'] = '{{ primaryDomain }}';
$config['username_domain_forced'] = false;
$config['login_lc'] = 2;

$config['product_name'] = '{{ productName }}';
$config['support_url'] = '{{ supportUrl }}';

// Encrypts the IMAP password in the session; changing it logs everybody out.
$config['des_key'] = '{{ desKey }}';
$config['cipher_method'] = 'AES-256-CBC';

// Served only over HTTPS by Caddy.
$config['use_https'] = true;
$config['session_samesite'] = 'Strict';
$config['enable_installer'] = false;
$config['ip_check'] = true;

$config['skin'] = 'elastic';
$config['enable_spellcheck'] = false;
// The special-use folders Dovecot creates for every mailbox.
$config['drafts_mbox'] = 'Drafts';
$config['sent_mbox'] = 'Sent';
$config['junk_mbox'] = 'Junk';
$config['trash_mbox'] = 'Trash';
$config['create_default_folders'] = true;

$config['plugins'] = ['archive', 'managesieve'];

// archive plugin: "Archive" button moves mail into one folder.
$config['archive_mbox'] = 'Archive';
$config['archive_type'] = '';

// managesieve plugin: filters and vacation replies, stored by Dovecot's ManageSieve.
$config['managesieve_host'] = 'tls://{{ sieveHost }}:{{ sievePort }}';
$config['managesieve_conn_options'] = $mailTls;
$config['managesieve_vacation'] = 1;
