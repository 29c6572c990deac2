// Admin SSH keys as operators paste them: real keys from ssh-keygen of every type pass, FIDO keys
// built from their wire format pass, and the usual mistakes are refused with what is wrong.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "@jest/globals";
import { sshPublicKey, sshPublicKeysInText } from "../../components/core/config/sshKeys";

const dir = mkdtempSync(join(tmpdir(), "mailstack-keys-"));
function keygen(name: string, ...args: string[]): string {
  execFileSync("ssh-keygen", ["-q", "-N", "", "-C", `${name}@test`, "-f", join(dir, name), ...args]);
  return readFileSync(join(dir, `${name}.pub`), "utf8");
}
const wire = (...parts: Buffer[]) => Buffer.concat(parts.flatMap((p) => { const len = Buffer.alloc(4); len.writeUInt32BE(p.length); return [len, p]; }));
const line = (type: string, blob: Buffer, comment = "key") => `${type} ${blob.toString("base64")} ${comment}`;
const ed25519Point = (pub: string) => Buffer.from(pub.split(" ")[1], "base64").subarray(19);
const ecdsaPoint = (pub: string) => Buffer.from(pub.split(" ")[1], "base64").subarray(39);

describe("OpenSSH public keys", () => {
  it("accepts what ssh-keygen makes: Ed25519, RSA 2048+, ECDSA on all three curves", () => {
    for (const [name, args, bits] of [
      ["ed", ["-t", "ed25519"], 256],
      ["rsa", ["-t", "rsa", "-b", "3072"], 3072],
      ["p256", ["-t", "ecdsa", "-b", "256"], 256],
      ["p384", ["-t", "ecdsa", "-b", "384"], 384],
      ["p521", ["-t", "ecdsa", "-b", "521"], 521],
    ] as const) {
      const pub = keygen(name, ...args);
      const k = sshPublicKey(pub);
      assert.ok(k.ok, `${name}: ${k.ok ? "" : k.reason}`);
      assert.equal(k.value.bits, bits, name);
      assert.equal(k.value.line, pub.trim(), "the line is kept as written");
    }
  });

  it("accepts FIDO security keys (sk-ssh-ed25519, sk-ecdsa-sha2-nistp256)", () => {
    const ed = ed25519Point(keygen("fido-ed", "-t", "ed25519"));
    const sk1 = line("sk-ssh-ed25519@openssh.com", wire(Buffer.from("sk-ssh-ed25519@openssh.com"), ed, Buffer.from("ssh:")));
    const p = ecdsaPoint(keygen("fido-ec", "-t", "ecdsa", "-b", "256"));
    const sk2 = line("sk-ecdsa-sha2-nistp256@openssh.com", wire(Buffer.from("sk-ecdsa-sha2-nistp256@openssh.com"), Buffer.from("nistp256"), p, Buffer.from("ssh:")));
    for (const k of [sk1, sk2]) assert.ok(sshPublicKey(k).ok, k);
    // Without its application string a FIDO key is truncated.
    const short = line("sk-ssh-ed25519@openssh.com", wire(Buffer.from("sk-ssh-ed25519@openssh.com"), ed));
    assert.match(reason(short), /ends before its FIDO application/);
  });

  it("refuses the usual mistakes, saying what is wrong", () => {
    const ed = keygen("ed2", "-t", "ed25519").trim();
    const [, data] = ed.split(" ");
    assert.match(reason("ssh-ed25519 notakey"), /no valid base64 key data/);
    assert.match(reason(`ssh-rsa ${data} x`), /says "ssh-rsa" but its key data is a "ssh-ed25519" key/);
    assert.match(reason(`ssh-ed25519 ${data.slice(0, -8)}AAAAAAA= x`), /valid ssh-ed25519 key|32 bytes|runs past/);
    assert.match(reason(`ssh-ed25519 ${Buffer.concat([Buffer.from(data, "base64"), Buffer.from([0, 0, 0, 0])]).toString("base64")} x`), /extra bytes after the key/);
    assert.match(reason(`from="10.0.0.1" ${ed}`), /authorized_keys options/);
    assert.match(reason(keygen("rsa1k", "-t", "rsa", "-b", "1024")), /1024-bit RSA key; at least 2048 bits/);
    assert.match(reason("ssh-dss AAAAB3NzaC1kc3MAAACBAP x"), /DSA key/);
    assert.match(reason(`${ed}\n${ed}`), /one key per list entry/);
    // An EC point that is not on the curve.
    const bad = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]);
    assert.match(reason(line("ecdsa-sha2-nistp256", wire(Buffer.from("ecdsa-sha2-nistp256"), Buffer.from("nistp256"), bad))), /not a valid ecdsa-sha2-nistp256 key/);
  });

  it("takes every key of a file with several, skipping blank and comment lines", () => {
    const a = keygen("multi-a", "-t", "ed25519").trim();
    const b = keygen("multi-b", "-t", "ecdsa", "-b", "256").trim();
    const { keys, problems } = sshPublicKeysInText(`# team keys\n${a}\n\n${b}\nssh-ed25519 notakey\n`);
    assert.deepEqual(keys.map((k) => k.line), [a, b]);
    assert.deepEqual(problems.map((p) => p.slice(0, 7)), ["line 5:"]);
  });
});

function reason(input: string): string {
  const k = sshPublicKey(input);
  assert.ok(!k.ok, `expected "${input}" to be refused`);
  return k.reason;
}
