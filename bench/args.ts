// Command-line options of `npm run bench`: --messages N (per throughput round, default 2000),
// --rounds R (rounds per noisy figure, default 3), --connections K (concurrent SMTP sessions,
// default 8).
export interface BenchOptions {
  messages: number;
  rounds: number;
  connections: number;
}

export const USAGE = "usage: npm run bench -- [--messages N] [--rounds R] [--connections K]";

export function parseBenchArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = { messages: 2000, rounds: 3, connections: 8 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, "");
    if (!(key in o) || !argv[i].startsWith("--")) throw new Error(`unknown argument ${argv[i]}; ${USAGE}`);
    const v = Number(argv[++i]);
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${key} needs a positive whole number; ${USAGE}`);
    o[key as keyof BenchOptions] = v;
  }
  return o;
}
