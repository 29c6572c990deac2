// The baseline for inbound throughput: the same Postfix and Dovecot LMTP path with no milter.
// Clears smtpd_milters in the running instance's main.cf (postconf -e), runs the given function,
// and always restores the original value and checks it is back, so a failed baseline never leaves
// the stack accepting mail unscanned. Postfix is stopped and started around each change rather
// than reloaded: right after a reload, some of 8 new connections got no greeting for 30 s (idle
// smtpd processes of the old generation still held the listening socket), which would measure
// the reload, not the mail path.
import { runOk, waitPorts } from "../local/proc";

async function milters(dir: string): Promise<string> {
  return (await runOk("postconf smtpd_milters", "postconf", ["-c", dir, "-h", "smtpd_milters"])).stdout.trim();
}

async function setMilters(dir: string, value: string, smtpPort: number): Promise<void> {
  await runOk("postconf -e smtpd_milters", "postconf", ["-c", dir, "-e", `smtpd_milters=${value}`]);
  await runOk("postfix stop", "postfix", ["-c", dir, "stop"]);
  await runOk("postfix start", "postfix", ["-c", dir, "start"]);
  await waitPorts("postfix", [{ host: "127.0.0.1", port: smtpPort }]);
}

export async function withoutMilter<T>(postfixConfigDir: string, smtpPort: number, fn: () => Promise<T>): Promise<T> {
  const original = await milters(postfixConfigDir);
  if (original === "") throw new Error("smtpd_milters is already empty: the stack is not in its rendered state");
  await setMilters(postfixConfigDir, "", smtpPort);
  try {
    return await fn();
  } finally {
    await setMilters(postfixConfigDir, original, smtpPort);
    const now = await milters(postfixConfigDir);
    if (now !== original) throw new Error(`smtpd_milters was not restored (is "${now}", should be "${original}"); run: npm run local -- down`);
  }
}
