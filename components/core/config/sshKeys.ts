// OpenSSH public keys as an operator pastes them (`type base64 comment`), checked the way sshd
// would read them from authorized_keys: the base64 blob is decoded (RFC 4253 wire format), its
// embedded type must equal the one written in front, and each field has the length its algorithm
// needs. sshpk 1.18 was considered and not used: it knows neither FIDO key type
// (`sk-ssh-ed25519@openssh.com`, `sk-ecdsa-sha2-nistp256@openssh.com`, OpenSSH PROTOCOL.u2f),
// which operators with hardware keys need. EC points and RSA moduli are handed to Node's crypto,
// which refuses a point off the curve. Pure: text in, verdict out; never reads a file.
import { createPublicKey } from "node:crypto";
import type { Checked } from "./names";

export interface SshPublicKey {
  type: string;
  /** Key size in bits (RSA modulus, EC curve; 256 for Ed25519). */
  bits: number;
  /** `type base64 comment` with single spaces; what goes into authorized_keys. */
  line: string;
}

/** RSA below this is refused: NIST SP 800-131A has disallowed 1024-bit RSA since 2013. */
export const MIN_RSA_BITS = 2048;

const CURVES = { nistp256: { bytes: 32, jwk: "P-256" }, nistp384: { bytes: 48, jwk: "P-384" }, nistp521: { bytes: 66, jwk: "P-521" } } as const;
type Curve = keyof typeof CURVES;

/** Key types accepted, and whether the blob ends with a FIDO application string. */
const TYPES: Readonly<Record<string, { kind: "ed25519" | "rsa" | "ecdsa"; curve?: Curve; fido?: true }>> = {
  "ssh-ed25519": { kind: "ed25519" },
  "sk-ssh-ed25519@openssh.com": { kind: "ed25519", fido: true },
  "ssh-rsa": { kind: "rsa" },
  "ecdsa-sha2-nistp256": { kind: "ecdsa", curve: "nistp256" },
  "ecdsa-sha2-nistp384": { kind: "ecdsa", curve: "nistp384" },
  "ecdsa-sha2-nistp521": { kind: "ecdsa", curve: "nistp521" },
  "sk-ecdsa-sha2-nistp256@openssh.com": { kind: "ecdsa", curve: "nistp256", fido: true },
};
export const SSH_KEY_TYPES: readonly string[] = Object.keys(TYPES);

class Blob {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  string(what: string): Buffer {
    if (this.at + 4 > this.buf.length) throw new Error(`ends before its ${what}`);
    const len = this.buf.readUInt32BE(this.at);
    if (this.at + 4 + len > this.buf.length) throw new Error(`its ${what} runs past the end of the key (truncated?)`);
    const out = this.buf.subarray(this.at + 4, this.at + 4 + len);
    this.at += 4 + len;
    return out;
  }
  done(): boolean {
    return this.at === this.buf.length;
  }
}

const b64url = (b: Buffer) => b.toString("base64url");
/** An SSH mpint without its sign byte. */
const unsigned = (b: Buffer) => (b.length > 1 && b[0] === 0 ? b.subarray(1) : b);
const bitLength = (b: Buffer) => {
  const u = unsigned(b);
  return u.length === 0 ? 0 : (u.length - 1) * 8 + (32 - Math.clz32(u[0]));
};

/** One public key line. Options in front (`from="..." ssh-ed25519 ...`) are refused, not ignored. */
export function sshPublicKey(input: string): Checked<SshPublicKey> {
  const fail = (why: string): Checked<SshPublicKey> => ({ ok: false, reason: `"${shorten(input)}" ${why}` });
  const line = input.trim();
  if (line.includes("\n")) return fail("holds several lines; give one key per list entry");
  const [type = "", data = "", ...comment] = line.split(/\s+/);
  const spec = TYPES[type];
  if (spec === undefined) {
    if (type === "ssh-dss") return fail("is a DSA key, which OpenSSH no longer accepts; use ssh-ed25519");
    if (type.includes("-cert-v01@openssh.com")) return fail("is a certificate; give the plain public key (without -cert)");
    if (SSH_KEY_TYPES.some((t) => line.includes(` ${t} `))) {
      return fail("starts with authorized_keys options; give the bare key (type, base64, comment) without options");
    }
    return fail(`is not an OpenSSH public key line: the type must be one of ${SSH_KEY_TYPES.join(", ")}`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data) || data.length % 4 !== 0) {
    return fail("has no valid base64 key data after the type; paste the whole line of the .pub file");
  }
  try {
    const blob = new Blob(Buffer.from(data, "base64"));
    const inner = blob.string("key type").toString("latin1");
    if (inner !== type) return fail(`says "${type}" but its key data is a "${shorten(inner)}" key; the line was edited or mixed up`);
    let bits: number;
    if (spec.kind === "ed25519") {
      const pk = blob.string("public key");
      if (pk.length !== 32) return fail(`has a ${pk.length}-byte Ed25519 key; it must be 32 bytes (truncated?)`);
      bits = 256;
    } else if (spec.kind === "rsa") {
      const e = blob.string("RSA exponent");
      const n = blob.string("RSA modulus");
      bits = bitLength(n);
      if (bits < MIN_RSA_BITS) return fail(`is a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required (ssh-keygen -t ed25519 is better)`);
      if (bits > 16384 || bitLength(e) > 33 || (unsigned(e).at(-1)! & 1) === 0) return fail("has an RSA exponent or modulus no SSH server accepts");
      createPublicKey({ key: { kty: "RSA", n: b64url(unsigned(n)), e: b64url(unsigned(e)) }, format: "jwk" });
    } else {
      const curve = blob.string("curve name").toString("latin1");
      if (curve !== spec.curve) return fail(`names the curve "${shorten(curve)}" inside a ${type} key`);
      const q = blob.string("EC point");
      const size = CURVES[spec.curve!].bytes;
      if (q.length !== 1 + 2 * size || q[0] !== 4) return fail(`has an EC point of ${q.length} bytes; ${spec.curve} needs ${1 + 2 * size} (uncompressed)`);
      // Throws for a point that is not on the curve.
      createPublicKey({
        key: { kty: "EC", crv: CURVES[spec.curve!].jwk, x: b64url(q.subarray(1, 1 + size)), y: b64url(q.subarray(1 + size)) },
        format: "jwk",
      });
      bits = spec.curve === "nistp521" ? 521 : size * 8;
    }
    if (spec.fido) {
      const app = blob.string("FIDO application").toString("latin1");
      if (app === "" || !/^[\x21-\x7e]+$/.test(app)) return fail("has an empty or unprintable FIDO application string");
    }
    if (!blob.done()) return fail("has extra bytes after the key (two keys pasted together?)");
    return { ok: true, value: { type, bits, line: [type, data, ...comment].join(" ") } };
  } catch (e) {
    return fail(`has key data that is not a valid ${type} key: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Every key of an authorized_keys-style text (a .pub file may hold several); blank and # lines skipped. */
export function sshPublicKeysInText(text: string): { keys: SshPublicKey[]; problems: string[] } {
  const keys: SshPublicKey[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((l, i) => {
    if (l.trim() === "" || l.trim().startsWith("#")) return;
    const k = sshPublicKey(l);
    if (k.ok) keys.push(k.value);
    else problems.push(`line ${i + 1}: ${k.reason}`);
  });
  return { keys, problems };
}

function shorten(s: string): string {
  const one = s.trim().replace(/\s+/g, " ");
  return one.length > 60 ? `${one.slice(0, 40)}...${one.slice(-12)}` : one;
}
