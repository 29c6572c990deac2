// A two-domain customer and fixed secrets for the web rendering tests (not a test file itself).
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseMailConfig, type MailConfig } from "../../components/core/config/config";
import type { RenderedFile } from "../../components/core/render/render";
import type { ServiceSecrets } from "../../components/core/render/secrets";
import type { Topology } from "../../components/core/topology";

export function webTestConfig(): MailConfig {
  return parseMailConfig(
    {
      hostname: "mail.example.com",
      acmeEmail: "ops@example.com",
      ssh: { adminKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0u3Lk2Y0y1p0cM9xq3Yb2oQ1u2Jw4H2b6w0y8Zk9mP ops"], allowFrom: ["203.0.113.0/24"] },
      domains: [
        {
          name: "example.com",
          zoneId: "0123456789abcdef0123456789abcdef",
          dmarc: { policy: "reject", reportTo: "dmarc@example.com" },
          mtaSts: { mode: "enforce", maxAgeDays: 30 },
        },
        { name: "example.org", zoneId: "fedcba9876543210fedcba9876543210", dmarc: { policy: "none", reportTo: "dmarc@example.com" } },
      ],
      mailboxes: [{ address: "alice@example.com", aliases: ["ops@example.com", "postmaster@example.com"] }, { address: "dmarc@example.com" }],
      aliases: [{ from: "postmaster@example.org", to: ["alice@example.com"] }],
    },
    { hasRelayPassword: false },
  );
}

/** Secrets with characters that break naive quoting in PHP strings and URLs. */
export const webTestSecrets: ServiceSecrets = {
  postgresPassword: "pg-super-secret",
  mailDbPassword: "mail-db-secret",
  roundcubeDbPassword: "rc'pa\\ss@wo/rd%:?#",
  roundcubeDesKey: "abcdefghijklmnopqrstuvwx",
  rspamdControllerPassword: "rspamd-secret",
  rspamdControllerSalt: "salt",
  dkimPrivateKeys: {},
};

/** Writes rendered files where the topology says the daemon reads them; returns nothing. */
export function writeRendered(files: RenderedFile[], topo: Topology): void {
  for (const f of files) {
    const path = join(topo.configDirs[f.service], f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content, { mode: f.mode });
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
