// `npm run images -- build [image ...]`: builds our images on the local container engine (the
// same plans the local stack and the VM use), printing each tag and how long it took. With no
// names: every service image and the local stack's test images. An existing tag is never rebuilt.
import { join } from "node:path";
import { imagePlans, type ImagePlan } from "../components/core/containers/images";
import { REPO_ROOT } from "../components/core/paths";
import { productionTopology } from "../components/core/topology";
import { ensureImages } from "../local/engine/buildImages";
import { connectEngine } from "../local/engine/engine";

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

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === "build") return build(rest);
  console.error("usage: npm run images -- build [image ...]");
  process.exit(2);
}

main().catch((e: unknown) => {
  console.error(`images: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
