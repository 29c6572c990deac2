// Our images as plain data: how each is built and the tag it gets. Every image is built from
// files/images/<image>/ FROM a common base, which is built FROM a Debian 13 root filesystem made
// with `debootstrap --variant=minbase trixie` and imported into the engine: no image comes from a
// registry. A tag is the hash of everything that goes into the image (its build context, build
// args, the tag of what it is built FROM, and its section of files/images/packages.lock, the
// package versions the archive served at the last update), so an unchanged image is never
// rebuilt, and a security update in the archive changes exactly the images whose packages it
// touches once the lock file is updated (a reviewable pull request; see tools/images).
// The local runner builds these plans through the engine API; on the VM, vmImageBuildScript()
// runs the same steps with the docker CLI. Pure: reads files/, returns data.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FILES_DIR } from "../paths";
import type { ServiceName, Topology } from "../topology";
import { parsePackageLock, type PackageLock } from "./packageLock";
import { imageBuildArgs } from "./serviceAccounts";
import { base64Heredoc } from "../remote/heredoc";

/** Images a deployed stack runs: one per service. */
export const SERVICE_IMAGES: readonly ServiceName[] = ["backup", "certbot", "dovecot", "fail2ban", "nginx", "postfix", "postgres", "roundcube", "rspamd", "unbound", "valkey"];
/** Images only the local stack runs: stand-ins for the internet's services. Never deployed. */
export const TEST_IMAGES = ["pebble"] as const;
export type TestImage = (typeof TEST_IMAGES)[number];
export type ImageName = "base" | ServiceName | TestImage;

export const IMAGES_DIR = join(FILES_DIR, "images");
export const PACKAGE_LOCK_FILE = join(IMAGES_DIR, "packages.lock");

/** How the root filesystem under every image is made. */
export const ROOTFS_RECIPE = {
  suite: "trixie",
  variant: "minbase",
  mirror: "http://deb.debian.org/debian",
  /**
   * Removed from the tree before import: debootstrap leaves its downloaded packages and the
   * package lists behind (about 90 MB), and the base image installs fresh lists anyway.
   */
  prune: ["var/cache/apt/archives/*.deb", "var/lib/apt/lists/*", "usr/share/doc/*", "usr/share/man/*", "usr/share/locale/*", "usr/share/info/*"],
} as const;

export interface RootfsPlan {
  /** mailstack/rootfs:<12 hex> */
  tag: string;
  recipe: typeof ROOTFS_RECIPE;
}

export interface ImagePlan {
  image: ImageName;
  /** mailstack/<image>:<12 hex> */
  tag: string;
  contentHash: string;
  /** The build context: every file of files/images/<image>/, sorted by name. */
  context: { name: string; content: string }[];
  /** Build args, including the one naming what the Dockerfile builds FROM (ROOTFS or BASE). */
  buildArgs: Record<string, string>;
  /** Tag of the image or root filesystem this one is built FROM. */
  from: string;
}

export interface ImagePlans {
  rootfs: RootfsPlan;
  base: ImagePlan;
  services: Record<ServiceName, ImagePlan>;
  test: Record<TestImage, ImagePlan>;
}

const sha = (parts: string[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(`${p}\0`);
  return h.digest("hex");
};

function readContext(image: ImageName): ImagePlan["context"] {
  const dir = join(IMAGES_DIR, image);
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, content: readFileSync(join(dir, name), "utf8") }));
}

/** The args a Dockerfile declares with ARG (only those are passed: no "unused build-arg" noise). */
export function declaredArgs(dockerfile: string): string[] {
  return [...dockerfile.matchAll(/^ARG\s+([A-Z0-9_]+)/gm)].map((m) => m[1]);
}

function plan(image: ImageName, from: { arg: "ROOTFS" | "BASE"; tag: string }, allArgs: Record<string, string>, lock: PackageLock): ImagePlan {
  const context = readContext(image);
  const dockerfile = context.find((f) => f.name === "Dockerfile");
  if (dockerfile === undefined) throw new Error(`files/images/${image} has no Dockerfile`);
  const wanted = declaredArgs(dockerfile.content);
  const buildArgs: Record<string, string> = { [from.arg]: from.tag };
  for (const a of wanted) {
    if (a === from.arg) continue;
    const v = allArgs[a];
    if (v === undefined) throw new Error(`files/images/${image}/Dockerfile declares ARG ${a}, which nothing provides (components/core/containers/serviceAccounts.ts)`);
    buildArgs[a] = v;
  }
  if (!wanted.includes(from.arg)) throw new Error(`files/images/${image}/Dockerfile must start with ARG ${from.arg} and FROM \${${from.arg}}`);
  const contentHash = sha([
    image,
    ...context.flatMap((f) => [f.name, f.content]),
    ...Object.entries(buildArgs).sort().map(([k, v]) => `${k}=${v}`),
    lock.sections[image] ?? "",
  ]);
  return { image, tag: `mailstack/${image}:${contentHash.slice(0, 12)}`, contentHash, context, buildArgs, from: from.tag };
}

/** Every image plan; the lock text defaults to files/images/packages.lock (tests pass their own). */
export function imagePlans(topo: Pick<Topology, "mailUser">, lockText?: string): ImagePlans {
  const lock = parsePackageLock(lockText ?? (existsSync(PACKAGE_LOCK_FILE) ? readFileSync(PACKAGE_LOCK_FILE, "utf8") : ""));
  const rootfsHash = sha(["rootfs", JSON.stringify(ROOTFS_RECIPE), lock.sections.base ?? ""]);
  const rootfs: RootfsPlan = { tag: `mailstack/rootfs:${rootfsHash.slice(0, 12)}`, recipe: ROOTFS_RECIPE };
  const args = imageBuildArgs(topo);
  const base = plan("base", { arg: "ROOTFS", tag: rootfs.tag }, args, lock);
  const onBase = { arg: "BASE" as const, tag: base.tag };
  const services = Object.fromEntries(SERVICE_IMAGES.map((s) => [s, plan(s, onBase, args, lock)])) as Record<ServiceName, ImagePlan>;
  const test = Object.fromEntries(TEST_IMAGES.map((t) => [t, plan(t, onBase, args, lock)])) as Record<TestImage, ImagePlan>;
  return { rootfs, base, services, test };
}

const heredoc = (path: string, content: string) => base64Heredoc(`"${path}"`, content);

/**
 * Shell for `sh -s` on the VM: builds `image` unless its tag exists, making the root filesystem
 * and the base first when they are missing. The build folder lives on the volume (the root disk
 * stays small); a failed step stops the script with the step's own error.
 */
export function vmImageBuildScript(plans: ImagePlans, image: ServiceName | "base", buildRoot: string): string {
  const chain = image === "base" ? [plans.base] : [plans.base, plans.services[image]];
  const r = plans.rootfs.recipe;
  const lines = [
    "set -eu",
    `build='${buildRoot}'`,
    'mkdir -p "$build"',
    `if ! docker image inspect '${plans.rootfs.tag}' >/dev/null 2>&1; then`,
    `  root="$build/rootfs.$$"`,
    '  rm -rf "$root"',
    `  debootstrap --variant=${r.variant} ${r.suite} "$root" ${r.mirror} > "$build/debootstrap.log" 2>&1 || { tail -30 "$build/debootstrap.log" >&2; exit 1; }`,
    `  (cd "$root" && rm -rf ${r.prune.join(" ")})`,
    `  tar -C "$root" --numeric-owner -c . | docker import - '${plans.rootfs.tag}' >/dev/null`,
    '  rm -rf "$root"',
    "fi",
  ];
  for (const p of chain) {
    const ctx = `"$build/${p.image}"`;
    lines.push(
      `if ! docker image inspect '${p.tag}' >/dev/null 2>&1; then`,
      `  rm -rf ${ctx} && mkdir -p ${ctx}`,
      // Not indented: a heredoc's terminator must start its line.
      ...p.context.flatMap((f) => heredoc(`$build/${p.image}/${f.name}`, f.content)),
      `  docker build ${Object.entries(p.buildArgs)
        .sort()
        .map(([k, v]) => `--build-arg '${k}=${v}'`)
        .join(" ")} --label 'org.mailstack.image=${p.image}' --tag '${p.tag}' ${ctx}`,
      "fi",
    );
  }
  return lines.join("\n") + "\n";
}
