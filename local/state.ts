// The local stack's state folder (.local/, git-ignored): generated secrets (mode 0600), mailbox
// passwords and their bcrypt hashes, and the rendered files written into the host folders the
// containers mount (.local/data/config/<service>/). Everything is created once and kept, so `up`
// after `down` finds the same secrets, keys and mail. Never prints a secret.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import bcrypt from "bcryptjs";
import type { MailConfig } from "../components/core/config/config";
import { hostConfigDir } from "../components/core/containers/hostLayout";
import { CONFIG_FILE_OWNER } from "../components/core/containers/serviceAccounts";
import type { RenderedFile } from "../components/core/render/render";
import type { MailboxPasswordHashes, ServiceSecrets } from "../components/core/render/secrets";
import { SERVICES, type Topology } from "../components/core/topology";

export function statePaths(stateDir: string) {
  const secrets = join(stateDir, "secrets");
  return {
    secretsDir: secrets,
    serviceSecrets: join(secrets, "service-secrets.json"),
    mailboxes: join(secrets, "mailboxes.json"),
    dkimPublic: join(secrets, "dkim-public.json"),
    runDir: join(stateDir, "run"),
    stackFile: join(stateDir, "run", "stack.json"),
    buildDir: join(stateDir, "build"),
    endpoints: join(stateDir, "endpoints.json"),
    zone: join(stateDir, "dns.zone"),
  };
}

export interface LocalSecrets {
  service: ServiceSecrets;
  /** address -> { password, hash } */
  mailboxes: Record<string, { password: string; hash: string }>;
  /** domain -> DKIM public key (PEM) */
  dkimPublic: Record<string, string>;
}

const token = (bytes = 24) => randomBytes(bytes).toString("base64url");

function readJson<T>(file: string, fallback: T): T {
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as T) : fallback;
}

function writeSecret(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** bcrypt with cost 10, as production's random.RandomPassword.bcryptHash (`$2b$` here, `$2a$` there). */
export function mailboxHash(password: string): string {
  return bcrypt.hashSync(password, 10);
}

/** Loads the kept secrets, generating whatever the config needs and is missing. */
export function ensureSecrets(stateDir: string, cfg: MailConfig): LocalSecrets {
  const p = statePaths(stateDir);
  mkdirSync(p.secretsDir, { recursive: true, mode: 0o700 });
  const stored = readJson<Partial<ServiceSecrets>>(p.serviceSecrets, {});
  const dkimPrivate: Record<string, string> = { ...(stored.dkimPrivateKeys ?? {}) };
  const dkimPublic = readJson<Record<string, string>>(p.dkimPublic, {});
  for (const d of cfg.domains) {
    if (dkimPrivate[d.name] !== undefined && dkimPublic[d.name] !== undefined) continue;
    const { privateKey, publicKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    dkimPrivate[d.name] = privateKey;
    dkimPublic[d.name] = publicKey;
  }
  const service: ServiceSecrets = {
    postgresPassword: stored.postgresPassword ?? token(),
    mailDbPassword: stored.mailDbPassword ?? token(),
    roundcubeDbPassword: stored.roundcubeDbPassword ?? token(),
    mailPasswordDbPassword: stored.mailPasswordDbPassword ?? token(),
    roundcubeDesKey: stored.roundcubeDesKey ?? token(18),
    rspamdControllerPassword: stored.rspamdControllerPassword ?? token(),
    rspamdControllerSalt: stored.rspamdControllerSalt ?? token(15),
    // Letters and digits only (hex): it goes into valkey.conf and Rspamd's UCL unquoted-safe.
    valkeyPassword: stored.valkeyPassword ?? randomBytes(24).toString("hex"),
    dkimPrivateKeys: dkimPrivate,
    backupDbPassword: stored.backupDbPassword ?? token(),
    // The local stack backs up to a folder: only restic's password, never provider credentials.
    ...(cfg.backup !== undefined ? { backup: { password: stored.backup?.password ?? token() } } : {}),
    ...(stored.relayPassword !== undefined ? { relayPassword: stored.relayPassword } : {}),
  };
  writeSecret(p.serviceSecrets, JSON.stringify(service, null, 2));
  writeSecret(p.dkimPublic, JSON.stringify(dkimPublic, null, 2));

  const mailboxes = readJson<LocalSecrets["mailboxes"]>(p.mailboxes, {});
  for (const m of cfg.mailboxes) {
    if (mailboxes[m.address] !== undefined) continue;
    const password = token(12);
    mailboxes[m.address] = { password, hash: mailboxHash(password) };
  }
  writeSecret(p.mailboxes, JSON.stringify(mailboxes, null, 2));
  return { service, mailboxes, dkimPublic };
}

export function hashesOf(s: LocalSecrets): MailboxPasswordHashes {
  return Object.fromEntries(Object.entries(s.mailboxes).map(([a, v]) => [a, v.hash]));
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/**
 * Writes each service's rendered files into its host config folder (owner root, group the
 * daemon's, the file's own mode) and removes files the renderer no longer produces: the same
 * result as the VM's config push.
 */
export function writeRendered(files: readonly RenderedFile[], topo: Topology): void {
  for (const service of SERVICES) {
    const dir = hostConfigDir(topo, service);
    const owner = CONFIG_FILE_OWNER[service];
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    const mine = files.filter((f) => f.service === service);
    const keep = new Set(mine.map((f) => f.path));
    for (const f of mine) {
      const full = join(dir, f.path);
      mkdirSync(dirname(full), { recursive: true, mode: 0o755 });
      writeFileSync(full, f.content, { mode: f.mode });
      chmodSync(full, f.mode);
      chownSync(full, owner.uid, owner.gid);
    }
    for (const stale of filesUnder(dir)) if (!keep.has(relative(dir, stale))) rmSync(stale);
  }
}
