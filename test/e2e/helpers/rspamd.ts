// The Rspamd controller for the tests (not a test file). The controller is never published: it
// is reached from inside the service network, by curl in the Dovecot container (whose learn
// script talks to it the same way), at the topology's internal address. A password goes to curl
// on stdin as a config line (`-K -`), so it is on no command line and in no output.
import { execOkInService, serviceSecrets, type LocalStack } from "./stack";

/** Who asks: nobody (no Password header), the stack's own secret, or a given wrong password. */
export type ControllerAuth = "anonymous" | "secret" | { password: string };

/** A GET on the controller (e.g. "/stat"); returns its HTTP status and body. */
export async function rspamdController(stack: LocalStack, path: string, auth: ControllerAuth = "secret"): Promise<{ status: number; body: string }> {
  const c = stack.topo.internal.rspamdController;
  const password = auth === "anonymous" ? undefined : auth === "secret" ? serviceSecrets().rspamdControllerPassword : auth.password;
  const config = password === undefined ? "" : `header = "Password: ${password.replace(/["\\]/g, "\\$&")}"\n`;
  const marker = "\nmailstack-http-status:";
  const curl = ["curl", "-sS", "-K", "-", "-w", `${marker}%{http_code}`, `http://${c.host}:${c.port}${path}`];
  const r = await execOkInService(stack, "dovecot", `GET ${path} on the Rspamd controller`, curl, { input: config });
  const at = r.stdout.lastIndexOf(marker);
  if (at < 0) throw new Error(`curl gave no status for ${path}: ${r.stdout.slice(0, 200)}`);
  return { status: Number(r.stdout.slice(at + marker.length).trim()), body: r.stdout.slice(0, at) };
}

/** Rspamd's count of messages learned (spam and ham), from the controller's /stat. */
export async function learnedCount(stack: LocalStack): Promise<number> {
  const r = await rspamdController(stack, "/stat");
  if (r.status !== 200) throw new Error(`/stat answered ${r.status}: ${r.body.slice(0, 200)}`);
  return (JSON.parse(r.body) as { learned: number }).learned;
}
