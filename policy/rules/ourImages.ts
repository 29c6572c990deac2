// Rule (d): every container runs one of our own images, built on the VM from files/images/ on the
// Debian 13 base, and tagged with the hash of everything that went into it
// (`mailstack/<image>:<12 hex>`), the images the tests ran. An image from a registry brings its own
// release cycle and security lag (the Roundcube upstream image this stack once pulled lacked a
// fix on CISA's exploited list), and a moving tag changes what runs without a change in review.
// So: no RemoteImage pulls at all, and a container's image must be one of ours. An image id
// (`sha256:…`) is exact and also accepted, and so is the fully qualified form of our tag
// (`docker.io/mailstack/<image>:<12 hex>`), which an existing host's containers are written with
// (qualifiedImageReference: podman reads short names back qualified); it names the same local image.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DOCKER_CONTAINER, DOCKER_REMOTE_IMAGE } from "./types";

const OURS = /^(docker\.io\/)?mailstack\/[a-z0-9-]+:[0-9a-f]{12}$/;
const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

/** Why a container's image is not one of ours, or undefined when it is. */
export function notOursReason(ref: string): string | undefined {
  if (OURS.test(ref) || IMAGE_ID.test(ref)) return undefined;
  if (ref.startsWith("mailstack/") || ref.startsWith("docker.io/mailstack/")) return `"${ref}" is not tagged with its content hash (mailstack/<image>:<12 hex>)`;
  return `"${ref}" is not one of our images (files/images/<image>, tagged mailstack/<image>:<hash>)`;
}

export const ourImages: ResourceValidationPolicy = {
  name: "mail-images-built-here",
  description: "Containers run only our own images (mailstack/<image>:<content hash>); nothing is pulled from a registry.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type === DOCKER_REMOTE_IMAGE) {
      reportViolation(`${args.name}: pulls ${String(args.props.name)} from a registry; build it from files/images/ on our base instead.`);
      return;
    }
    if (args.type !== DOCKER_CONTAINER) return;
    const ref = args.props.image;
    // Unknown during preview (computed from another resource): judged at `up` time.
    if (typeof ref !== "string") return;
    const reason = notOursReason(ref);
    if (reason !== undefined) reportViolation(`${args.name}: image ${reason}.`);
  },
};
