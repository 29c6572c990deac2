// Runs INSIDE the local stack's "outside" network namespace (ip netns exec): one raw SMTP
// conversation from a given source address, as a sender on the internet would hold it, bytes
// exactly as given (a bare LF stays a bare LF). Reads a JSON request on stdin: { source, host,
// port, steps }, where each step is a string to write (then wait for the server's reply), or
// "<STARTTLS>" (upgrade the connection in place), or { write, replies } (write, then read that
// many replies: pipelined commands). Prints a JSON list of every reply (the greeting first); a
// closed connection ends the list. `early`, if given, is written the moment the connection opens,
// before the greeting (as a bot that does not wait). Plain ESM JavaScript: it starts with node alone.
import { connect } from "node:net";
import { connect as tlsConnect } from "node:tls";

const input = await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (d) => (text += d));
  process.stdin.on("end", () => resolve(JSON.parse(text)));
});
const { source, host, port, steps } = input;
let sock = connect({ host, port, localAddress: source });
let buf = "";
let closed = false;
const waiters = [];
const complete = () => {
  const lines = buf.split("\r\n");
  for (let i = 0; i < lines.length - 1; i++) {
    if (/^\d{3} /.test(lines[i]) || (/^\d{3}$/.test(lines[i]))) {
      const reply = lines.slice(0, i + 1).join("\r\n");
      buf = lines.slice(i + 1).join("\r\n");
      return reply;
    }
  }
  return undefined;
};
const pump = () => {
  while (waiters.length > 0) {
    const r = complete();
    if (r === undefined) break;
    waiters.shift()(r);
  }
  if (closed) while (waiters.length > 0) waiters.shift()(undefined);
};
const attach = (s) => {
  s.on("data", (d) => {
    buf += d.toString("latin1");
    pump();
  });
  s.on("close", () => {
    closed = true;
    pump();
  });
  s.on("error", () => {
    closed = true;
    pump();
  });
};
attach(sock);
if (input.early) sock.once("connect", () => sock.write(Buffer.from(input.early, "latin1")));
const reply = () =>
  new Promise((resolve) => {
    const t = setTimeout(() => resolve("(no reply within 20 s)"), 20000);
    waiters.push((r) => {
      clearTimeout(t);
      resolve(r);
    });
    pump();
  });
const replies = [];
const take = async (n) => {
  for (let i = 0; i < n; i++) {
    const r = await reply();
    if (r === undefined) return false;
    replies.push(r);
  }
  return true;
};
let going = await take(1);
for (const step of steps) {
  if (!going) break;
  if (step === "<STARTTLS>") {
    sock.removeAllListeners("data");
    sock.removeAllListeners("close");
    sock = tlsConnect({ socket: sock, rejectUnauthorized: false, servername: input.servername });
    await new Promise((resolve, reject) => {
      sock.once("secureConnect", resolve);
      sock.once("error", reject);
    });
    attach(sock);
if (input.early) sock.once("connect", () => sock.write(Buffer.from(input.early, "latin1")));
    continue;
  }
  const { write, replies: n } = typeof step === "string" ? { write: step, replies: 1 } : step;
  sock.write(Buffer.from(write, "latin1"));
  going = await take(n);
}
sock.destroy();
console.log(JSON.stringify(replies));
