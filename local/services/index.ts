// The local services in start order (stop runs in reverse). The TLS/web work adds its entries
// (caddy, php-fpm/roundcube) at the end of LOCAL_SERVICES.
import { caddyService } from "./caddy";
import { dovecot } from "./dovecot";
import { postfix } from "./postfix";
import { postgres } from "./postgres";
import { redis } from "./redis";
import { roundcubeService } from "./roundcube";
import { rspamd } from "./rspamd";
import type { LocalService } from "./types";

// Caddy last: once it has the mail host's certificate it hands it to Postfix and Dovecot.
export const LOCAL_SERVICES: LocalService[] = [postgres, redis, rspamd, dovecot, postfix, roundcubeService, caddyService];
