// The bench's image figures: each image's size and its own part above the shared base, the
// deployed set on disk (base once), podman's "docker.io/" names, and the throwaway tags the cold
// build uses so that nobody's images are touched. Pure: a made-up engine image list, the real
// image plans. No timing here.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { coldPlans } from "../../bench/coldBuild";
import { findImage, imageSizes, type ListedImage } from "../../bench/images";
import { imagePlans } from "../../components/core/containers/images";
import { localTopology } from "../../components/core/topology";

const MB = 1024 * 1024;
const plans = imagePlans(localTopology("/tmp/bench-images-test"));

/** Every planned image, listed as podman lists it, base 80 MB, each image 80 + own MB. */
function listing(own: Record<string, number>): ListedImage[] {
  const list: ListedImage[] = [
    { RepoTags: [`docker.io/${plans.rootfs.tag}`, "docker.io/mailstack/rootfs:latest"], Size: 75 * MB },
    { RepoTags: [`docker.io/${plans.base.tag}`], Size: 80 * MB },
    { RepoTags: null, Size: 1 }, // an intermediate build layer: no name
  ];
  for (const p of [...Object.values(plans.services), ...Object.values(plans.test)]) list.push({ RepoTags: [`docker.io/${p.tag}`], Size: (80 + (own[p.image] ?? 10)) * MB });
  return list;
}

describe("bench image sizes", () => {
  it("finds an image by its tag with or without the registry podman prefixes", () => {
    const list: ListedImage[] = [{ RepoTags: ["docker.io/mailstack/postfix:abc"], Size: 1 }, { RepoTags: ["mailstack/dovecot:def"], Size: 2 }];
    assert.equal(findImage(list, "mailstack/postfix:abc")?.Size, 1);
    assert.equal(findImage(list, "mailstack/dovecot:def")?.Size, 2);
    assert.equal(findImage(list, "mailstack/postfix:other"), undefined);
    assert.equal(findImage(list, "postfix:abc"), undefined, "a partial repository name is not a match");
  });

  it("splits each image into the base and its own layers and counts the base once", () => {
    const sizes = imageSizes(listing({ postgres: 311.2, pebble: 27.5 }), plans);
    assert.equal(sizes.base.mb, 80);
    assert.equal(sizes.rootfs.mb, 75);
    const pg = sizes.images.find((i) => i.image === "postgres");
    assert.deepEqual(pg && { mb: pg.mb, own: pg.ownMb, testOnly: pg.testOnly }, { mb: 391.2, own: 311.2, testOnly: false });
    assert.equal(sizes.images.find((i) => i.image === "pebble")?.testOnly, true);
    const services = Object.keys(plans.services).length;
    // Base once, postgres 311.2, the other services 10 each; pebble is not deployed.
    assert.equal(sizes.deployedOnDiskMb, Math.round((80 + 311.2 + (services - 1) * 10) * 10) / 10);
    assert.deepEqual(
      sizes.images.map((i) => i.image),
      [...sizes.images.map((i) => i.image)].sort(),
    );
  });

  it("names the image the engine does not have", () => {
    const list = listing({}).filter((i) => !(i.RepoTags ?? []).some((t) => t.includes("/valkey:")));
    assert.throws(() => imageSizes(list, plans), new RegExp(`no image ${plans.services.valkey.tag.replace(/[/]/g, "\\/")}`));
  });
});

describe("bench cold build plans", () => {
  const cold = coldPlans(plans);

  it("moves every tag, and every FROM argument naming one, to throwaway names", () => {
    const all = [cold.base, ...Object.values(cold.services), ...Object.values(cold.test)];
    assert.match(cold.rootfs.tag, /^mailstack\/bench-cold-rootfs:[0-9a-f]{12}$/);
    for (const p of all) {
      assert.match(p.tag, new RegExp(`^mailstack/bench-cold-${p.image}:[0-9a-f]{12}$`));
      const fromArg = p.image === "base" ? "ROOTFS" : "BASE";
      assert.equal(p.buildArgs[fromArg], p.from);
      assert.match(p.from, /^mailstack\/bench-cold-(rootfs|base):/);
    }
    assert.equal(cold.base.from, cold.rootfs.tag);
    assert.equal(cold.services.postfix.from, cold.base.tag);
  });

  it("keeps everything else of each plan as the runner would build it, and leaves the original plans alone", () => {
    assert.deepEqual(cold.services.postfix.context, plans.services.postfix.context);
    assert.equal(cold.services.postfix.contentHash, plans.services.postfix.contentHash);
    assert.equal(cold.services.postfix.buildArgs.POSTFIX_UID, plans.services.postfix.buildArgs.POSTFIX_UID);
    assert.match(plans.services.postfix.tag, /^mailstack\/postfix:/);
    assert.equal(plans.services.postfix.buildArgs.BASE, plans.base.tag);
  });
});
