// The webmail for the tests, without a browser (not a test file). Owns a Roundcube login as a
// browser on the internet (or on 127.0.0.1) performs it: fetch the login page for its session
// cookie and CSRF token, post the user and password, and tell a welcome from a refusal. Through
// the outside namespace the request leaves from that source address, so nginx, Roundcube and
// Dovecot see it as the browser's own (the full browser test is web/webmail.test.ts).
import { request, type IncomingHttpHeaders } from "node:http";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { connectTo, type Via } from "./smtp";
import type { LocalStack } from "./stack";

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTPS request to the webmail host over a fresh connection from `via`. */
async function webmailRequest(stack: LocalStack, via: Via, path: string, opts: { method?: string; body?: string; cookie?: string } = {}): Promise<Answer> {
  const host = new URL(stack.ep.webmail).hostname;
  const raw = await connectTo(stack, stack.topo.ports.https, via);
  const socket: TLSSocket = tlsConnect({ socket: raw, servername: host, ca: stack.ca });
  await new Promise<void>((res, rej) => socket.once("secureConnect", res).once("error", rej));
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      {
        createConnection: () => socket,
        host,
        path,
        method: opts.method ?? "GET",
        headers: {
          Host: `${host}:${stack.topo.ports.https}`,
          ...(opts.cookie !== undefined ? { Cookie: opts.cookie } : {}),
          ...(opts.body !== undefined ? { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": Buffer.byteLength(opts.body) } : {}),
        },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error(`no answer from the webmail for ${path}`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

const cookiesOf = (h: IncomingHttpHeaders) => (h["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");

/**
 * Logs in to Roundcube as `user` (its password unless `password` says otherwise) from `via`.
 * Resolves true when Roundcube lets the user in, false when it refuses the login.
 */
export async function webmailLogin(stack: LocalStack, user: string, opts: { password?: string; via?: Via } = {}): Promise<boolean> {
  const via = opts.via ?? "loopback";
  const page = await webmailRequest(stack, via, "/");
  const token = /name="_token" value="([^"]+)"/.exec(page.body)?.[1];
  if (token === undefined) throw new Error(`no login form at ${stack.ep.webmail} (HTTP ${page.status})`);
  const form = new URLSearchParams({ _token: token, _task: "login", _action: "login", _timezone: "UTC", _url: "", _user: user, _pass: opts.password ?? stack.password(user) });
  const answer = await webmailRequest(stack, via, "/?_task=login", { method: "POST", body: form.toString(), cookie: cookiesOf(page.headers) });
  // A welcome is a redirect into the mailbox; a refusal is the login page again, 401.
  if (answer.status === 302 && /_task=mail/.test(String(answer.headers.location ?? ""))) return true;
  if (answer.status === 401) return false;
  throw new Error(`unexpected answer to the webmail login: HTTP ${answer.status} ${String(answer.headers.location ?? "")}`);
}
