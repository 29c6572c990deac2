// Inbound throughput: N messages from a remote sender (not in mynetworks) to the SMTP port over K
// reused SMTP sessions (nodemailer pool, STARTTLS as Postfix offers it), spread over the bench
// mailboxes. Timed from the first connect until the last message is on disk in a Maildir (a host
// folder under endpoints.maildir, read directly). Also empties the bench mailboxes with doveadm
// inside the dovecot container (bench mail only).
import { join } from "node:path";
import type Docker from "dockerode";
import type { Topology } from "../components/core/topology";
import { execOk } from "../local/engine/containers";
import { sleep } from "../local/proc";
import { countAll } from "./maildir";
import { bodyText, messageId } from "./message";
import { benchPool, type Target } from "./transport";

export interface InboundOptions {
  to: Target;
  recipients: string[];
  messages: number;
  connections: number;
  /** Maildirs of the recipients (host paths), counted to see delivery. */
  maildirs: string[];
  /** Give up when no message arrived for this long. */
  stallMs?: number;
}

export interface InboundResult {
  seconds: number;
  msgsPerS: number;
}

/** The host folder of a mailbox's Maildir: <maildir root>/<domain>/<user>/Maildir, as dovecot.conf lays it out. */
export const maildirOf = (maildirRoot: string, address: string) => {
  const [user, domain] = address.split("@");
  return join(maildirRoot, domain, user, "Maildir");
};

/** Removes every message of the bench mailboxes (and only those), through Dovecot's own tool in its container. */
export async function emptyMailboxes(docker: Docker, t: Topology, addresses: string[]): Promise<void> {
  const name = `${t.namePrefix}dovecot`;
  const conf = join(t.configDirs.dovecot, "dovecot.conf");
  for (const a of addresses) await execOk(docker, name, `doveadm expunge (${a})`, ["doveadm", "-c", conf, "expunge", "-u", a, "mailbox", "*", "all"]);
}

/** The inbound sender's domain, published in the bench stack's resolver by run.ts. */
export const BENCH_SENDER_DOMAIN = "bench-sender.example";

export async function inboundRun(o: InboundOptions, runTag: string): Promise<InboundResult> {
  const before = countAll(o.maildirs);
  const transport = benchPool(o.to, o.connections, { name: `mx.${BENCH_SENDER_DOMAIN}` });
  const t0 = performance.now();
  let failed = 0;
  let firstError = "";
  try {
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < o.messages; i++) {
      sends.push(
        transport
          .sendMail({
            from: `sender@${BENCH_SENDER_DOMAIN}`,
            to: o.recipients[i % o.recipients.length],
            subject: `bench ${runTag} ${i}`,
            messageId: messageId(runTag, i),
            text: bodyText(i),
          })
          .catch((e: unknown) => {
            failed++;
            if (firstError === "") firstError = e instanceof Error ? e.message : String(e);
          }),
      );
    }
    await Promise.all(sends);
    if (failed > 0) throw new Error(`${failed} of ${o.messages} messages were refused; first: ${firstError}`);
    // Gives up when delivery stalls (no new message for stallMs), not after a fixed total time.
    let seen = -1;
    let lastProgress = Date.now();
    for (let n = countAll(o.maildirs) - before; n < o.messages; n = countAll(o.maildirs) - before) {
      if (n !== seen) [seen, lastProgress] = [n, Date.now()];
      if (Date.now() - lastProgress > (o.stallMs ?? 30_000)) throw new Error(`delivery stalled: ${n} of ${o.messages} messages in the Maildirs (see the postfix and dovecot container logs)`);
      await sleep(50);
    }
  } finally {
    transport.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, msgsPerS: o.messages / seconds };
}
