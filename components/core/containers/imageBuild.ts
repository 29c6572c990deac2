// What it takes to build our own images (postfix, dovecot, rspamd) on the VM: the build context
// from files/images/<service>/ and the fixed user ids, shipped as a script on stdin, and an image
// tag derived from their content hash, so an unchanged Dockerfile never rebuilds and a changed
// one replaces exactly the container that uses it. Pure: reads files/, returns data.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { VOLUME_MOUNT, type Topology } from "../topology";
import { imageBuildArgs } from "./serviceAccounts";
import { FILES_DIR } from "../paths";

export const BUILT_IMAGES = ["dovecot", "postfix", "rspamd"] as const;
export type BuiltImage = (typeof BUILT_IMAGES)[number];

export interface ImageBuildPlan {
  /** `mailstack/<service>:<12 hex>`, changes exactly when the context or build args change. */
  tag: string;
  contentHash: string;
  /** Shell script for `sh -s` on the VM. */
  script: string;
}

export function imageBuildPlan(service: BuiltImage, topo: Topology): ImageBuildPlan {
  const dir = join(FILES_DIR, "images", service);
  const files = readdirSync(dir)
    .sort()
    .map((name) => ({ name, content: readFileSync(join(dir, name), "utf8") }));
  const args = imageBuildArgs(topo);
  const h = createHash("sha256");
  for (const f of files) h.update(`${f.name}\0${f.content}\0`);
  for (const [k, v] of Object.entries(args).sort()) h.update(`${k}=${v}\0`);
  const contentHash = h.digest("hex");
  const tag = `mailstack/${service}:${contentHash.slice(0, 12)}`;
  const ctx = `${VOLUME_MOUNT}/build/${service}`;
  const script = [
    "set -eu",
    `ctx='${ctx}'`,
    'rm -rf "$ctx" && mkdir -p "$ctx"',
    ...files.flatMap((f) => [
      `base64 -d > "$ctx/${f.name}" <<'MAILSTACK_FILE'`,
      ...(Buffer.from(f.content, "utf8").toString("base64").match(/.{1,76}/g) ?? []),
      "MAILSTACK_FILE",
    ]),
    `docker build --pull ${Object.entries(args)
      .sort()
      .map(([k, v]) => `--build-arg '${k}=${v}'`)
      .join(" ")} --tag '${tag}' "$ctx"`,
  ].join("\n");
  return { tag, contentHash, script: script + "\n" };
}
