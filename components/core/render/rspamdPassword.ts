// The Rspamd controller password hash, computed here so the rendered worker-controller.inc is
// deterministic (same password + salt = same file, so no needless Rspamd restart) and needs no
// rspamadm at render time. Format is what `rspamadm pw -t pbkdf2` writes and Rspamd 3.4 checks:
// `$1$<salt>$<key>`, PBKDF2 with keyed BLAKE2b-512 as the PRF (Rspamd's own construction, not
// HMAC), 16000 rounds, 32-byte key, both in Rspamd's little-endian z-base-32. Pure; no I/O.
import { createHash } from "node:crypto";

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

// BLAKE2b-512 (RFC 7693) with an optional key, on 32-bit halves: Node's crypto has no keyed
// BLAKE2b, and BigInt would make 16000 rounds take seconds.
const IV = new Uint32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a,
  0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
];

function compress(h: Uint32Array, block: Uint8Array, t: number, last: boolean): void {
  const v = new Uint32Array(32);
  const m = new Uint32Array(32);
  const dv = new DataView(block.buffer, block.byteOffset, 128);
  for (let i = 0; i < 32; i++) m[i] = dv.getUint32(i * 4, true);
  v.set(h);
  v.set(IV, 16);
  v[24] ^= t >>> 0;
  v[25] ^= Math.floor(t / 0x100000000);
  if (last) {
    v[28] = ~v[28];
    v[29] = ~v[29];
  }
  // 64-bit word i is (v[2i] low, v[2i+1] high).
  const add = (a: number, b: number) => {
    const lo = v[a] + v[b];
    v[a + 1] = v[a + 1] + v[b + 1] + (lo > 0xffffffff ? 1 : 0);
    v[a] = lo;
  };
  const addm = (a: number, x: number) => {
    const lo = v[a] + m[x];
    v[a + 1] = v[a + 1] + m[x + 1] + (lo > 0xffffffff ? 1 : 0);
    v[a] = lo;
  };
  const xorRot = (a: number, b: number, r: number) => {
    const lo = v[a] ^ v[b];
    const hi = v[a + 1] ^ v[b + 1];
    if (r === 32) {
      v[a] = hi;
      v[a + 1] = lo;
    } else if (r < 32) {
      v[a] = (lo >>> r) | (hi << (32 - r));
      v[a + 1] = (hi >>> r) | (lo << (32 - r));
    } else {
      const s = r - 32;
      v[a] = (hi >>> s) | (lo << (32 - s));
      v[a + 1] = (lo >>> s) | (hi << (32 - s));
    }
  };
  const g = (a: number, b: number, c: number, d: number, x: number, y: number) => {
    add(a, b);
    addm(a, x);
    xorRot(d, a, 32);
    add(c, d);
    xorRot(b, c, 24);
    add(a, b);
    addm(a, y);
    xorRot(d, a, 16);
    add(c, d);
    xorRot(b, c, 63);
  };
  for (let r = 0; r < 12; r++) {
    const s = SIGMA[r];
    g(0, 8, 16, 24, s[0] * 2, s[1] * 2);
    g(2, 10, 18, 26, s[2] * 2, s[3] * 2);
    g(4, 12, 20, 28, s[4] * 2, s[5] * 2);
    g(6, 14, 22, 30, s[6] * 2, s[7] * 2);
    g(0, 10, 20, 30, s[8] * 2, s[9] * 2);
    g(2, 12, 22, 24, s[10] * 2, s[11] * 2);
    g(4, 14, 16, 26, s[12] * 2, s[13] * 2);
    g(6, 8, 18, 28, s[14] * 2, s[15] * 2);
  }
  for (let i = 0; i < 16; i++) h[i] ^= v[i] ^ v[i + 16];
}

/** BLAKE2b with a 64-byte digest and an optional key of up to 64 bytes. */
export function blake2b(data: Uint8Array, key: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = Uint32Array.from(IV);
  h[0] ^= 0x01010000 ^ (key.length << 8) ^ 64;
  const input = new Uint8Array((key.length > 0 ? 128 : 0) + data.length);
  input.set(key);
  input.set(data, key.length > 0 ? 128 : 0);
  const blocks = Math.max(1, Math.ceil(input.length / 128));
  for (let i = 0; i < blocks; i++) {
    const block = new Uint8Array(128);
    block.set(input.subarray(i * 128, (i + 1) * 128));
    const last = i === blocks - 1;
    compress(h, block, last ? input.length : (i + 1) * 128, last);
  }
  const out = new Uint8Array(64);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 16; i++) dv.setUint32(i * 4, h[i], true);
  return out;
}
