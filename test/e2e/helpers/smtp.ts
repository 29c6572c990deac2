// SMTP for the tests (not a test file). Owns the SMTP clients and the sink: mail from the
// internet (an MTA at an outside address on port 25, or anyone unauthenticated on 587/465),
// mail a user submits (a human's mail client on 127.0.0.1, or one on the internet), the local
// "remote MX" sink where the stack relays outbound mail (endpoints.json `sink`), and raw line
// dialogs for what no client library would send. Each verb has defaults for everything but what
// a test is about; a refused message throws an SmtpError (see expectRefused).
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import nodemailer from "nodemailer";
import { SMTPServer } from "smtp-server";
import * as socks from "socks";
import type { OutsideClient, Outside } from "./outside";
import { uniqueId, until, type LocalStack } from "./stack";

export const LOOPBACK = "127.0.0.1";

/** The stack's SMTP ports, by their endpoints.json names. */
export type SmtpPort = "smtp" | "submission" | "submissions";

export interface Mail {
  from: string;
  to: string | string[];
  subject: string;
  text: string;
  messageId: string;
}

export interface SmtpError extends Error {
  responseCode?: number;
  response?: string;
}

const ORDINARY_TEXT = "Hello, this is an ordinary message from a remote server about the quarterly meeting.";

function withDefaults(mail: Partial<Mail>, from: string): Mail {
  return { from, to: [], subject: "A message", text: ORDINARY_TEXT, messageId: uniqueId("mail"), ...mail };
}

/** Where a client connects from: 127.0.0.1 (a human on this machine) or an outside source. */
export type Via = OutsideClient | "loopback";

function transport(stack: LocalStack, port: SmtpPort, via: Via, extra: { auth?: { user: string; pass: string }; name?: string }) {
  const secure = port === "submissions";
  const t = nodemailer.createTransport({
    // From the outside the stack answers on its outside address, with the same port numbers.
    host: via === "loopback" ? LOOPBACK : stack.ep.remote.address,
    port: stack.ep[port],
    secure,
    // Submission with a password: STARTTLS or nothing. Port 25: STARTTLS when offered, as MTAs do.
    requireTLS: !secure && extra.auth !== undefined,
    ...(via === "loopback" ? {} : { proxy: via.proxy }),
    ...(extra.auth === undefined ? {} : { auth: extra.auth }),
    name: extra.name ?? (via === "loopback" ? "client.example" : "mx.remote.example"),
    tls: { servername: stack.ep.mailHost, ca: stack.ca },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  if (via !== "loopback") t.set("proxy_socks_module", socks);
  return t;
}

async function send(t: ReturnType<typeof transport>, mail: Mail): Promise<string> {
  try {
    const info = (await t.sendMail(mail)) as { response: string };
    assert.match(info.response, /^250 /);
    return mail.messageId;
  } finally {
    t.close();
  }
}

/**
 * Mail from the internet: an MTA at an outside source address (client 0 unless `source` says
 * otherwise) connects to port 25 (or `port`, unauthenticated) and sends. Resolves with the
 * Message-ID once the stack answered 250; a refusal throws an SmtpError.
 */
export async function sendFromInternet(outside: Outside, mail: Partial<Mail> = {}, opts: { source?: number; port?: SmtpPort } = {}): Promise<string> {
  const t = transport(outside.stack, opts.port ?? "smtp", outside.client(opts.source ?? 0), {});
  return send(t, withDefaults({ to: "bob@e2e.test", ...mail }, "someone@remote.example"));
}

/** The same unauthenticated sender, but on 127.0.0.1 (which the stack must not trust either). */
export async function sendFromLoopback(stack: LocalStack, mail: Partial<Mail> = {}, opts: { port?: SmtpPort } = {}): Promise<string> {
  const t = transport(stack, opts.port ?? "smtp", "loopback", {});
  return send(t, withDefaults({ to: "bob@e2e.test", ...mail }, "someone@remote.example"));
}

/**
 * A user submits mail with their password: on 587 with STARTTLS unless `port` says 465, from
 * 127.0.0.1 (a mail client on this machine) unless `via` puts the client on the internet.
 * `from` defaults to the user's own address.
 */
export async function submit(
  stack: LocalStack,
  user: string,
  mail: Partial<Mail> = {},
  opts: { port?: SmtpPort; password?: string; via?: Via } = {},
): Promise<string> {
  const t = transport(stack, opts.port ?? "submission", opts.via ?? "loopback", { auth: { user, pass: opts.password ?? stack.password(user) } });
  return send(t, withDefaults({ to: "partner@elsewhere.example", ...mail }, user));
}

/** Runs a send that must be refused; returns the server's error (code and text). */
export async function expectRefused(send: () => Promise<unknown>): Promise<SmtpError> {
  try {
    await send();
  } catch (e) {
    return e as SmtpError;
  }
  throw new Error("the server accepted a message it should have refused");
}

export interface SinkMessage {
  from: string;
  to: string[];
  raw: string;
}

export interface Sink {
  messages: SinkMessage[];
  /** Waits until a message carrying this Message-ID arrived. */
  waitFor: (messageId: string, timeoutMs?: number) => Promise<SinkMessage>;
  close: () => Promise<void>;
}

/** The local "remote MX": listens where the stack relays outbound mail (endpoints.json `sink`). */
export async function startSink(stack: LocalStack): Promise<Sink> {
  const { host, port } = stack.ep.sink;
  const messages: SinkMessage[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString(),
        });
        cb();
      });
    },
  });
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(port, host, () => res());
  });
  return {
    messages,
    waitFor: (id, timeoutMs = 30_000) => until(`message ${id} at the sink`, async () => messages.find((m) => m.raw.includes(id)), timeoutMs),
    close: () => new Promise<void>((res) => server.close(() => res())),
  };
}

/** A plain TCP connection to one of the stack's ports, from 127.0.0.1 or through the outside. */
export async function connectTo(stack: LocalStack, port: number, via: Via): Promise<Socket> {
  if (via === "loopback") {
    const s = netConnect({ host: LOOPBACK, port });
    await new Promise<void>((res, rej) => s.once("connect", res).once("error", rej));
    return s;
  }
  const { socket } = await socks.SocksClient.createConnection({
    proxy: { host: via.proxyHost, port: via.proxyPort, type: 5 },
    command: "connect",
    destination: { host: stack.ep.remote.address, port },
    timeout: 10_000,
  });
  return socket;
}

/**
 * A raw SMTP (or IMAP) conversation: sends each line after the previous reply and returns every
 * reply, the greeting first. The line "<STARTTLS>" upgrades the socket to TLS in place. `via`
 * says who the client is: an outside source or "loopback".
 */
export async function plainDialog(stack: LocalStack, port: number, lines: string[], via: Via): Promise<string[]> {
  let sock: Socket = await connectTo(stack, port, via);
  const replies: string[] = [];
  let buf = "";
  const complete = (b: string) => {
    const last = b.split("\r\n").slice(-2)[0] ?? "";
    return b.endsWith("\r\n") && !/^\d{3}-/.test(last);
  };
  const next = () =>
    new Promise<string>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no reply on port ${port}; got ${JSON.stringify(buf)}`)), 10_000);
      const onData = (d: Buffer) => {
        buf += d.toString();
        if (complete(buf)) {
          clearTimeout(t);
          sock.off("data", onData);
          const out = buf;
          buf = "";
          res(out);
        }
      };
      sock.on("data", onData);
    });
  try {
    replies.push(await next());
    for (const l of lines) {
      if (l === "<STARTTLS>") {
        sock = tlsConnect({ socket: sock, servername: stack.ep.mailHost, ca: stack.ca });
        await new Promise<void>((res, rej) => {
          sock.once("secureConnect", () => res());
          sock.once("error", rej);
        });
        continue;
      }
      sock.write(`${l}\r\n`);
      replies.push(await next());
    }
  } finally {
    sock.destroy();
  }
  return replies;
}

/** AUTH PLAIN's argument for a user and password. */
export const plainCredentials = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`).toString("base64");
