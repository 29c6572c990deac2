// Stack configs for the mock-engine tests: the example customer from Pulumi.prod.yaml, variations
// of it (reordered, one mailbox more, another DMARC policy), and a 20-domain customer.
import { readFileSync } from "node:fs";
import { parseStackYaml, stackFilePath } from "../../components/core/config/stackFile";
import { MOCK_SECRET_MARKER, type EvaluateRequest } from "./harness/types";

type Raw = Record<string, unknown> & { domains: Record<string, unknown>[]; mailboxes: Record<string, unknown>[]; aliases: Record<string, unknown>[] };

export function prodConfig(): Raw {
  return structuredClone(parseStackYaml(readFileSync(stackFilePath("prod"), "utf8"), "Pulumi.prod.yaml").raw) as Raw;
}

export function request(config: Record<string, unknown>, extra: Partial<EvaluateRequest> = {}): EvaluateRequest {
  return { config, relayPassword: `${MOCK_SECRET_MARKER}-relay-password`, ...extra };
}

/** A customer with 20 domains (each its own zone), two mailboxes and an alias per domain. */
export function twentyDomainConfig(): Raw {
  const cfg = prodConfig();
  const names = Array.from({ length: 20 }, (_, i) => `customer${String(i + 1).padStart(2, "0")}.example`);
  cfg.hostname = `mail.${names[0]}`;
  cfg.acmeEmail = `postmaster@${names[0]}`;
  cfg.domains = names.map((name, i) => ({
    name,
    zoneId: (i + 1).toString(16).padStart(32, "0"),
    dmarc: { policy: i % 2 === 0 ? "reject" : "quarantine", reportTo: `postmaster@${names[0]}` },
  }));
  cfg.mailboxes = names.flatMap((d) => [{ address: `postmaster@${d}` }, { address: `team@${d}`, quota: "5G" }]);
  cfg.aliases = names.map((d) => ({ from: `abuse@${d}`, to: [`postmaster@${d}`] }));
  return cfg;
}
