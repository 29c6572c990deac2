// The benchmark's test message: about 2 KB of plain text, different words in every message (so
// no cache or the Sieve duplicate check sees repeats) and a unique Message-ID.
const WORDS = (
  "invoice meeting schedule project report quarterly budget review delivery customer support " +
  "update agenda minutes draft proposal contract shipment order payment reminder thanks regards " +
  "team office monday tuesday wednesday thursday friday morning afternoon evening question answer"
).split(" ");

export const MESSAGE_BYTES = 2048;

/** Body text of about `bytes` bytes, deterministic for a given seed. */
export function bodyText(seed: number, bytes = MESSAGE_BYTES): string {
  let x = (seed * 2654435761) >>> 0 || 1;
  const lines: string[] = [];
  let line = "";
  let size = 0;
  while (size < bytes) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const w = WORDS[x % WORDS.length];
    if (line.length + w.length + 1 > 72) {
      lines.push(line);
      size += line.length + 2;
      line = "";
    }
    line = line === "" ? w : `${line} ${w}`;
  }
  if (line !== "") lines.push(line);
  return `${lines.join("\r\n")}\r\n`;
}

export const messageId = (run: string, i: number) => `<bench.${run}.${i}@client.bench>`;
