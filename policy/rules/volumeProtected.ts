// Rule (b): the Hetzner volume holding all mail and databases is protected, so no diff, rename or
// stack removal can delete it. Uses the resource options the policy engine passes (`args.opts`).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { HCLOUD_VOLUME } from "./types";

export const volumeProtected: ResourceValidationPolicy = {
  name: "mail-volume-protected",
  description: "The hcloud Volume that holds mail and database data must have protect: true.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== HCLOUD_VOLUME) return;
    if (args.opts?.protect !== true) {
      reportViolation(
        `Volume ${args.name} is not protected; it holds every mailbox and database. ` +
          "Create it with the resource option { protect: true }.",
      );
    }
  },
};
