// A two-domain customer and fixed secrets for the web rendering tests, and a small reader for
// nginx's config syntax so tests can ask what nginx would do (which server answers a name, with
// which certificate, what a location serves) instead of grepping text. Not a test file itself.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseMailConfig, type MailConfig } from "../../components/core/config/config";
import type { RenderedFile } from "../../components/core/render/render";
import type { ServiceSecrets } from "../../components/core/render/secrets";

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
  mailPasswordDbPassword: "mp'pa\\ss@wo/rd%:?#",
  roundcubeDesKey: "abcdefghijklmnopqrstuvwx",
  rspamdControllerPassword: "rspamd-secret",
  rspamdControllerSalt: "salt",
  valkeyPassword: "valkeyTestPassword5",
  backupDbPassword: "backup-db",
  dkimPrivateKeys: {},
};

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function fileAt(files: RenderedFile[], service: string, path: string): RenderedFile {
  const f = files.find((x) => x.service === service && x.path === path);
  if (f === undefined) throw new Error(`no rendered ${service}/${path}; have ${files.map((x) => `${x.service}/${x.path}`).join(", ")}`);
  return f;
}

// ------------------------------------------------------------------------ nginx syntax ---

export interface Directive {
  name: string;
  args: string[];
  /** The { ... } block, when the directive has one. */
  block?: Directive[];
}

/** nginx's config syntax: words, quoted strings, `;`, `{ }`, `#` comments. */
export function parseNginx(text: string): Directive[] {
  const tokens: string[] = [];
  const re = /\s+|#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"'#]+)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
    if (m[1] !== undefined) tokens.push(m[1]);
    else if (m[2] !== undefined) tokens.push(m[2]);
    else if (m[3] !== undefined) tokens.push(m[3]);
    else if (m[4] !== undefined) tokens.push(m[4]);
  }
  let i = 0;
  const block = (): Directive[] => {
    const out: Directive[] = [];
    while (i < tokens.length && tokens[i] !== "}") {
      const words: string[] = [];
      while (i < tokens.length && tokens[i] !== ";" && tokens[i] !== "{") words.push(tokens[i++]);
      const [name, ...args] = words;
      if (tokens[i] === "{") {
        i++;
        out.push({ name, args, block: block() });
        i++; // }
      } else {
        i++; // ;
        out.push({ name, args });
      }
    }
    return out;
  };
  return block();
}

/** Every directive named `name` directly in `ds`. */
export const all = (ds: Directive[] | undefined, name: string): Directive[] => (ds ?? []).filter((d) => d.name === name);
/** The only directive named `name` directly in `ds` (fails when there are none or several). */
export function one(ds: Directive[] | undefined, name: string): Directive {
  const found = all(ds, name);
  if (found.length !== 1) throw new Error(`expected one ${name}, found ${found.length}`);
  return found[0];
}

/**
 * Every server block nginx would load from the rendered files: nginx.conf's http block plus the
 * files its `include <configDir>/servers/*.conf` pulls in.
 */
export function nginxServers(files: RenderedFile[], configDir: string): Directive[] {
  const main = parseNginx(fileAt(files, "nginx", "nginx.conf").content);
  const http = one(main, "http").block ?? [];
  const servers = all(http, "server");
  for (const inc of all(http, "include")) {
    const pattern = inc.args[0];
    if (!pattern.startsWith(`${configDir}/`)) continue;
    const rel = new RegExp(`^${pattern.slice(configDir.length + 1).replace(/\./g, "\\.").replace(/\*/g, "[^/]*")}$`);
    for (const f of files.filter((x) => x.service === "nginx" && rel.test(x.path))) servers.push(...all(parseNginx(f.content), "server"));
  }
  return servers;
}

/** The server nginx picks on `port` for the name (SNI/Host), falling back to the default server. */
export function serverFor(servers: Directive[], port: number, name: string): Directive {
  const on = servers.filter((s) => all(s.block, "listen").some((l) => l.args[0] === String(port) && l.args.includes("ssl") === (port !== 80)));
  const named = on.find((s) => all(s.block, "server_name").some((d) => d.args.includes(name)));
  const fallback = on.find((s) => all(s.block, "listen").some((l) => l.args[0] === String(port) && l.args.includes("default_server")));
  const s = named ?? fallback;
  if (s === undefined) throw new Error(`no server on ${port} for ${name}`);
  return s;
}

/** A location block by its exact arguments, e.g. ["=", "/index.php"]. */
export function locationOf(server: Directive, ...args: string[]): Directive {
  const l = all(server.block, "location").find((d) => d.args.join(" ") === args.join(" "));
  if (l === undefined) throw new Error(`no location ${args.join(" ")}`);
  return l;
}
