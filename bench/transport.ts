// The benchmark's SMTP client: one nodemailer pool of reused sessions to the local stack, so the
// figures measure the server, not connection set-up. Inbound and submission differ only in the
// extra options (HELO name, or STARTTLS and login) and, for inbound from the "outside", a SOCKS
// proxy inside the outside namespace (bench/outsideClient.ts) through which the sessions run.
import nodemailer from "nodemailer";
import type SMTPPool from "nodemailer/lib/smtp-pool";
import { SocksClient } from "socks";

export interface Target {
  host: string;
  port: number;
  /** socks5://ADDR:PORT: open every session through this proxy. */
  proxy?: string;
}

export function benchPool(to: Target, connections: number, extra: Omit<SMTPPool.Options, "pool">) {
  const transport = nodemailer.createTransport({
    ...extra,
    pool: true,
    maxConnections: connections,
    maxMessages: Infinity,
    host: to.host,
    port: to.port,
    ...(to.proxy !== undefined ? { proxy: to.proxy } : {}),
    tls: { rejectUnauthorized: false },
    connectionTimeout: 10000,
    socketTimeout: 60000,
  });
  // nodemailer speaks SOCKS through the module it is handed (it bundles none).
  if (to.proxy !== undefined) transport.set("proxy_socks_module", { SocksClient });
  return transport;
}
