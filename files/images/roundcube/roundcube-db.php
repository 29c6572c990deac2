<?php
// Creates Roundcube's tables in an empty database, or applies the schema updates a newer
// Roundcube package brings (the `system` table records the schema version), using Roundcube's own
// code and the database DSN from the installed config.inc.php. Run by the entrypoint as www-data
// before PHP-FPM starts; exits non-zero when the database cannot be reached or an update fails.
// The role and the database `roundcube` exist already (PostgreSQL's roles.sql).
define('INSTALL_PATH', '/var/lib/roundcube/');
require_once INSTALL_PATH . 'program/include/clisetup.php';

$db = rcmail_utils::db();
if (!in_array($db->table_name('system'), (array) $db->list_tables())) {
    rcmail_utils::db_init(INSTALL_PATH . 'SQL');
} else {
    // Prints nothing when the schema is current.
    rcmail_utils::db_update(INSTALL_PATH . 'SQL', 'roundcube', null, ['errors' => true]);
}
