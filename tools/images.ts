// `npm run images -- build [image ...]`: builds our images on the local container engine (the same
// plans the local stack and the VM use), printing each tag and how long it took. With no names:
// every service image and the local stack's test images. An existing tag is never rebuilt.
//
// `npm run images -- update [--summary <file>]`: reads the Debian archive's current package
// indices (trixie, trixie-updates, trixie-security) and rewrites files/images/packages.lock with
// the versions each image would install now. The lock pins nothing; each image's section is part
// of its tag, so the pull request that updates the lock (the scheduled workflow
// .github/workflows/image-updates.yml opens it) shows which packages moved and its preview shows
// which containers that replaces. An unchanged archive leaves the file untouched (exit 0 either
// way; `--summary` writes a Markdown summary for the pull request).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { closure, dockerfilePackages, minbaseRoots, parseIndices, type DebIndex } from "../components/core/containers/debianIndex";
import { IMAGES_DIR, imagePlans, PACKAGE_LOCK_FILE, ROOTFS_RECIPE, SERVICE_IMAGES, TEST_IMAGES, type ImagePlan } from "../components/core/containers/images";
import { diffPackageLocks, parsePackageLock, renderPackageLock, type LockChange } from "../components/core/containers/packageLock";
import { REPO_ROOT } from "../components/core/paths";
import { productionTopology } from "../components/core/topology";
import { ensureImages } from "../local/engine/buildImages";
import { connectEngine } from "../local/engine/engine";

const USAGE = `usage: npm run images -- build [image ...]
       npm run images -- update [--summary <file>]`;

/** The indices the base image's sources.list names (files/images/base/sources.list), in apt's order. */
export const ARCHIVE_INDICES = [
  { suite: "trixie", url: `${ROOTFS_RECIPE.mirror}/dists/trixie/main/binary-amd64/Packages.xz` },
  { suite: "trixie-updates", url: `${ROOTFS_RECIPE.mirror}/dists/trixie-updates/main/binary-amd64/Packages.xz` },
  { suite: "trixie-security", url: "http://deb.debian.org/debian-security/dists/trixie-security/main/binary-amd64/Packages.xz" },
];

async function build(names: string[]): Promise<void> {
  const engine = await connectEngine({ log: console.log });
  const plans = imagePlans(productionTopology);
  const all: Record<string, ImagePlan> = { base: plans.base, ...plans.services, ...plans.test };
  const unknown = names.filter((n) => all[n] === undefined);
  if (unknown.length > 0) throw new Error(`no image ${unknown.join(", ")}; images: ${Object.keys(all).sort().join(", ")}`);
  const which = names.length > 0 ? names.map((n) => all[n]) : undefined;
  const reports = await ensureImages(engine.docker, plans, { buildDir: join(REPO_ROOT, ".local", "build"), which, log: console.log });
  for (const r of reports) console.log(`${r.built ? "built " : "cached"} ${r.tag}${r.built ? ` (${r.seconds.toFixed(1)}s)` : ""}`);
}

async function fetchIndex(url: string): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const xz = Buffer.from(await res.arrayBuffer());
  // xz is on every Debian/Ubuntu machine (and the GitHub runners); Node has no xz decoder.
  const out = spawnSync("xz", ["-dc"], { input: xz, maxBuffer: 1 << 30 });
  if (out.status !== 0) throw new Error(`xz could not decompress ${url}: ${out.stderr.toString()}`);
  return out.stdout.toString("utf8");
}

/** Package versions per image for an index: the base's closure, and what each image adds to it. */
export function lockPackages(index: DebIndex): Record<string, Record<string, string>> {
  const dockerfile = (image: string) => readFileSync(join(IMAGES_DIR, image, "Dockerfile"), "utf8");
  const baseRoots = [...minbaseRoots(index), ...dockerfilePackages(dockerfile("base"))];
  const base = closure(index, baseRoots);
  const versions = (m: Map<string, { version: string }>) => Object.fromEntries([...m].map(([n, p]) => [n, p.version]));
  const out: Record<string, Record<string, string>> = { base: versions(base) };
  for (const image of [...SERVICE_IMAGES, ...TEST_IMAGES]) {
    const all = closure(index, [...baseRoots, ...dockerfilePackages(dockerfile(image))]);
    for (const name of base.keys()) all.delete(name);
    out[image] = versions(all);
  }
  return out;
}

export function summarise(changes: LockChange[], index: DebIndex): string {
  if (changes.length === 0) return "No package changed: every image is as the archive serves it.\n";
  const images = [...new Set(changes.map((c) => c.image))];
  const lines = [
    `Debian package updates for ${images.length} image${images.length > 1 ? "s" : ""}: ${images.join(", ")}.`,
    images.includes("base") ? "The base changed, so every image is rebuilt and every container replaced." : "",
    "",
    "| image | package | from | to | suite |",
    "|---|---|---|---|---|",
    ...changes.map((c) => `| ${c.image} | ${c.package} | ${c.from ?? "(new)"} | ${c.to ?? "(removed)"} | ${c.to !== undefined ? (index.packages.get(c.package)?.suite ?? "") : ""} |`),
    "",
  ];
  return lines.filter((l, i) => l !== "" || i > 1).join("\n") + "\n";
}

async function update(args: string[]): Promise<void> {
  const si = args.indexOf("--summary");
  const summaryFile = si >= 0 ? args[si + 1] : undefined;
  if (si >= 0 && summaryFile === undefined) throw new UsageError("--summary needs a file name");
  const indices = [];
  for (const i of ARCHIVE_INDICES) indices.push({ suite: i.suite, text: await fetchIndex(i.url) });
  const index = parseIndices(indices);
  const packages = lockPackages(index);
  const before = parsePackageLock(existsSync(PACKAGE_LOCK_FILE) ? readFileSync(PACKAGE_LOCK_FILE, "utf8") : "");
  const header = [
    "files/images/packages.lock: the Debian packages each image installs, with the version the archive",
    `served when \`npm run images -- update\` last read it (${new Date().toISOString().slice(0, 10)}; trixie, trixie-updates, trixie-security).`,
    "It pins nothing: an image build takes what the archive serves. Each image's section is part of its",
    "tag, so updating this file is how a security update reaches the containers, as a reviewable change.",
    "Written by the tool; never edit it by hand.",
  ];
  const text = renderPackageLock(header, packages);
  const changes = diffPackageLocks(before, parsePackageLock(text));
  if (changes.length > 0) writeFileSync(PACKAGE_LOCK_FILE, text);
  const summary = summarise(changes, index);
  process.stdout.write(summary);
  if (summaryFile !== undefined) writeFileSync(summaryFile, summary);
}

class UsageError extends Error {}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === "--help" || command === "-h") return void console.log(USAGE);
  if (command === "build") return build(rest);
  if (command === "update") return update(rest);
  throw new UsageError(command === undefined ? "no command" : `unknown command ${command}`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`images: ${e.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(`images: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
