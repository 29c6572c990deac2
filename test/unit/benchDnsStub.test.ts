// The benchmark's offline DNS stand-in builds its NXDOMAIN answers by hand: the answer must keep
// the query's id and question, set the response and NXDOMAIN bits, and carry no records.
import assert from "node:assert/strict";
import { describe, it } from "@jest/globals";
import { nxdomain, questionOf } from "../../bench/dnsStub";

/** A query for name/type with RD set and one EDNS OPT record in the additional section. */
function query(id: number, name: string, type: number): Buffer {
  const labels = name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "latin1")]));
  const header = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]);
  const question = Buffer.concat([...labels, Buffer.from([0, type >> 8, type & 0xff, 0, 1])]);
  const opt = Buffer.from([0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, question, opt]);
}

describe("bench DNS stand-in", () => {
  it("answers NXDOMAIN with the same id and question and nothing else", () => {
    const q = query(0xbeef, "localhost.multi.surbl.org", 1);
    const a = nxdomain(q);
    assert.ok(a);
    assert.equal(a.readUInt16BE(0), 0xbeef);
    assert.equal(a[2] & 0x80, 0x80, "QR set");
    assert.equal(a[2] & 0x01, 0x01, "RD copied");
    assert.equal(a[3] & 0x0f, 3, "NXDOMAIN");
    assert.deepEqual([a.readUInt16BE(4), a.readUInt16BE(6), a.readUInt16BE(8), a.readUInt16BE(10)], [1, 0, 0, 0]);
    assert.equal(a.length, q.length - 11, "the OPT record is dropped");
    assert.equal(questionOf(a), "localhost.multi.surbl.org/1");
  });

  it("ignores packets too short to be a query", () => {
    assert.equal(nxdomain(Buffer.from([1, 2, 3])), undefined);
  });
});
