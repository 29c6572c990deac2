// A DNS resolver for mailauth that answers only from the local stack's zone file (endpoints.json `zone`,
// written from the program's own dnsRecords): what receivers on the internet would see, with
// 127.0.0.1/::1 as the server's addresses. Not a test file.
import { readFileSync } from "node:fs";

type Answer = string[][] | string[] | { exchange: string; priority: number }[];

export function zoneResolver(zonePath: string): (name: string, type: string) => Promise<Answer> {
  const records: { name: string; type: string; data: string }[] = [];
  let origin = "";
  for (const line of readFileSync(zonePath, "utf8").split("\n")) {
    if (line.startsWith("$ORIGIN ")) origin = line.slice(8).trim().replace(/\.$/, "");
    if (line.startsWith(";") || line.startsWith("$") || line.trim() === "") continue;
    const m = /^(\S+)\s+\d+\s+IN\s+(\S+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    const name = m[1] === "@" ? origin : `${m[1]}.${origin}`;
    records.push({ name: name.toLowerCase(), type: m[2], data: m[3].trim() });
  }
  return async (name, type) => {
    const hits = records.filter((r) => r.name === name.toLowerCase().replace(/\.$/, "") && r.type === type);
    if (hits.length === 0) throw Object.assign(new Error(`no ${type} for ${name}`), { code: "ENOTFOUND" });
    switch (type) {
      case "TXT":
        // Quoted chunks of one record come back as one array of strings, as dns.resolveTxt does.
        return hits.map((h) => [...h.data.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((c) => c[1].replace(/\\(.)/g, "$1")));
      case "MX":
        return hits.map((h) => {
          const [prio, host] = h.data.split(/\s+/);
          return { priority: Number(prio), exchange: host.replace(/\.$/, "") };
        });
      default:
        return hits.map((h) => h.data);
    }
  };
}
