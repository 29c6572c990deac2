// Command-line options of `npm run bench`: --messages N (per throughput round, default 2000),
// --rounds R (rounds per noisy figure, default 3), --connections K (concurrent SMTP sessions,
// default 8), --from loopback|outside (where inbound mail comes from, default loopback; see
// BENCHMARKS.md), --cold (also time building every image from nothing; several minutes).
export type InboundSource = "loopback" | "outside";

export interface BenchOptions {
  messages: number;
  rounds: number;
  connections: number;
  from: InboundSource;
  cold: boolean;
}

export const USAGE = "usage: npm run bench -- [--messages N] [--rounds R] [--connections K] [--from loopback|outside] [--cold]";

const NUMERIC = ["messages", "rounds", "connections"] as const;
const SOURCES: readonly InboundSource[] = ["loopback", "outside"];

export function parseBenchArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = { messages: 2000, rounds: 3, connections: 8, from: "loopback", cold: false };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].startsWith("--") ? argv[i].slice(2) : "";
    if (key === "cold") {
      o.cold = true;
    } else if (key === "from") {
      const v = argv[++i] as InboundSource;
      if (!SOURCES.includes(v)) throw new Error(`--from needs one of ${SOURCES.join(", ")}; ${USAGE}`);
      o.from = v;
    } else if ((NUMERIC as readonly string[]).includes(key)) {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`--${key} needs a positive whole number; ${USAGE}`);
      o[key as (typeof NUMERIC)[number]] = v;
    } else {
      throw new Error(`unknown argument ${argv[i]}; ${USAGE}`);
    }
  }
  return o;
}
