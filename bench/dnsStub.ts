// An offline stand-in for the resolver the local stack's Rspamd is pointed at (127.0.0.1:53 inside
// the rspamd container, see files/rspamd/local.d/options.inc): answers every query at once with
// NXDOMAIN, as a resolver with no internet would. Without it nothing answers there, and Rspamd does
// not fail at once: it waits out its DNS timeout (2 s, retransmitted) on each lookup, and every
// message from a remote client took 24 s in Rspamd (SPF, DMARC, ASN, RBL and host-name checks
// each timing out), which would measure the missing resolver, not the mail path. Production uses
// the container's real resolver. The bench runs it inside the container's network namespace
// (bench/containerDns.ts, bench/dnsStubServe.ts); this module only builds answers and serves them.
import { createSocket, type Socket } from "node:dgram";

/** The NXDOMAIN answer to a DNS query: same id and question, no records. */
export function nxdomain(query: Buffer): Buffer | undefined {
  if (query.length < 12) return undefined;
  const out = Buffer.from(query);
  const rd = query[2] & 0x01;
  const opcode = query[2] & 0x78;
  out[2] = 0x80 | opcode | rd; // QR=1, same opcode, RD copied, not authoritative
  out[3] = 0x80 | 0x03; // RA=1, RCODE=3 (NXDOMAIN)
  out.writeUInt16BE(0, 6); // no answers
  out.writeUInt16BE(0, 8); // no authority records
  out.writeUInt16BE(0, 10); // no additional records (drops an EDNS OPT from the query)
  // Keep only header and question(s): cut after the last question.
  let off = 12;
  for (let q = query.readUInt16BE(4); q > 0; q--) {
    while (off < query.length && query[off] !== 0) off += query[off] + 1;
    off += 5; // the root label's zero byte, QTYPE and QCLASS
  }
  return off <= query.length ? out.subarray(0, off) : undefined;
}

/** The first question's name and type code, e.g. "example.com/1" (A). */
export function questionOf(query: Buffer): string {
  const labels: string[] = [];
  let off = 12;
  while (off < query.length && query[off] !== 0) {
    labels.push(query.subarray(off + 1, off + 1 + query[off]).toString("latin1"));
    off += query[off] + 1;
  }
  return off + 3 <= query.length ? `${labels.join(".")}/${query.readUInt16BE(off + 1)}` : "?";
}

export interface DnsStub {
  queries: () => number;
  /** Names asked for, with counts (what Rspamd tried to look up). */
  names: Map<string, number>;
  close(): Promise<void>;
}

export function startDnsStub(host = "127.0.0.1", port = 53): Promise<DnsStub> {
  return new Promise((resolve, reject) => {
    const sock: Socket = createSocket("udp4");
    let count = 0;
    const names = new Map<string, number>();
    sock.on("message", (msg, rinfo) => {
      const answer = nxdomain(msg);
      count++;
      const q = questionOf(msg);
      names.set(q, (names.get(q) ?? 0) + 1);
      if (answer !== undefined) sock.send(answer, rinfo.port, rinfo.address);
    });
    sock.once("error", reject);
    sock.bind(port, host, () => resolve({ queries: () => count, names, close: () => new Promise<void>((res) => sock.close(() => res())) }));
  });
}
