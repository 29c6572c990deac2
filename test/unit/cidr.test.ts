// SSH source ranges: normalised to their network address, and refused when they open (alone or
// together) more than a /8 of IPv4 or a /16 of IPv6, the same rule the policy pack applies.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { coveredAddresses, sourceRange, sshExposureProblems, type SourceRange } from "../../components/core/config/cidr";

const r = (s: string): SourceRange => {
  const c = sourceRange(s);
  assert.ok(c.ok, s);
  return c.value;
};

describe("source ranges", () => {
  it("clears host bits and remembers what was written", () => {
    assert.deepEqual([r("203.0.113.77/24").cidr, r("203.0.113.77/24").normalisedFrom], ["203.0.113.0/24", "203.0.113.77/24"]);
    assert.equal(r("2001:DB8:0:0:0:0:0:1/48").cidr, "2001:db8::/48");
    assert.equal(r("198.51.100.7").cidr, "198.51.100.7/32");
    assert.equal(r("198.51.100.0/24").normalisedFrom, undefined);
  });

  it("refuses what is not a range", () => {
    for (const s of ["1.2.3", "1.2.3.4/33", "0x7f.1", "fe80::1%eth0", "10.0.0.0/8/8", "10.0.0.0/abc", "example.com"]) {
      assert.equal(sourceRange(s).ok, false, s);
    }
  });

  it("counts overlapping ranges once", () => {
    assert.equal(coveredAddresses([r("10.0.0.0/8"), r("10.1.0.0/16"), r("11.0.0.0/8")], 4), 2n * 2n ** 24n);
  });

  it("refuses the whole internet however it is split, and anything wider than a /8 or IPv6 /16", () => {
    assert.match(sshExposureProblems([r("0.0.0.0/0")])[0].message, /whole internet/);
    assert.equal(sshExposureProblems([r("0.0.0.0/1"), r("128.0.0.0/1")]).length, 2);
    assert.match(sshExposureProblems([r("::/1"), r("8000::/1")])[0].message, /50% of the IPv6 internet/);
    assert.match(sshExposureProblems([r("10.0.0.0/7")])[0].message, /the widest range allowed is a \/8/);
    const split = sshExposureProblems([r("10.0.0.0/9"), r("10.128.0.0/9"), r("12.0.0.0/9")]);
    assert.equal(split.length, 1);
    assert.equal(split[0].range, undefined, "no single range is at fault; the union is");
    assert.deepEqual(sshExposureProblems([r("10.0.0.0/8"), r("2001:db8::/16")]), [], "exactly the limit");
    assert.equal(sshExposureProblems([r("10.0.0.0/8"), r("203.0.113.0/24")]).length, 1, "one address over the limit");
  });
});
