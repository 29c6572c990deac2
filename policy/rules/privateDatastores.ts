// Rule (e): PostgreSQL, Valkey and the Rspamd controller are reachable only on the Docker network,
// never through a published port: their data (password hashes, mail metadata, spam statistics)
// and the controller's admin API must not face the internet, whatever the firewall says.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DOCKER_CONTAINER } from "./types";

/** PostgreSQL 5432, Valkey (Redis protocol) 6379, Rspamd controller 11334. */
export const PRIVATE_PORTS: Readonly<Record<number, string>> = { 5432: "PostgreSQL", 6379: "Valkey", 11334: "the Rspamd controller" };

interface Port {
  internal?: number;
  external?: number;
}

/** The repository name of an image reference: "mailstack/postgres:0123456789ab" -> "postgres". */
function repository(ref: string): string {
  const noDigest = ref.split("@")[0];
  const lastSlash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  const noTag = colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
  return noTag.slice(noTag.lastIndexOf("/") + 1);
}

export const privateDatastores: ResourceValidationPolicy = {
  name: "mail-datastores-not-published",
  description: "Containers must not publish PostgreSQL (5432), Valkey (6379) or the Rspamd controller (11334).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== DOCKER_CONTAINER) return;
    const ports = (args.props.ports ?? []) as Port[];
    if (ports.length === 0) return;
    for (const p of ports) {
      for (const n of [p.internal, p.external]) {
        if (n !== undefined && PRIVATE_PORTS[n] !== undefined) {
          reportViolation(
            `container ${args.name} publishes port ${n} (${PRIVATE_PORTS[n]}); ` +
              "remove it from ports: other containers reach it by name on the Docker network.",
          );
        }
      }
    }
    const image = typeof args.props.image === "string" ? repository(args.props.image) : undefined;
    if (image === "postgres" || image === "valkey") {
      reportViolation(`container ${args.name} runs ${image} and publishes ports; a datastore container publishes none.`);
    }
  },
};
