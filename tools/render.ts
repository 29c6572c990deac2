// `npm run render -- --stack <name> --out <dir>`: every file the stack's server would get, for
// review, with secrets replaced by SECRET_PLACEHOLDER: <dir>/files/<service>/<path>, plus
// <dir>/dns.zone with placeholder addresses and DKIM keys. Uses the production topology; reads only
// the stack file, writes only under <dir>. A marker file in <dir> lists what render wrote, so a
// second run removes files the stack no longer has and nothing else: render refuses a folder with
// files it did not write.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { loadStackConfig } from "../components/core/config/stackFile";
import { dnsRecords } from "../components/core/dns/dnsRecords";
import { zoneFile } from "../components/core/dns/zoneFile";
import { REPO_ROOT } from "../components/core/paths";
import { renderServiceFiles } from "../components/core/render/render";
import { rspamdPasswordHash } from "../components/core/render/rspamdPassword";
import { SECRET_PLACEHOLDER, type ServiceSecrets } from "../components/core/render/secrets";
import { productionTopology } from "../components/core/topology";
import { EXIT, UsageError, runCli, wantsHelp } from "./cliKit";

export const USAGE = `usage: npm run render -- --stack <name> --out <dir>
  Writes what the stack's server would get, secrets replaced, for review:
    <dir>/files/<service>/<path>   every rendered config file
    <dir>/dns.zone                 the DNS records as a BIND zone file
  <dir> must be new, empty, or a folder render wrote before (files it wrote that the stack no
  longer has are removed; nothing else is touched).
Exit codes: 0 written, 2 bad usage or invalid stack file.`;

/** Lists what render wrote into <dir>; only those files are ever removed. */
export const RENDER_MARKER = ".mailstack-render.json";

interface Marker {
  stack: string;
  files: string[];
}

function parse(argv: string[]): { stack: string; out: string } {
  let values: { stack?: string; out?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { stack: { type: "string" }, out: { type: "string" } }, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.stack === undefined || values.out === undefined) throw new UsageError(`--stack and --out are required\n${USAGE}`);
  return { stack: values.stack, out: resolve(values.out) };
}

/** Files under <dir> (relative, "/"-separated), the marker excluded. */
function filesUnder(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name), base) : [relative(base, join(dir, e.name)).split(sep).join("/")],
  ).filter((f) => f !== RENDER_MARKER);
}

function readMarker(out: string): Marker | undefined {
  const file = join(out, RENDER_MARKER);
  if (!existsSync(file)) return undefined;
  try {
    const m = JSON.parse(readFileSync(file, "utf8")) as Marker;
    if (Array.isArray(m.files) && m.files.every((f) => typeof f === "string")) return m;
  } catch {
    // A damaged marker is treated like none: refuse rather than guess what may be deleted.
  }
  return undefined;
}

/** Renders one stack into `out`; returns what it wrote and what it removed. */
export function renderStack(stack: string, out: string, root = REPO_ROOT, log: (l: string) => void = () => undefined): { written: string[]; removed: string[] } {
  const cfg = loadStackConfig(stack, root, (n) => log(`note: ${n}`));
  const marker = readMarker(out);
  const present = filesUnder(out);
  if (marker === undefined && present.length > 0) {
    throw new UsageError(`--out ${out} already holds files that render did not write (${present.slice(0, 3).join(", ")}${present.length > 3 ? ", ..." : ""}); choose a new or empty folder`);
  }
  // Render with unique stand-ins, then swap each stand-in (and what is derived from it, the
  // Rspamd controller hash) for SECRET_PLACEHOLDER, so no file shows anything secret.
  const stand = (n: number) => randomBytes(n).toString("hex").slice(0, n);
  const secrets: ServiceSecrets = {
    postgresPassword: stand(32),
    mailDbPassword: stand(32),
    roundcubeDbPassword: stand(32),
    mailPasswordDbPassword: stand(32),
    roundcubeDesKey: stand(24),
    rspamdControllerPassword: stand(32),
    rspamdControllerSalt: stand(32),
    valkeyPassword: stand(32),
    dkimPrivateKeys: Object.fromEntries(cfg.domains.map((d) => [d.name, stand(40)])),
    ...(cfg.relay ? { relayPassword: stand(32) } : {}),
    backupDbPassword: stand(32),
    ...(cfg.backup ? { backup: { password: stand(32), accessKeyId: stand(20), secretAccessKey: stand(40), sshKey: stand(64), restPassword: stand(32) } } : {}),
  };
  const standIns = [
    secrets.postgresPassword,
    secrets.mailDbPassword,
    secrets.roundcubeDbPassword,
    secrets.mailPasswordDbPassword,
    secrets.roundcubeDesKey,
    secrets.rspamdControllerPassword,
    rspamdPasswordHash(secrets.rspamdControllerPassword, secrets.rspamdControllerSalt),
    secrets.valkeyPassword,
    ...Object.values(secrets.dkimPrivateKeys),
    ...(secrets.relayPassword !== undefined ? [secrets.relayPassword] : []),
    secrets.backupDbPassword,
    ...Object.values(secrets.backup ?? {}),
  ];
  const outputs = new Map<string, string>();
  for (const f of renderServiceFiles(cfg, secrets, productionTopology)) {
    outputs.set(`files/${f.service}/${f.path}`, standIns.reduce((text, s) => text.split(s).join(SECRET_PLACEHOLDER), f.content));
  }
  const records = dnsRecords(cfg, {
    ipv4: "<server IPv4: set by pulumi up>",
    ipv6: "<server IPv6: set by pulumi up>",
    dkimTxt: (d, selector) => `"<DKIM key of ${d}, selector ${selector}: set by pulumi up>"`,
  });
  outputs.set("dns.zone", zoneFile(records, `DNS records for ${cfg.hostname} (stack ${stack})`));

  const removed = (marker?.files ?? []).filter((f) => !outputs.has(f) && !f.split("/").includes("..") && existsSync(join(out, f)));
  for (const f of removed) {
    rmSync(join(out, f));
    // Folders left empty by the removal go too, never above <dir>.
    for (let d = dirname(join(out, f)); d.startsWith(out + sep) && readdirSync(d).length === 0; d = dirname(d)) rmdirSync(d);
  }
  mkdirSync(out, { recursive: true });
  for (const [path, text] of outputs) {
    mkdirSync(dirname(join(out, path)), { recursive: true });
    writeFileSync(join(out, path), text);
  }
  writeFileSync(join(out, RENDER_MARKER), `${JSON.stringify({ stack, files: [...outputs.keys()].sort() } satisfies Marker, null, 2)}\n`);
  return { written: [...outputs.keys()], removed };
}

function main(argv: string[]): number {
  if (wantsHelp(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const { stack, out } = parse(argv);
  const { written, removed } = renderStack(stack, out, REPO_ROOT, (l) => process.stderr.write(`${l}\n`));
  process.stdout.write(
    `rendered ${written.length - 1} files and dns.zone for stack ${stack} into ${out}` +
      (removed.length > 0 ? `; removed ${removed.length} file(s) the stack no longer has: ${removed.join(", ")}` : "") +
      "\n",
  );
  return EXIT.ok;
}

if (require.main === module) runCli("render", () => main(process.argv.slice(2)));
