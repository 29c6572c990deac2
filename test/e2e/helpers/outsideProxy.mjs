// Runs INSIDE the local stack's "outside" network namespace (ip netns exec): one SOCKS5 proxy per
// source address, each listening on the namespace's first address at port BASE+i and opening its
// outbound connections from source i. Test clients on the host (nodemailer, imapflow) use
// socks5://<first source>:<BASE+i> to reach the stack as an internet client at source i: the
// containers see that address, as they see real clients on the VM. Plain ESM JavaScript, so it
// starts with node alone. Usage: node outsideProxy.mjs <basePort> <source> [<source> ...]
import socks5 from "simple-socks";

const [basePort, ...sources] = process.argv.slice(2);
if (sources.length === 0) {
  console.error("usage: node outsideProxy.mjs <basePort> <source> [<source> ...]");
  process.exit(2);
}
let listening = 0;
sources.forEach((source, i) => {
  const server = socks5.createServer({ localAddress: source, connectTimeout: 10000 });
  server.on("proxyError", () => undefined);
  server.listen(Number(basePort) + i, sources[0], () => {
    listening += 1;
    if (listening === sources.length) console.log("ready");
  });
});
