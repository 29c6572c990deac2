<?php
/**
 * mailstack_client_ip: tells Dovecot which browser is logging in. Roundcube 1.6 logs in to IMAP
 * afresh on every request, from the webmail container's own address; without this, Dovecot would
 * see one address for every webmail user, so its failed-login delay would slow all of them for
 * one attacker, the bans could not name the attacker, and the logs would not either. Before
 * LOGIN it sends the IMAP ID command (RFC 2971) with x-originating-ip, the address nginx gave
 * PHP (REMOTE_ADDR: Roundcube's proxy_whitelist is empty, so no X-Forwarded-For from a browser
 * is believed). Dovecot honours it only from login_trusted_networks, the webmail's network
 * (files/dovecot/dovecot.conf). Roundcube itself sends no client address: its storage_connect
 * hook takes `preauth_ident` for exactly this (Roundcube #7860). ManageSieve has no ID command;
 * its logins reuse the password IMAP has just accepted.
 */
class mailstack_client_ip extends rcube_plugin
{
    public function init()
    {
        $this->add_hook('storage_connect', [$this, 'storage_connect']);
    }

    public function storage_connect($args)
    {
        $ip = rcube_utils::remote_addr();
        if (filter_var($ip, FILTER_VALIDATE_IP) !== false) {
            $args['preauth_ident'] = ['x-originating-ip' => $ip];
        }
        return $args;
    }
}
