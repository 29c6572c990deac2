// Image sizes as the engine lists them: for each image the stack runs, its full size and the part
// that is its own (full size minus the shared base it is built FROM, which is on disk once), the
// base and the root filesystem under it, and what the deployed images take on disk together
// (base once plus every service image's own layers; local-only images such as pebble are listed
// but not added in). Pure over the engine's image list; the caller fetches it.
import type { ImagePlans } from "../components/core/containers/images";
import { round } from "./stats";

/** The fields of the engine's image list this module reads (Docker's and podman's GET /images/json). */
export interface ListedImage {
  RepoTags?: string[] | null;
  Size: number;
}

export interface ImageSize {
  image: string;
  tag: string;
  mb: number;
  /** Layers above the base: what this image adds on disk. */
  ownMb: number;
  testOnly: boolean;
}

export interface ImageSizes {
  rootfs: { tag: string; mb: number };
  base: { tag: string; mb: number };
  images: ImageSize[];
  /** Base once plus the own layers of every deployed image. */
  deployedOnDiskMb: number;
}

const MB = 1024 * 1024;

/** A listed name without its registry host (podman lists "docker.io/mailstack/x:t" for "mailstack/x:t"). */
const withoutRegistry = (name: string): string => name.replace(/^(?:[^/]*[.:][^/]*|localhost)\//, "");

/** The listed image with exactly this tag, whichever registry host the engine put in front. */
export function findImage(list: readonly ListedImage[], tag: string): ListedImage | undefined {
  return list.find((i) => (i.RepoTags ?? []).some((t) => withoutRegistry(t) === tag));
}

export function imageSizes(list: readonly ListedImage[], plans: ImagePlans): ImageSizes {
  const size = (tag: string): number => {
    const found = findImage(list, tag);
    if (found === undefined) throw new Error(`the engine has no image ${tag}; run: npm run local -- up`);
    return found.Size;
  };
  const base = size(plans.base.tag);
  const all = [...Object.values(plans.services).map((p) => ({ p, testOnly: false })), ...Object.values(plans.test).map((p) => ({ p, testOnly: true }))];
  const measured = all.map(({ p, testOnly }) => {
    if (p.from !== plans.base.tag) throw new Error(`${p.tag} is not built FROM the base ${plans.base.tag}: its own size cannot be told apart`);
    return { image: p.image, tag: p.tag, bytes: size(p.tag), testOnly };
  });
  const images = measured
    .map((m) => ({ image: m.image, tag: m.tag, mb: round(m.bytes / MB, 1), ownMb: round((m.bytes - base) / MB, 1), testOnly: m.testOnly }))
    .sort((a, b) => (a.image < b.image ? -1 : 1));
  const deployed = measured.filter((m) => !m.testOnly).reduce((sum, m) => sum + m.bytes - base, base);
  return { rootfs: { tag: plans.rootfs.tag, mb: round(size(plans.rootfs.tag) / MB, 1) }, base: { tag: plans.base.tag, mb: round(base / MB, 1) }, images, deployedOnDiskMb: round(deployed / MB, 1) };
}
