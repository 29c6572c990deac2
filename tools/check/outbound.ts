// Whether the server can send mail out: a TCP connection to port 25 of a large mail provider's MX
// from inside the Postfix container (where Postfix's own connections start), or to the relay's
// port when the stack sends through one. New Hetzner Cloud accounts block outbound port 25 (and
// 465) until a limit request is granted; the fix says so. On the local stack the "internet" is the
// stack's sink address, where this check listens for the duration of the probe.
import { createServer } from "node:net";
import type { MailConfig } from "../../components/core/config/config";
import type { Target } from "../ops/target";
import type { CheckResult } from "./report";

/** The MX of a mailbox provider that answers on 25 to anyone: Gmail's. */
export const DEFAULT_PROBE_MX = "gmail-smtp-in.l.google.com";

export async function outboundCheck(cfg: MailConfig, target: Target, probe: { host: string; port: number }, listen = false): Promise<CheckResult> {
  const via = cfg.relay !== undefined ? { host: cfg.relay.host, port: cfg.relay.port } : probe;
  const id = `outbound ${via.host}:${via.port}`;
  let server: ReturnType<typeof createServer> | undefined;
  if (listen) {
    // The probe reads three bytes and hangs up: a reset is the expected end, not an error.
    server = createServer((s) => {
      s.on("error", () => undefined);
      s.end("220 sink ESMTP\r\n");
    });
    await new Promise<void>((res, rej) => {
      server!.once("error", rej);
      server!.listen(via.port, via.host, () => res());
    });
  }
  try {
    const script = `"$ENGINE" exec "$POSTFIX" bash -c 'timeout 15 bash -c "exec 3<>/dev/tcp/$0/$1 && head -c 3 <&3"' "$HOST" "$PORT"\n`;
    const r = await target.run(script, { ENGINE: target.engine, POSTFIX: `${target.prefix}postfix`, HOST: via.host, PORT: String(via.port) });
    if (r.code === 0 && r.stdout.startsWith("220")) {
      return { id, group: "SMTP", verdict: "pass", detail: `the server reaches ${via.host} on port ${via.port} (220)` };
    }
    return {
      id,
      group: "SMTP",
      verdict: "fail",
      detail: `no SMTP greeting from ${via.host}:${via.port} from the server (${(r.stderr || r.stdout).trim().split("\n").pop() || `exit ${r.code}`})`,
      fix:
        cfg.relay !== undefined
          ? `the relay ${cfg.relay.host}:${cfg.relay.port} must accept connections from the server (its address, firewall)`
          : "Hetzner blocks outbound port 25 on new accounts: file a limit request in the Cloud Console (\"unblock outgoing mail ports\", after the first paid invoice), or send through a relay on 587 (mailstack:relay and the secret mailstack:relayPassword)",
    };
  } finally {
    if (server !== undefined) await new Promise<void>((res) => server!.close(() => res()));
  }
}
