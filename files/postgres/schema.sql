-- The mail database: what Postfix and Dovecot look up. Idempotent; run as the superuser in
-- database "mail" before every sync. Rows are written only by the sync (mailboxSyncSql).
CREATE TABLE IF NOT EXISTS domains (
  name        text PRIMARY KEY,
  active      boolean NOT NULL DEFAULT true
);
CREATE TABLE IF NOT EXISTS mailboxes (
  address     text PRIMARY KEY,
  domain      text NOT NULL REFERENCES domains (name),
  name        text NOT NULL,
  -- BLF-CRYPT ($2a$/$2y$), checked by Dovecot.
  password    text NOT NULL,
  quota_bytes bigint NOT NULL CHECK (quota_bytes >= 0),
  -- false: login and delivery refused; the maildir and its mail stay.
  active      boolean NOT NULL DEFAULT true
);
-- source is an address or "@domain" (catch-all); one row per destination.
CREATE TABLE IF NOT EXISTS aliases (
  source      text NOT NULL,
  destination text NOT NULL,
  PRIMARY KEY (source, destination)
);
-- Which mailbox login may use which sender address (Postfix smtpd_sender_login_maps).
CREATE TABLE IF NOT EXISTS sender_logins (
  sender      text NOT NULL,
  login       text NOT NULL,
  PRIMARY KEY (sender, login)
);
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO mailserver;
GRANT SELECT ON domains, mailboxes, aliases, sender_logins TO mailserver;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON domains, mailboxes, aliases, sender_logins FROM mailserver;
