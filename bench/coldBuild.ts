// The cold part of a first `up`: every image built from nothing (debootstrap of the root
// filesystem, the base, each service image and pebble) by the runner's own build code
// (local/engine/buildImages.ts), timed. So that nobody's images are touched (other checkouts and
// instances share the engine, and the base is the parent of their images too), the same plans are
// built under throwaway tags (mailstack/bench-cold-<image>:<hash>), which also keeps the engine's
// layer cache out of it: a fresh root filesystem has a new id and the FROM arguments differ, so no
// step can be reused. The throwaway images are removed afterwards, whatever happens.
import { rmSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import type { ImagePlan, ImagePlans } from "../components/core/containers/images";
import { ensureImages, imageExists } from "../local/engine/buildImages";

const COLD_REPO = "mailstack/bench-cold-";

/** The same plans with every tag (and every FROM argument naming one) moved to throwaway names. */
export function coldPlans(plans: ImagePlans): ImagePlans {
  const retag = (tag: string): string => {
    const [repo, version] = tag.split(":");
    return `${COLD_REPO}${repo.replace(/^mailstack\//, "")}:${version}`;
  };
  const moved = (p: ImagePlan): ImagePlan => ({
    ...p,
    tag: retag(p.tag),
    from: retag(p.from),
    buildArgs: Object.fromEntries(Object.entries(p.buildArgs).map(([k, v]) => [k, v === p.from ? retag(v) : v])),
  });
  const mapAll = <K extends string>(r: Record<K, ImagePlan>) => Object.fromEntries(Object.entries<ImagePlan>(r).map(([k, p]) => [k, moved(p)])) as Record<K, ImagePlan>;
  return { rootfs: { ...plans.rootfs, tag: retag(plans.rootfs.tag) }, base: moved(plans.base), services: mapAll(plans.services), test: mapAll(plans.test) };
}

export interface ColdBuild {
  seconds: number;
  /** Per image, seconds (the root filesystem's includes debootstrap and the import). */
  images: { image: string; seconds: number }[];
}

/** Children before parents, so each removal deletes an image rather than refusing. */
function removalOrder(plans: ImagePlans): string[] {
  const rootRepo = plans.rootfs.tag.split(":")[0];
  return [...Object.values(plans.services), ...Object.values(plans.test)].map((p) => p.tag).concat(plans.base.tag, plans.rootfs.tag, `${rootRepo}:latest`);
}

async function removeAll(docker: Docker, plans: ImagePlans): Promise<string[]> {
  const left: string[] = [];
  for (const tag of removalOrder(plans)) {
    if (!(await imageExists(docker, tag))) continue;
    try {
      await docker.getImage(tag).remove({ force: false });
    } catch (e) {
      left.push(`${tag} (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`);
    }
  }
  return left;
}

export async function timeColdBuild(docker: Docker, plans: ImagePlans, workDir: string, log: (l: string) => void): Promise<ColdBuild> {
  const cold = coldPlans(plans);
  const buildDir = join(workDir, "bench-cold-build");
  // Leftovers of an interrupted run would make this a warm build: start from none.
  const stale = await removeAll(docker, cold);
  if (stale.length > 0) throw new Error(`cannot remove leftover throwaway images: ${stale.join("; ")}`);
  const t0 = performance.now();
  try {
    const reports = await ensureImages(docker, cold, { buildDir, log: (l) => log(`    ${l.trim()}`) });
    const seconds = (performance.now() - t0) / 1000;
    const notBuilt = reports.filter((r) => !r.built).map((r) => r.image);
    if (notBuilt.length > 0) throw new Error(`the cold build found ${notBuilt.join(", ")} already built: not a cold figure`);
    return { seconds, images: reports.map((r) => ({ image: r.image, seconds: r.seconds })) };
  } finally {
    const left = await removeAll(docker, cold);
    rmSync(buildDir, { recursive: true, force: true });
    if (left.length > 0) log(`  could not remove throwaway images: ${left.join("; ")}`);
  }
}
