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

-- A user changes their own password in the webmail (Roundcube's password plugin, as role
-- "mailpassword"), through this function only: it needs the current password, so even a
-- compromised webmail can change only passwords it was given, and only to a bcrypt hash. The sync
-- keeps a password set here (mailboxSync.ts: pulumi_password); an operator's reset replaces it.
-- pgcrypto checks bcrypt: its crypt() reads $2a$ only, so a stored $2b$ (bcryptjs) or $2y$ (PHP)
-- hash is checked under the $2a$ prefix, the same algorithm for passwords under 72 bytes.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE OR REPLACE FUNCTION mailstack_set_password(p_address text, p_current text, p_new_hash text)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  stored text;
  as2a text;
BEGIN
  IF p_new_hash !~ '^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$' THEN
    RAISE EXCEPTION 'the new password hash is not bcrypt';
  END IF;
  SELECT password INTO stored FROM mailboxes WHERE address = lower(p_address) AND active FOR UPDATE;
  IF stored IS NULL OR stored !~ '^\$2[aby]\$' THEN
    RETURN false;
  END IF;
  as2a := '$2a$' || substr(stored, 5);
  IF crypt(p_current, as2a) IS DISTINCT FROM as2a THEN
    RETURN false;
  END IF;
  UPDATE mailboxes SET password = p_new_hash WHERE address = lower(p_address);
  RETURN true;
END
$$;
REVOKE ALL ON FUNCTION mailstack_set_password(text, text, text) FROM PUBLIC;

-- Dovecot's login check (files/dovecot/dovecot.conf passdb): the stored bcrypt hash is checked
-- here, and what comes back is a SHA-256 of the password, which Dovecot verifies and keeps in its
-- auth cache, so a cached login costs no bcrypt. A wrong password gets the SHA-256 of a value the
-- password can never be, so Dovecot logs a plain "Password mismatch". Every stored flavour is
-- bcrypt ($2a$ from Pulumi, $2b$ from bcryptjs, $2y$ from the webmail; "{BLF-CRYPT}" in front
-- from doveadm); anything else never matches.
CREATE OR REPLACE FUNCTION mailstack_verified_password(p_stored text, p_plain text)
RETURNS text LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = public, pg_temp AS $$
DECLARE
  bare text := regexp_replace(p_stored, '^\{BLF-CRYPT\}', '');
  as2a text;
BEGIN
  IF bare ~ '^\$2[aby]\$' THEN
    as2a := '$2a$' || substr(bare, 5);
    IF crypt(p_plain, as2a) = as2a THEN
      RETURN '{SHA256}' || encode(digest(p_plain, 'sha256'), 'base64');
    END IF;
  END IF;
  RETURN '{SHA256}' || encode(digest('mailstack: no such password ' || p_plain, 'sha256'), 'base64');
END
$$;
REVOKE ALL ON FUNCTION mailstack_verified_password(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mailstack_verified_password(text, text) TO mailserver;
GRANT USAGE ON SCHEMA public TO mailpassword;
GRANT EXECUTE ON FUNCTION mailstack_set_password(text, text, text) TO mailpassword;
