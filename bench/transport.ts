// The benchmark's SMTP client: one nodemailer pool of reused sessions to the local stack, so the
// figures measure the server, not connection set-up. Inbound and submission differ only in the
// extra options (source address and HELO name, or STARTTLS and login).
import nodemailer from "nodemailer";
import type SMTPPool from "nodemailer/lib/smtp-pool";

export function benchPool(port: number, connections: number, extra: Omit<SMTPPool.Options, "pool">) {
  return nodemailer.createTransport({
    ...extra,
    pool: true,
    maxConnections: connections,
    maxMessages: Infinity,
    host: "127.0.0.1",
    port,
    tls: { rejectUnauthorized: false },
    connectionTimeout: 10000,
    socketTimeout: 60000,
  });
}
