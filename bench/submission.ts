// Submission throughput: a mailbox user sends N messages to outside recipients over the
// submission port (STARTTLS required, SASL login, nodemailer pool); Rspamd DKIM/ARC-signs them
// and Postfix relays them to the SMTP sink the local topology routes outbound mail to
// (endpoints.sink: an address of this host that the containers reach), which this module runs
// with smtp-server. Timed from the first connect until the sink has every message; checks that
// what arrived is DKIM-signed.
import { SMTPServer } from "smtp-server";
import type { Endpoint } from "../components/core/topology";
import { sleep } from "../local/proc";
import { bodyText, messageId } from "./message";
import { benchPool, type Target } from "./transport";

export interface Sink {
  /** Message-IDs received, and whether each carried a DKIM-Signature header. */
  received: Map<string, boolean>;
  close(): Promise<void>;
}

export async function startSink(at: Endpoint): Promise<Sink> {
  const received = new Map<string, boolean>();
  const server = new SMTPServer({
    authOptional: true,
    // Like the e2e "remote MX": plain SMTP on loopback, so the relay hop costs no TLS here.
    disabledCommands: ["STARTTLS"],
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const head = Buffer.concat(chunks).toString("latin1").split("\r\n\r\n", 1)[0];
        const id = /^Message-ID:\s*(\S+)/im.exec(head)?.[1] ?? "";
        received.set(id, /^DKIM-Signature:/im.test(head));
        cb();
      });
    },
  });
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(at.port, at.host, () => res());
  });
  return { received, close: () => new Promise<void>((res) => server.close(() => res())) };
}

export interface SubmissionOptions {
  to: Target;
  user: string;
  /** Read from .local/endpoints.json; never printed. */
  password: string;
  messages: number;
  connections: number;
  timeoutMs?: number;
}

export async function submissionRun(o: SubmissionOptions, sink: Sink, runTag: string): Promise<{ seconds: number; msgsPerS: number; unsigned: number }> {
  const ids = Array.from({ length: o.messages }, (_, i) => messageId(runTag, i));
  const transport = benchPool(o.to, o.connections, { requireTLS: true, auth: { user: o.user, pass: o.password } });
  const t0 = performance.now();
  try {
    await Promise.all(
      ids.map((id, i) =>
        transport.sendMail({ from: o.user, to: `rcpt${i % 50}@remote.example`, subject: `bench submission ${runTag} ${i}`, messageId: id, text: bodyText(i) }),
      ),
    );
    const until = Date.now() + (o.timeoutMs ?? 300_000);
    const missing = () => ids.filter((id) => !sink.received.has(id)).length;
    // Checking every id is O(N); counting first keeps the poll cheap until the end is near.
    while (sink.received.size < o.messages || missing() > 0) {
      if (Date.now() > until) throw new Error(`the sink got ${o.messages - missing()} of ${o.messages} submitted messages in time`);
      await sleep(50);
    }
  } finally {
    transport.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const unsigned = ids.filter((id) => sink.received.get(id) !== true).length;
  return { seconds, msgsPerS: o.messages / seconds, unsigned };
}
