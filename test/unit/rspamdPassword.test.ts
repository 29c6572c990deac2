// The controller hash, pure: BLAKE2b against Node's own (unkeyed) BLAKE2b, z-base-32 decoding back
// to the bytes it encoded, and determinism. That Rspamd 3.12 itself computes the same key (`rspamadm pw` in our rspamd image)
// is checked in test/images/mail.test.ts; the running controller accepting the rendered hash in
// the end-to-end suite (Junk learning).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "@jest/globals";
import { blake2b, rspamdBase32, rspamdPasswordHash, rspamdPbkdf2 } from "../../components/core/render/rspamdPassword";

const ZB = "ybndrfg8ejkmcpqxot1uwisza345h769";
function decode(s: string): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of s) {
    acc |= ZB.indexOf(ch) << bits;
    bits += 5;
    if (bits >= 8) {
      out.push(acc & 0xff);
      acc >>>= 8;
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

describe("rspamdPasswordHash", () => {
  it("BLAKE2b matches Node's unkeyed blake2b512", () => {
    for (const s of ["", "abc", "x".repeat(300)]) {
      assert.equal(Buffer.from(blake2b(Buffer.from(s))).toString("hex"), createHash("blake2b512").update(s).digest("hex"));
    }
  });

  it("encodes keys in Rspamd's z-base-32 (least significant bits first) that decode to the same bytes", () => {
    const key = rspamdPbkdf2(Buffer.from("pw"), Buffer.from("0123456789abcdefghij"), 10, 32);
    const text = rspamdBase32(key);
    assert.equal(text.length, 52, "32 bytes are 52 characters");
    assert.deepEqual([...decode(text)], [...key]);
  });

  it("is deterministic in password and salt, and changes with either", () => {
    const a = rspamdPasswordHash("pw", "salt");
    assert.match(a, /^\$1\$[ybndrfg8ejkmcpqxot1uwisza345h769]{32}\$[ybndrfg8ejkmcpqxot1uwisza345h769]{52}$/);
    assert.equal(rspamdPasswordHash("pw", "salt"), a);
    assert.notEqual(rspamdPasswordHash("pw", "salt2"), a);
    assert.notEqual(rspamdPasswordHash("pw2", "salt"), a);
  });
});
