// `npm run render -- --stack <name> --out <dir>`: every file the stack's server would get, for
// review, with secrets replaced by SECRET_PLACEHOLDER: <dir>/files/<service>/<path>, plus
// <dir>/dns.zone with placeholder addresses and DKIM keys. Uses the production topology; reads only
// the stack file, writes only under <dir>.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { dnsRecords } from "../components/core/dns/dnsRecords";
import { renderServiceFiles } from "../components/core/render/render";
import { rspamdPasswordHash } from "../components/core/render/rspamdPassword";
import { SECRET_PLACEHOLDER, type ServiceSecrets } from "../components/core/render/secrets";
import { loadStackConfig } from "../components/core/config/stackFile";
import { productionTopology } from "../components/core/topology";
import { zoneFile } from "../components/core/dns/zoneFile";

function args(argv: string[]): { stack: string; out: string } {
  let stack = "";
  let out = "";
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--stack") stack = argv[++i] ?? "";
    else if (argv[i] === "--out") out = argv[++i] ?? "";
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (stack === "" || out === "") throw new Error("usage: npm run render -- --stack <name> --out <dir>");
  return { stack, out: resolve(out) };
}

function main(): void {
  const { stack, out } = args(process.argv.slice(2));
  const cfg = loadStackConfig(stack);
  // Render with unique stand-ins, then swap each stand-in (and what is derived from it, the
  // Rspamd controller hash) for SECRET_PLACEHOLDER, so no file shows anything secret.
  const stand = (n: number) => randomBytes(n).toString("hex").slice(0, n);
  const secrets: ServiceSecrets = {
    postgresPassword: stand(32),
    mailDbPassword: stand(32),
    roundcubeDbPassword: stand(32),
    roundcubeDesKey: stand(24),
    rspamdControllerPassword: stand(32),
    rspamdControllerSalt: stand(32),
    dkimPrivateKeys: Object.fromEntries(cfg.domains.map((d) => [d.name, stand(40)])),
    ...(cfg.relay ? { relayPassword: stand(32) } : {}),
  };
  const standIns = [
    secrets.postgresPassword,
    secrets.mailDbPassword,
    secrets.roundcubeDbPassword,
    secrets.roundcubeDesKey,
    secrets.rspamdControllerPassword,
    rspamdPasswordHash(secrets.rspamdControllerPassword, secrets.rspamdControllerSalt),
    ...Object.values(secrets.dkimPrivateKeys),
    ...(secrets.relayPassword !== undefined ? [secrets.relayPassword] : []),
  ];
  const files = renderServiceFiles(cfg, secrets, productionTopology);
  for (const f of files) {
    const path = join(out, "files", f.service, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, standIns.reduce((text, s) => text.split(s).join(SECRET_PLACEHOLDER), f.content));
  }
  const records = dnsRecords(cfg, {
    ipv4: "<server IPv4: set by pulumi up>",
    ipv6: "<server IPv6: set by pulumi up>",
    dkimTxt: (d) => `"<DKIM key of ${d}: set by pulumi up>"`,
  });
  writeFileSync(join(out, "dns.zone"), zoneFile(records, `DNS records for ${cfg.hostname} (stack ${stack})`));
  console.log(`rendered ${files.length} files and dns.zone for stack ${stack} into ${out}`);
}

main();
