// ABOUT: a DNS server on loopback that answers from the local stack's zone file (the records the
// program writes, with 127.0.0.1/::1 as the server's addresses), plus the reverse DNS Hetzner
// would serve for those addresses. What `npm run check -- --local --dns` asks, as the real check
// asks the internet's resolvers. UDP only; NXDOMAIN for names outside the zone, an empty answer
// for a known name without records of the asked type. Not a test file.
import { createSocket, type Socket } from "node:dgram";
import { readFileSync } from "node:fs";
import * as packet from "dns-packet";

interface ZoneRecord {
  name: string;
  type: string;
  data: string;
}

export function readZone(path: string): ZoneRecord[] {
  const out: ZoneRecord[] = [];
  let origin = "";
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.startsWith("$ORIGIN ")) origin = line.slice(8).trim().replace(/\.$/, "");
    if (line.startsWith(";") || line.startsWith("$") || line.trim() === "") continue;
    const m = /^(\S+)\s+\d+\s+IN\s+(\S+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    out.push({ name: (m[1] === "@" ? origin : `${m[1]}.${origin}`).toLowerCase(), type: m[2], data: m[3].trim() });
  }
  return out;
}

function answer(r: ZoneRecord): packet.Answer {
  const base = { name: r.name, ttl: 3600, class: "IN" as const };
  const host = (h: string) => h.replace(/\.$/, "");
  switch (r.type) {
    case "TXT":
      return { ...base, type: "TXT", data: [...r.data.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((c) => Buffer.from(c[1].replace(/\\(.)/g, "$1"))) };
    case "MX": {
      const [pref, ex] = r.data.split(/\s+/);
      return { ...base, type: "MX", data: { preference: Number(pref), exchange: host(ex) } };
    }
    case "SRV": {
      const [priority, weight, port, target] = r.data.split(/\s+/);
      return { ...base, type: "SRV", data: { priority: Number(priority), weight: Number(weight), port: Number(port), target: host(target) } };
    }
    case "CAA": {
      const m = /^(\d+)\s+(\S+)\s+"(.*)"$/.exec(r.data)!;
      return { ...base, type: "CAA", data: { flags: Number(m[1]), tag: m[2] as "issue", value: m[3] } };
    }
    case "PTR":
      return { ...base, type: "PTR", data: host(r.data) };
    default:
      return { ...base, type: r.type as "A", data: r.data };
  }
}

export interface ZoneServer {
  /** "127.0.0.1:<port>" for Node's resolver and `npm run check -- --dns`. */
  address: string;
  /** Changes a record set (name, type) from now on, as someone editing the zone would. */
  set(name: string, type: string, data: string[]): void;
  close(): Promise<void>;
}

export async function startZoneServer(zonePath: string, ptr: Record<string, string> = {}): Promise<ZoneServer> {
  let records = readZone(zonePath);
  for (const [ip, name] of Object.entries(ptr)) {
    const rev = ip.includes(":")
      ? `${[...expand6(ip)].reverse().join(".")}.ip6.arpa`
      : `${ip.split(".").reverse().join(".")}.in-addr.arpa`;
    records.push({ name: rev, type: "PTR", data: `${name}.` });
  }
  const sock: Socket = createSocket("udp4");
  sock.on("message", (msg, rinfo) => {
    let q: packet.Packet;
    try {
      q = packet.decode(msg);
    } catch {
      return;
    }
    const question = q.questions?.[0];
    if (question === undefined) return;
    const name = question.name.toLowerCase().replace(/\.$/, "");
    const known = records.some((r) => r.name === name);
    const hits = records.filter((r) => r.name === name && r.type === question.type);
    const reply = packet.encode({
      id: q.id,
      type: "response",
      flags: packet.AUTHORITATIVE_ANSWER | (known ? 0 : 3),
      questions: [question],
      answers: hits.map(answer),
    });
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((res) => sock.bind(0, "127.0.0.1", () => res()));
  const port = sock.address().port;
  return {
    address: `127.0.0.1:${port}`,
    set(name, type, data) {
      const n = name.toLowerCase();
      records = [...records.filter((r) => !(r.name === n && r.type === type)), ...data.map((d) => ({ name: n, type, data: d }))];
    },
    close: () => new Promise<void>((res) => sock.close(() => res())),
  };
}

function expand6(ip: string): string {
  const [head, tail = ""] = ip.split("::");
  const h = head === "" ? [] : head.split(":");
  const t = tail === "" ? [] : tail.split(":");
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.map((g) => g.padStart(4, "0")).join("");
}
