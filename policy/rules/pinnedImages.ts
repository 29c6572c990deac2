// Rule (d): every image the VM pulls is pinned, so the same stack file always runs the same
// software. Accepted: a digest (`@sha256:<64 hex>`), a tag starting with a full version `x.y.z`
// (suffixes such as `-alpine` or `-apache` allowed; `x.y` only for PostgreSQL, whose releases
// since 10 have two parts, so 15.8 is exact), or a content-hash tag (12+ hex characters)
// as the images built on the VM carry. Rejected: no tag, `latest`, and moving tags like `15` or
// `7.2`. Applies to RemoteImage names and to a Container's image when it is a name (an image
// id `sha256:...` from a RemoteImage is already exact).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DOCKER_CONTAINER, DOCKER_REMOTE_IMAGE } from "./types";

const DIGEST = /@sha256:[0-9a-f]{64}$/;
const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;
const FULL_VERSION = /^v?\d+\.\d+\.\d+([-+._][A-Za-z0-9._-]+)?$/;
const CONTENT_HASH = /^[0-9a-f]{12,64}$/;
const TWO_PART_VERSION = /^\d+\.\d+([-+._][A-Za-z0-9._-]+)?$/;
// Repositories whose releases are numbered major.minor; any other x.y tag still moves.
const TWO_PART_VERSIONED = new Set(["postgres"]);

/** Why an image reference is not pinned, or undefined when it is. */
export function unpinnedReason(ref: string): string | undefined {
  if (DIGEST.test(ref) || IMAGE_ID.test(ref)) return undefined;
  const lastSlash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  // A colon before the last slash is a registry port (registry:5000/name), not a tag.
  const tag = colon > lastSlash ? ref.slice(colon + 1) : undefined;
  if (tag === undefined) return `"${ref}" has no tag, so it means "latest"`;
  if (tag === "latest") return `"${ref}" uses the moving tag "latest"`;
  if (FULL_VERSION.test(tag) || CONTENT_HASH.test(tag)) return undefined;
  const repo = ref.slice(lastSlash + 1, colon);
  if (TWO_PART_VERSIONED.has(repo) && TWO_PART_VERSION.test(tag)) return undefined;
  return `"${ref}" uses the tag "${tag}", which moves with new releases`;
}

const FIX = "pin a full version (postgres:15.8) or a digest (name@sha256:...).";

export const pinnedImages: ResourceValidationPolicy = {
  name: "mail-images-pinned",
  description: "Docker images must be pinned to an exact version x.y.z, a digest, or a content-hash tag.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    let ref: unknown;
    if (args.type === DOCKER_REMOTE_IMAGE) ref = args.props.name;
    else if (args.type === DOCKER_CONTAINER) ref = args.props.image;
    else return;
    // Unknown during preview (computed from another resource): judged at `up` time.
    if (typeof ref !== "string") return;
    const reason = unpinnedReason(ref);
    if (reason !== undefined) reportViolation(`${args.name}: image ${reason}; ${FIX}`);
  },
};
