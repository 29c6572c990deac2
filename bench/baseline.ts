// The baseline for inbound throughput: the same Postfix → Dovecot LMTP path with no milter, in the
// same run. Postfix's container copies its rendered files from the read-only /config at every
// start, and its master is the container's main process, so the setting cannot be changed and
// Postfix restarted inside the running container (the restart re-copies /config), and a `postfix
// reload` measured the reload (right after one, 6 of 8 new connections got no greeting for 30 s).
// Instead the postfix container is replaced for the baseline by one from the same spec and image
// whose entrypoint installs and checks /config as usual (the image's own `check` mode), then clears
// smtpd_milters and runs Postfix. That container carries a config-hash label of its own, so the
// runner's next `up` replaces it even if this process dies mid-way, and `down` removes it like any
// other. Afterwards the original container is put back with the runner's own create path and its
// original label, and checked: same image, same label, smtpd_milters as rendered, healthy and
// greeting. A failed check throws: the stack must never be left accepting mail unscanned.
import { connect } from "node:net";
import type Docker from "dockerode";
import { CONFIG_HASH_LABEL, type ContainerSpec } from "../components/core/containers/containerSpecs";
import type { Endpoint } from "../components/core/topology";
import { containerState, createOptions, execOk, removeContainer, startContainer, waitHealthy } from "../local/engine/containers";
import { sleep } from "../local/proc";

/** The baseline container's config-hash label: never a real hash, so `up` always replaces it. */
export const BASELINE_LABEL = "bench-baseline-no-milter";

/** The baseline container's entrypoint: the image's own install-and-check, then no milter. */
export const BASELINE_ENTRYPOINT = ["/bin/sh", "-c", "mailstack-entrypoint check >/dev/null && postconf -e smtpd_milters= && exec postfix start-fg"];

async function milters(docker: Docker, name: string, configDir?: string): Promise<string> {
  const cmd = ["postconf", ...(configDir !== undefined ? ["-c", configDir] : []), "-h", "smtpd_milters"];
  return (await execOk(docker, name, "postconf -h smtpd_milters", cmd)).stdout.trim();
}

/** Resolves once the server on host:port sends an SMTP greeting (220); Postfix is then serving. */
function greets(at: Endpoint, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: at.host, port: at.port });
    let buf = "";
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.on("data", (d: Buffer) => {
      buf += d.toString();
      if (buf.includes("\n")) done(buf.startsWith("220"));
    });
    s.once("error", () => done(false));
  });
}

async function waitServing(docker: Docker, name: string, smtp: Endpoint): Promise<void> {
  await waitHealthy(docker, name, 60_000);
  const until = Date.now() + 60_000;
  while (!(await greets(smtp, 5000))) {
    if (Date.now() > until) throw new Error(`${name} sends no SMTP greeting on ${smtp.host}:${smtp.port}`);
    await sleep(200);
  }
}

/** Runs fn with the postfix container replaced by a no-milter twin; always puts the original back and checks it. */
export async function withoutMilter<T>(docker: Docker, spec: ContainerSpec, configDir: string, smtp: Endpoint, fn: () => Promise<T>): Promise<T> {
  const name = spec.name;
  const before = await containerState(docker, name);
  const hash = before?.Config.Labels?.[CONFIG_HASH_LABEL];
  if (before?.State.Running !== true || hash === undefined) throw new Error(`${name} is not running as the runner started it`);
  const imageId = (await docker.getImage(spec.imageTag).inspect()).Id;
  if (before.Image !== imageId) throw new Error(`${name} runs another image than ${spec.imageTag}: the checkout changed since up`);
  // The rendered value, read from the read-only mount the entrypoint copies from.
  const rendered = await milters(docker, name, configDir);
  const original = await milters(docker, name);
  if (original === "" || original !== rendered) throw new Error(`smtpd_milters in ${name} is "${original}", rendered "${rendered}": the stack is not in its rendered state`);

  const restore = async (): Promise<void> => {
    await startContainer(docker, spec, hash);
    await waitServing(docker, name, smtp);
    const after = await containerState(docker, name);
    const restored = await milters(docker, name);
    const problems = [
      after?.Image !== imageId ? `image ${after?.Image ?? "none"}` : "",
      after?.Config.Labels?.[CONFIG_HASH_LABEL] !== hash ? `label ${after?.Config.Labels?.[CONFIG_HASH_LABEL] ?? "none"}` : "",
      restored !== original ? `smtpd_milters "${restored}"` : "",
    ].filter((p) => p !== "");
    if (problems.length > 0) throw new Error(`${name} was not restored to its rendered state (${problems.join(", ")}); run: npm run local -- down`);
  };

  let failure: unknown;
  try {
    await removeContainer(docker, name, spec.stopTimeoutSeconds);
    await (await docker.createContainer({ ...createOptions(spec, BASELINE_LABEL), Entrypoint: BASELINE_ENTRYPOINT })).start();
    await waitServing(docker, name, smtp);
    const now = await milters(docker, name);
    if (now !== "") throw new Error(`the baseline container still has smtpd_milters = ${now}`);
    return await fn();
  } catch (e) {
    failure = e;
    throw e;
  } finally {
    try {
      await restore();
    } catch (e) {
      // The restore's failure matters most; the baseline's own error is kept in the message.
      const why = failure === undefined ? "" : ` (after the baseline failed: ${failure instanceof Error ? failure.message : String(failure)})`;
      throw new Error(`${e instanceof Error ? e.message : String(e)}${why}`);
    }
  }
}
