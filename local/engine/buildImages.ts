// Builds the image plans (components/core/containers/images.ts) on the local engine: the root
// filesystem with debootstrap on this machine (imported through the API, as `docker import`
// does), then the base, then every service image FROM it, each through the API's build endpoint
// with its context packed in memory. An image whose tag exists is never rebuilt, so a warm `up`
// builds nothing. A failed build names the image, the Dockerfile step and the step's last output
// lines (the apt error), and nothing is started. Knows nothing about containers.
import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import { pack } from "tar-stream";
import type { ImagePlan, ImagePlans, RootfsPlan } from "../../components/core/containers/images";
import { run } from "../proc";

export interface BuildReport {
  image: string;
  tag: string;
  built: boolean;
  seconds: number;
}

export async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}

interface StreamLine {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
  status?: string;
}

/** Follows an engine JSON stream; rejects with the step and the last lines when it reports an error. */
function follow(stream: NodeJS.ReadableStream, what: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let step = "";
    let buf = "";
    let failed: string | undefined;
    const onLine = (raw: string) => {
      if (raw.trim() === "") return;
      let msg: StreamLine;
      try {
        msg = JSON.parse(raw) as StreamLine;
      } catch {
        return;
      }
      const text = msg.stream ?? msg.status ?? "";
      for (const l of text.split("\n")) {
        if (l.trim() === "") continue;
        if (/^(STEP|Step) \d+\/\d+/.test(l)) step = l.trim();
        lines.push(l);
        if (lines.length > 400) lines.shift();
      }
      if (msg.error !== undefined || msg.errorDetail !== undefined) failed = msg.errorDetail?.message ?? msg.error;
    };
    stream.on("data", (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    stream.on("error", reject);
    stream.on("end", () => {
      onLine(buf);
      if (failed !== undefined) {
        const tail = lines.slice(-25).join("\n");
        reject(new Error(`${what} failed at ${step || "its first step"}:\n${failed}\n--- last output ---\n${tail}`));
      } else resolve(lines);
    });
  });
}

function contextTar(plan: ImagePlan): NodeJS.ReadableStream {
  const p = pack();
  for (const f of plan.context) p.entry({ name: f.name, mode: f.name.endsWith(".sh") ? 0o755 : 0o644 }, f.content);
  p.finalize();
  return p;
}

async function buildOne(docker: Docker, plan: ImagePlan): Promise<void> {
  const stream = await docker.buildImage(contextTar(plan), {
    t: plan.tag,
    buildargs: plan.buildArgs,
    labels: { "org.mailstack.image": plan.image },
    // Every layer comes from our own base: nothing to pull, and no registry is reachable anyway.
    pull: false,
    rm: true,
    forcerm: true,
  } as Docker.ImageBuildOptions);
  await follow(stream, `building ${plan.tag} (files/images/${plan.image}/Dockerfile)`);
  if (!(await imageExists(docker, plan.tag))) throw new Error(`building ${plan.tag} reported success but the engine has no such image`);
}

/** debootstrap into a folder under buildDir, prune it, and import it as the rootfs tag. */
async function buildRootfs(docker: Docker, plan: RootfsPlan, buildDir: string, log: (l: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error(`the base image is built with debootstrap, which needs root: run as root (sudo npm run local -- up)`);
  const root = join(buildDir, "rootfs");
  rmSync(root, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  const r = plan.recipe;
  log(`  debootstrap --variant=${r.variant} ${r.suite} (${r.mirror})`);
  const boot = await run("debootstrap", [`--variant=${r.variant}`, r.suite, root, r.mirror]);
  if (boot.code !== 0) {
    throw new Error(`debootstrap of ${r.suite} failed (exit ${boot.code}); is the Debian mirror ${r.mirror} reachable and debootstrap installed (scripts/install-container-engine.sh)?\n${(boot.stdout + boot.stderr).trim().split("\n").slice(-20).join("\n")}`);
  }
  const prune = await run("sh", ["-c", `cd '${root}' && rm -rf ${r.prune.join(" ")}`]);
  if (prune.code !== 0) throw new Error(`pruning the root filesystem failed: ${prune.stderr}`);
  const [repo, tag] = plan.tag.split(":");
  const tar = spawn("tar", ["-C", root, "--numeric-owner", "-c", "."], { stdio: ["ignore", "pipe", "pipe"] });
  let tarErr = "";
  tar.stderr.on("data", (d: Buffer) => (tarErr += d.toString()));
  const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
    docker.modem.dial(
      {
        path: "/images/create?",
        method: "POST",
        options: { fromSrc: "-", repo, tag },
        file: tar.stdout,
        isStream: true,
        statusCodes: { 200: true, 404: "no such repository", 500: "server error" },
      },
      (err: unknown, res: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res as NodeJS.ReadableStream)),
    );
  });
  await follow(stream, `importing the root filesystem as ${plan.tag}`);
  rmSync(root, { recursive: true, force: true });
  if (tarErr.trim() !== "") log(`  tar: ${tarErr.trim()}`);
  // Some engines (podman 4) ignore the tag parameter of an import: tag it explicitly.
  if (!(await imageExists(docker, plan.tag))) {
    const imported = await docker.listImages({ filters: { reference: [`${repo}:latest`] } });
    if (imported.length === 0) throw new Error(`importing the root filesystem produced no image ${plan.tag}`);
    await docker.getImage(imported[0].Id).tag({ repo, tag });
  }
}

/**
 * Ensures the root filesystem, the base and the given images exist. `which` defaults to every
 * service image plus the test images the local stack runs.
 */
export async function ensureImages(
  docker: Docker,
  plans: ImagePlans,
  opts: { buildDir: string; which?: ImagePlan[]; log?: (l: string) => void },
): Promise<BuildReport[]> {
  const log = opts.log ?? (() => undefined);
  const reports: BuildReport[] = [];
  const started = Date.now();
  if (!(await imageExists(docker, plans.rootfs.tag))) {
    await buildRootfs(docker, plans.rootfs, opts.buildDir, log);
    reports.push({ image: "rootfs", tag: plans.rootfs.tag, built: true, seconds: (Date.now() - started) / 1000 });
  }
  const targets = opts.which ?? [...Object.values(plans.services), ...Object.values(plans.test)];
  for (const plan of [plans.base, ...targets.filter((t) => t.image !== "base")]) {
    const t0 = Date.now();
    if (await imageExists(docker, plan.tag)) {
      reports.push({ image: plan.image, tag: plan.tag, built: false, seconds: 0 });
      continue;
    }
    log(`  building ${plan.tag}`);
    await buildOne(docker, plan);
    const seconds = (Date.now() - t0) / 1000;
    log(`  built ${plan.tag} in ${seconds.toFixed(1)}s`);
    reports.push({ image: plan.image, tag: plan.tag, built: true, seconds });
  }
  return reports;
}
