-- Roles and databases, idempotent; run as the superuser with psql (ON_ERROR_STOP) on every deploy.
-- "mailserver" is what Postfix and Dovecot log in as: it can read the mail tables, never write.
SELECT 'CREATE ROLE mailserver LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mailserver')
\gexec
ALTER ROLE mailserver WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{{ mailDbPassword }}';
SELECT 'CREATE ROLE roundcube LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'roundcube')
\gexec
ALTER ROLE roundcube WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{{ roundcubeDbPassword }}';
-- "mailpassword" is what Roundcube's password plugin logs in as: it may only call
-- mailstack_set_password() (schema.sql), which needs the mailbox's current password.
SELECT 'CREATE ROLE mailpassword LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mailpassword')
\gexec
ALTER ROLE mailpassword WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{{ mailPasswordDbPassword }}';
-- "mailbackup" is what the backup container's pg_dump logs in as: it reads every table
-- (pg_read_all_data, PostgreSQL 14+) and may change nothing.
SELECT 'CREATE ROLE mailbackup LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mailbackup')
\gexec
ALTER ROLE mailbackup WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{{ backupDbPassword }}';
GRANT pg_read_all_data TO mailbackup;
SELECT 'CREATE DATABASE mail' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'mail')
\gexec
SELECT 'CREATE DATABASE roundcube OWNER roundcube' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'roundcube')
\gexec
