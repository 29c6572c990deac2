// Entry point of the offline DNS stand-in when it must answer inside a container's network
// namespace (bench/containerDns.ts starts it there with nsenter): serves NXDOMAIN on the address
// and port given as arguments, prints "ready" once bound, and when its stdin closes prints what it
// was asked (one JSON line: query count and names) and exits. Owns nothing else; bench/dnsStub.ts
// builds the answers.
import { startDnsStub } from "./dnsStub";

async function main(): Promise<void> {
  const [host = "127.0.0.1", port = "53"] = process.argv.slice(2);
  const stub = await startDnsStub(host, Number(port));
  console.log("ready");
  process.stdin.resume();
  process.stdin.on("end", () => {
    console.log(JSON.stringify({ queries: stub.queries(), names: [...stub.names] }));
    void stub.close().then(() => process.exit(0));
  });
}

main().catch((e: unknown) => {
  console.error(`dns stand-in: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
