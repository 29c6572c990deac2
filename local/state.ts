// The local stack's state folder (.local/, git-ignored): generated secrets (mode 0600), mailbox
// passwords and their BLF-CRYPT hashes, the self-signed certificate, and the rendered files
// written into the local topology's config directories. Everything is created once and kept, so
// `up` after `down` finds the same secrets, keys and mail.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { MailConfig } from "../components/core/config/config";
import type { RenderedFile } from "../components/core/render/render";
import type { MailboxPasswordHashes, ServiceSecrets } from "../components/core/render/secrets";
import type { Topology } from "../components/core/topology";
import { runOk } from "./proc";

export function statePaths(stateDir: string) {
  const secrets = join(stateDir, "secrets");
  return {
    secretsDir: secrets,
    serviceSecrets: join(secrets, "service-secrets.json"),
    mailboxes: join(secrets, "mailboxes.json"),
    dkimPublic: join(secrets, "dkim-public.json"),
    pgpass: join(secrets, "pgpass"),
    runDir: join(stateDir, "run"),
    stackFile: join(stateDir, "run", "stack.json"),
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

/** Loads the kept secrets, generating whatever the config needs and is missing. */
export async function ensureSecrets(stateDir: string, cfg: MailConfig, topo: Topology): Promise<LocalSecrets> {
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
    roundcubeDesKey: stored.roundcubeDesKey ?? token(18),
    rspamdControllerPassword: stored.rspamdControllerPassword ?? token(),
    rspamdControllerSalt: stored.rspamdControllerSalt ?? token(15),
    dkimPrivateKeys: dkimPrivate,
    ...(stored.relayPassword !== undefined ? { relayPassword: stored.relayPassword } : {}),
  };
  writeSecret(p.serviceSecrets, JSON.stringify(service, null, 2));
  writeSecret(p.dkimPublic, JSON.stringify(dkimPublic, null, 2));
  writeSecret(p.pgpass, `${topo.internal.postgres.host}:${topo.internal.postgres.port}:*:postgres:${service.postgresPassword}\n`);

  const mailboxes = readJson<LocalSecrets["mailboxes"]>(p.mailboxes, {});
  for (const m of cfg.mailboxes) {
    if (mailboxes[m.address] !== undefined) continue;
    const password = token(12);
    mailboxes[m.address] = { password, hash: await blfCrypt(password) };
  }
  writeSecret(p.mailboxes, JSON.stringify(mailboxes, null, 2));
  return { service, mailboxes, dkimPublic };
}

/** Dovecot's own BLF-CRYPT hash; the password goes in on stdin (doveadm asks twice). */
export async function blfCrypt(password: string): Promise<string> {
  const r = await runOk("doveadm pw", "doveadm", ["pw", "-s", "BLF-CRYPT"], { input: `${password}\n${password}\n` });
  return r.stdout.trim().replace(/^\{BLF-CRYPT\}/, "");
}

export function hashesOf(s: LocalSecrets): MailboxPasswordHashes {
  return Object.fromEntries(Object.entries(s.mailboxes).map(([a, v]) => [a, v.hash]));
}

/** A self-signed certificate for the mail host name and 127.0.0.1, kept across restarts. */
export async function ensureCertificate(topo: Topology, hostname: string): Promise<void> {
  if (existsSync(topo.paths.tlsCert) && existsSync(topo.paths.tlsKey)) return;
  mkdirSync(dirname(topo.paths.tlsCert), { recursive: true, mode: 0o755 });
  await runOk("openssl req (self-signed certificate)", "openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
    "-keyout", topo.paths.tlsKey, "-out", topo.paths.tlsCert,
    "-subj", `/CN=${hostname}`,
    "-addext", `subjectAltName=DNS:${hostname},DNS:localhost,IP:127.0.0.1,IP:::1`,
  ]);
  chmodSync(topo.paths.tlsKey, 0o600);
  chmodSync(topo.paths.tlsCert, 0o644);
}

/** Writes rendered files into their service's config dir with their modes. */
export function writeRendered(files: RenderedFile[], topo: Topology, owners: Partial<Record<string, { uid: number; gid: number }>> = {}): void {
  for (const f of files) {
    const full = join(topo.configDirs[f.service], f.path);
    mkdirSync(dirname(full), { recursive: true, mode: 0o755 });
    writeFileSync(full, f.content, { mode: f.mode });
    chmodSync(full, f.mode);
    const owner = owners[f.service];
    if (owner !== undefined) chownSync(full, 0, owner.gid);
  }
}
