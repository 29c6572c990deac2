// Stack configs for the mock-engine tests: the example customer from Pulumi.prod.yaml, and
// variations of it (reordered, one mailbox more, another DMARC policy).
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
