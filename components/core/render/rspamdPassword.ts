// The Rspamd controller password hash, computed here so the rendered worker-controller.inc is
// deterministic (same password + salt = same file, so no needless Rspamd restart) and needs no
// rspamadm at render time. Format is what `rspamadm pw -t pbkdf2` writes and Rspamd 3.12 checks:
// `$1$<salt>$<key>`, PBKDF2 with keyed BLAKE2b-512 as the PRF (Rspamd's own construction, not
// HMAC), 16000 rounds, 32-byte key, both in Rspamd's little-endian z-base-32. Keyed BLAKE2b
// comes from blakejs (Node's crypto has BLAKE2b but no keyed form). Pure; no I/O.
import { createHash } from "node:crypto";
import { blake2b as blake2bJs } from "blakejs";

const ROUNDS = 16000;
const KEY_LEN = 32;
const SALT_LEN = 20;

/** `$1$...$...` for the controller's `password`/`enable_password`; salt is any string (hashed to 20 bytes). */
export function rspamdPasswordHash(password: string, salt: string): string {
  const saltBytes = createHash("sha256").update(`rspamd-controller-salt:${salt}`).digest().subarray(0, SALT_LEN);
  const key = rspamdPbkdf2(Buffer.from(password, "utf8"), saltBytes, ROUNDS, KEY_LEN);
  return `$1$${rspamdBase32(saltBytes)}$${rspamdBase32(key)}`;
}

/** Rspamd's PBKDF2: PRF(data) = BLAKE2b-512(data, key = password). */
export function rspamdPbkdf2(pass: Uint8Array, salt: Uint8Array, rounds: number, keyLen: number): Uint8Array {
  // Passwords longer than a BLAKE2b key are first hashed, as Rspamd does.
  const prfKey = pass.length <= 64 ? pass : blake2b(pass);
  const out = new Uint8Array(keyLen);
  let written = 0;
  for (let count = 1; written < keyLen; count++) {
    const asalt = new Uint8Array(salt.length + 4);
    asalt.set(salt);
    new DataView(asalt.buffer).setUint32(salt.length, count, false);
    let d = blake2b(asalt, prfKey);
    const obuf = Uint8Array.from(d);
    for (let i = 1; i < rounds; i++) {
      d = blake2b(d, prfKey);
      for (let j = 0; j < obuf.length; j++) obuf[j] ^= d[j];
    }
    const n = Math.min(keyLen - written, obuf.length);
    out.set(obuf.subarray(0, n), written);
    written += n;
  }
  return out;
}

const ZBASE32 = "ybndrfg8ejkmcpqxot1uwisza345h769";

/** Rspamd's default base32: z-base-32 alphabet, bits taken least significant first. */
export function rspamdBase32(data: Uint8Array): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const byte of data) {
    acc |= byte << bits;
    bits += 8;
    while (bits >= 5) {
      out += ZBASE32[acc & 31];
      acc >>>= 5;
      bits -= 5;
    }
  }
  if (bits > 0) out += ZBASE32[acc & 31];
  return out;
}

/** BLAKE2b-512, keyed when a key is given (RFC 7693). */
export function blake2b(data: Uint8Array, key?: Uint8Array): Uint8Array {
  return blake2bJs(data, key !== undefined && key.length > 0 ? key : undefined, 64);
}
