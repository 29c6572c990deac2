// The controller hash must be one Rspamd 3.4 accepts: recompute a hash that `rspamadm pw`
// produced (its salt, our PBKDF2-BLAKE2b and z-base-32) and get the same key. The running
// controller accepting the rendered hash is checked in test/e2e/06-folders-sieve-junk.test.ts.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
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

  it("reproduces a hash made by rspamadm pw -t pbkdf2", () => {
    // A throwaway test password, not a secret of any stack.
    const made = execFileSync("rspamadm", ["pw", "-t", "pbkdf2", "-p", "correct horse"], { encoding: "utf8" }).trim();
    const [, id, salt, key] = made.split("$");
    assert.equal(id, "1");
    const ours = rspamdPbkdf2(Buffer.from("correct horse"), decode(salt), 16000, 32);
    assert.equal(rspamdBase32(ours), key);
    assert.notEqual(rspamdBase32(rspamdPbkdf2(Buffer.from("wrong horse"), decode(salt), 16000, 32)), key);
  });

  it("is deterministic in password and salt, and changes with either", () => {
    const a = rspamdPasswordHash("pw", "salt");
    assert.match(a, /^\$1\$[ybndrfg8ejkmcpqxot1uwisza345h769]{32}\$[ybndrfg8ejkmcpqxot1uwisza345h769]{52}$/);
    assert.equal(rspamdPasswordHash("pw", "salt"), a);
    assert.notEqual(rspamdPasswordHash("pw", "salt2"), a);
    assert.notEqual(rspamdPasswordHash("pw2", "salt"), a);
  });
});
