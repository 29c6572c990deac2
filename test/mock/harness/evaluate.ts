// Evaluates the Pulumi program (index.ts) once under the mock engine and prints every registered
// resource as JSON: type, name, parent, inputs (secrets unwrapped), which inputs were secret,
// and the options the engine would see (protect, retainOnDelete, ignoreChanges,
// deleteBeforeReplace, additionalSecretOutputs, dependencies). One evaluation per process:
// the Pulumi runtime cannot be reset. Used by the mock tests and, with `timing`, by the benchmark.
//
// Usage: node --import tsx test/mock/harness/evaluate.ts <request.json>   (or "-": request on stdin)
//
// Request (JSON, type EvaluateRequest in ./types.ts):
//   {
//     "config": { "hostname": "mail.example.com", "mailboxes": [ ... ], ... },
//                        stack config without the "mailstack:" prefix, as in Pulumi.<stack>.yaml
//     "relayPassword": "...",   optional: set as the secret mailstack:relayPassword
//     "leakProbe": true,        optional: add deliberately unmarked secrets, in plain text and base64 in a push script (the leak check must fail)
//     "timing": true            optional: add "timing" to the answer
//     "dryRun": true            optional: run as a preview (outputs of new or replaced resources unknown)
//     "prior": {...}            optional: the state of an earlier run (types.ts priorState); every
//                               resource is planned against it with its provider's model
//     "forceReplace": [...]     optional: resource keys to replace (`pulumi up --replace`)
//   }
// Answer (stdout, type Evaluation): { ok, error?, resources: [...], outputs: {...}, timing? } with
//   timing = { evaluationSeconds, resourceCount, mailboxes, sourceMaps }:
//   evaluationSeconds: wall time from importing the program until every resource is registered
//     and every stack output resolved (provider SDK modules loaded by the program included; the
//     harness's own start-up, Node and tsx start-up and the JSON answer excluded);
//   resourceCount: resources registered (components included);
//   sourceMaps: whether stack traces were source-mapped during the evaluation (see below).
// Exit code 0 with ok:true, 1 with ok:false (the program failed: error says why), 2 on a crash.
//
// Stack traces: the Pulumi SDK formats a stack trace for every input property of every resource
// (promise-leak diagnostics) and tsx turns on source-mapped stack traces, which makes each of those
// several times dearer: at 2000 mailboxes, 40% of the evaluation. Nothing here reads those traces,
// so source maps are off while the program runs and back on when a crash is reported.
// MAILSTACK_EVAL_SOURCE_MAPS=1 keeps them on (timing.sourceMaps says which was measured).
//
// Like the real engine, the mocks mark the outputs a resource lists in additionalSecretOutputs
// as secret (the mock monitor alone does not), and every mocked secret value contains
// MOCK_SECRET_MARKER, so a test can find a secret that reached an input unmarked.
//
// Outputs are what each resource's provider would store (readBack/: trimmed keys, sorted ports,
// Go durations, Cloudflare's forms), not an echo of the inputs. With `prior`, each resource gets
// the plan its provider would make (same, update, replace) and, like the engine, an unchanged one
// keeps its old id and outputs while a replaced one gets a new id (unknown in a preview).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { placeholderPem } from "../../../tools/dev/placeholderPem";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { pushScript } from "../../../components/core/remote/pushScript";
import { modelFor, planChange, UNKNOWN, type PlannedChange, type Props } from "./readBack";
import { MOCK_SECRET_MARKER, type EvaluateRequest, type Evaluation, type PriorResource, type RegisteredResource } from "./types";

const PROJECT = "mailstack";
const STACK = "prod";

// Internal runtime modules: the public API offers no hook for resource options or for the
// engine's secret-output marking, both of which these tests must see.
/* eslint-disable @typescript-eslint/no-require-imports */
const mocksModule = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: { prototype: Record<string, unknown> } };
const rpc = require("@pulumi/pulumi/runtime/rpc") as {
  specialSigKey: string;
  specialSecretSig: string;
  deserializeProperties(s: unknown): Record<string, unknown>;
};
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
const outputModule = require("@pulumi/pulumi/output") as { isUnknown(v: unknown): boolean };

function readRequest(): EvaluateRequest {
  const file = process.argv[2];
  const text = file !== undefined && file !== "-" ? readFileSync(file, "utf8") : readFileSync(0, "utf8");
  return JSON.parse(text) as EvaluateRequest;
}

/** PEM armour around a fake body (built, not written out, so no key-shaped literal sits in the repo). */
const fakePem = (label: string, body: string) => `${placeholderPem(label, body)}\n`;
const hash = (s: string, n = 12) => createHash("sha256").update(s).digest("hex").slice(0, n);
const numericId = (s: string) => String(parseInt(hash(s, 8), 16) % 90_000_000 + 10_000_000);
const secretOf = (value: unknown) => ({ [rpc.specialSigKey]: rpc.specialSecretSig, value });
const isSecretWrapper = (v: unknown): v is { value: unknown } =>
  typeof v === "object" && v !== null && (v as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig;

/** Mocked provider outputs: deterministic per resource name, secrets carrying the marker. */
function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const h = hash(`${type}::${name}`, 24);
  switch (type) {
    case "hcloud:index/primaryIp:PrimaryIp":
      return inputs.type === "ipv6"
        ? { ipAddress: "2001:db8:4:5::", ipNetwork: "2001:db8:4:5::/64" }
        : { ipAddress: "203.0.113.10", ipNetwork: "" };
    case "hcloud:index/server:Server":
      return { ipv4Address: "203.0.113.10", ipv6Address: "2001:db8:4:5::1", ipv6Network: "2001:db8:4:5::/64", status: "running" };
    case "hcloud:index/volume:Volume":
      return { linuxDevice: `/dev/disk/by-id/scsi-0HC_Volume_${numericId(name)}` };
    case "tls:index/privateKey:PrivateKey": {
      const pub = Buffer.from(`public-${h}`).toString("base64");
      return {
        privateKeyPem: fakePem("PRIVATE KEY", `${MOCK_SECRET_MARKER}${h}`),
        privateKeyOpenssh: fakePem("OPENSSH PRIVATE KEY", `${MOCK_SECRET_MARKER}${h}`),
        privateKeyPemPkcs8: fakePem("PRIVATE KEY", `${MOCK_SECRET_MARKER}${h}`),
        publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${pub}\n-----END PUBLIC KEY-----\n`,
        publicKeyOpenssh: `${inputs.algorithm === "RSA" ? "ssh-rsa" : "ssh-ed25519"} AAAA${pub}\n`,
      };
    }
    case "random:index/randomPassword:RandomPassword":
      // bcryptHash has the real shape ($2a$10$ + 53 characters): the sync SQL checks it.
      return {
        // As long as asked for: renderers check lengths (Roundcube's des_key is exactly 24).
        result: `${MOCK_SECRET_MARKER}${h}${h}${h}`.slice(0, Math.max(Number(inputs.length), MOCK_SECRET_MARKER.length)),
        bcryptHash: `$2a$10$${`${MOCK_SECRET_MARKER}${h}`.padEnd(53, "x")}`,
      };
    case "docker:index/remoteImage:RemoteImage":
      return { imageId: `sha256:${hash(name, 64)}`, repoDigest: `${String(inputs.name)}@sha256:${hash(name, 64)}` };
    case "docker:index/network:Network":
      return { name: inputs.name };
    case "command:remote:Command":
      return { stdout: "", stderr: "" };
    case "cloudflare:index/zoneDnssec:ZoneDnssec": {
      // The API's shape (algorithm 13, ECDSA P-256, SHA-256 digest), with a digest per zone.
      const digest = hash(`ds::${String(inputs.zoneId)}`, 64).toUpperCase();
      return {
        algorithm: "13",
        digest,
        digestAlgorithm: "SHA256",
        digestType: "2",
        ds: `${name.split("#")[0]}. 3600 IN DS 2371 13 2 ${digest}`,
        flags: 257,
        keyTag: 2371,
        keyType: "ECDSAP256SHA256",
        modifiedOn: "2026-01-01T00:00:00Z",
        publicKey: Buffer.from(`dnskey-${h}`).toString("base64"),
      };
    }
    default:
      return {};
  }
}

/** Splits deserialized inputs into plain values and the top-level names that were secret. */
function unwrap(inputs: Record<string, unknown>): { inputs: Record<string, unknown>; secretInputs: string[] } {
  const plain: Record<string, unknown> = {};
  const secret: string[] = [];
  const strip = (v: unknown): unknown => {
    // A preview's not-yet-known value: kept as the engine's sentinel so plans can see it.
    if (outputModule.isUnknown(v)) return UNKNOWN;
    if (isSecretWrapper(v)) return strip(v.value);
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)]));
    return v;
  };
  for (const [k, v] of Object.entries(inputs)) {
    if (isSecretWrapper(v)) secret.push(k);
    plain[k] = strip(v);
  }
  return { inputs: plain, secretInputs: secret.sort() };
}

async function resolveExport(value: unknown): Promise<{ value: unknown; secret: boolean }> {
  const out = pulumi.output(value);
  const secret = await pulumi.isSecret(out);
  // In a preview an output of a resource not created yet is unknown, and apply never runs on it.
  if (!(await (out as unknown as { isKnown: Promise<boolean> }).isKnown)) return { value: UNKNOWN, secret };
  const plain = await new Promise<unknown>((resolve) => pulumi.unsecret(out).apply((v) => resolve(v)));
  return { value: plain, secret };
}

const SOURCE_MAPS = process.env.MAILSTACK_EVAL_SOURCE_MAPS === "1";

async function main(): Promise<void> {
  const request = readRequest();
  const resources: RegisteredResource[] = [];

  // Options travel in the RegisterResourceRequest, which the mocks' newResource never sees.
  let pending: Pick<RegisteredResource, "options" | "parent"> | undefined;
  const proto = mocksModule.MockMonitor.prototype;
  const originalRegister = proto.registerResource as (this: unknown, req: RegisterRequest, cb: unknown) => Promise<void>;
  proto.registerResource = function (this: unknown, req: RegisterRequest, cb: unknown) {
    pending = {
      parent: nameOfUrn(req.getParent()),
      options: {
        protect: req.getProtect() ?? false,
        retainOnDelete: req.getRetainondelete() ?? false,
        deleteBeforeReplace: req.getDeletebeforereplace(),
        ignoreChanges: req.getIgnorechangesList(),
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        importId: req.getImportid(),
        dependencies: [...new Set(req.getDependenciesList().map(nameOfUrn))].sort(),
      },
    };
    // newResource runs synchronously inside this call, before its first await.
    return originalRegister.call(this, req, cb);
  };

  const dryRun = request.dryRun === true;
  const prior = request.prior ?? {};
  const forceReplace = new Set(request.forceReplace ?? []);
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
        const meta = pending ?? { parent: "", options: { protect: false, retainOnDelete: false, deleteBeforeReplace: false, ignoreChanges: [], additionalSecretOutputs: [], importId: "", dependencies: [] } };
        pending = undefined;
        const { inputs, secretInputs } = unwrap(args.inputs as Record<string, unknown>);
        const k = `${args.type}::${args.name}`;
        const step = providerStep(args.type, args.name, args.custom ?? false, inputs, prior[k], {
          dryRun,
          ignoreChanges: meta.options.ignoreChanges,
          forceReplace: forceReplace.has(k),
        });
        resources.push({
          type: args.type,
          name: args.name,
          custom: args.custom ?? false,
          parent: meta.parent,
          inputs,
          secretInputs,
          options: meta.options,
          id: step.id,
          generation: step.generation,
          state: step.state,
          plan: step.plan,
          ...(args.provider ? { provider: args.provider } : {}),
        });
        // Secret inputs stay secret in the outputs, as the engine keeps them; so do the outputs a
        // resource lists in additionalSecretOutputs.
        const state: Record<string, unknown> = { ...step.state };
        for (const key of new Set([...secretInputs, ...meta.options.additionalSecretOutputs])) {
          if (key in state && !isSecretWrapper(state[key])) state[key] = secretOf(state[key]);
        }
        return { id: step.id, state };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        // The volume-size check reads the live volume: the one in the prior state, if any.
        if (args.token === "hcloud:index/getVolumes:getVolumes") {
          const volumes = Object.entries(prior)
            .filter(([k]) => k.startsWith("hcloud:index/volume:Volume::"))
            .map(([, p]) => ({ id: Number(p.id), name: p.state.name, size: p.state.size, labels: p.state.labels, linuxDevice: p.state.linuxDevice, location: p.state.location, deleteProtection: p.state.deleteProtection }));
          return { volumes };
        }
        // The zone listing the DNS component checks for conflicts; the provider filters by zone.
        if (args.token === "cloudflare:index/getDnsRecords:getDnsRecords") {
          const zoneId = (args.inputs as { zoneId?: string }).zoneId;
          return { ...args.inputs, results: (request.existingDnsRecords ?? []).filter((r) => r.zoneId === zoneId) };
        }
        return args.inputs as Record<string, unknown>;
      },
    },
    PROJECT,
    STACK,
    dryRun,
  );

  const config: Record<string, string> = {};
  // A key with its own namespace ("hcloud:token", a misspelt "mailstak:x") is set as written.
  for (const [k, v] of Object.entries(request.config)) config[k.includes(":") ? k : `${PROJECT}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  const secretKeys: string[] = [];
  if (request.relayPassword !== undefined) {
    config[`${PROJECT}:relayPassword`] = request.relayPassword;
    secretKeys.push(`${PROJECT}:relayPassword`);
  }
  for (const [k, v] of Object.entries(request.secrets ?? {})) {
    config[`${PROJECT}:${k}`] = v;
    secretKeys.push(`${PROJECT}:${k}`);
  }
  pulumi.runtime.setAllConfig(config, secretKeys);

  // An error thrown inside an apply (a renderer rejecting its input) surfaces as a rejection.
  const failures: string[] = [];
  process.on("unhandledRejection", (err) => failures.push(err instanceof Error ? err.message : String(err)));
  let printed = false;
  process.on("exit", () => {
    // The program stalled (an apply threw, so its outputs never resolve): report why.
    if (!printed) {
      process.stdout.write(JSON.stringify({ ok: false, error: [...new Set(failures)].join("\n") || "program never finished", resources: [], outputs: {} } satisfies Evaluation));
      process.exitCode = 1;
    }
  });

  process.setSourceMapsEnabled(SOURCE_MAPS);
  const started = process.hrtime.bigint();
  let program: Record<string, unknown>;
  try {
    // A static import would run the program before the mocks and config are in place.
    program = (await import(join(__dirname, "..", "..", "..", "index"))) as Record<string, unknown>;
  } catch (err) {
    printed = true;
    const result: Evaluation = { ok: false, error: err instanceof Error ? err.message : String(err), resources: [], outputs: {} };
    process.stdout.write(JSON.stringify(result));
    process.exitCode = 1;
    return;
  }
  if (request.leakProbe === true) {
    // Deliberately unmarked copy of the mailbox passwords: the leak check must flag it.
    new command.remote.Command("leak-probe", {
      connection: { host: "127.0.0.1" },
      create: pulumi.unsecret(pulumi.output(program.mailboxPasswords as pulumi.Output<Record<string, string>>)).apply((p) => `echo ${JSON.stringify(p)}`),
    });
    // The same secret inside a push script, where it travels base64-encoded and wrapped: the
    // marker never appears literally, and the check must still find it.
    new command.remote.Command("leak-probe-push", {
      connection: { host: "127.0.0.1" },
      create: "sh -s",
      stdin: pulumi.unsecret(pulumi.output(program.mailboxPasswords as pulumi.Output<Record<string, string>>)).apply((p) =>
        pushScript("postfix", [{ service: "postfix", path: "probe.cf", content: `# probe\npasswords = ${JSON.stringify(p)}\n`, mode: 0o640, secret: true }], { uid: 0, gid: 0 }, { dir: "/srv/mail/config/postfix" }),
      ),
    });
  }
  const outputs: Evaluation["outputs"] = {};
  for (const [name, value] of Object.entries(program).sort()) {
    if (name === "default" || name === "__esModule") continue;
    outputs[name] = await resolveExport(value);
  }
  await settings.waitForRPCs();
  // A resource whose input failed (an apply threw) never becomes an RPC; its rejection surfaces a
  // few turns later as an unhandled rejection. Let it arrive before judging the run.
  for (let i = 0; i < 20 && failures.length === 0; i++) await new Promise((r) => setImmediate(r));
  const evaluationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.setSourceMapsEnabled(true);

  printed = true;
  if (failures.length > 0) {
    process.stdout.write(JSON.stringify({ ok: false, error: [...new Set(failures)].join("\n"), resources: [], outputs: {} } satisfies Evaluation));
    process.exitCode = 1;
    return;
  }
  resources.sort((a, b) => (`${a.type}::${a.name}` < `${b.type}::${b.name}` ? -1 : 1));
  const timing = { evaluationSeconds, resourceCount: resources.length, mailboxes: mailboxCount(request), sourceMaps: SOURCE_MAPS };
  const result: Evaluation = { ok: true, resources, outputs, ...(request.timing === true ? { timing } : {}) };
  process.stdout.write(JSON.stringify(result));
}

/**
 * What the engine does with one registered resource: create it (no prior state), or plan it
 * against the prior state with its provider's model and keep, update or replace it. Returns the
 * id and outputs the program sees. Components have no provider and are only recorded.
 */
function providerStep(
  type: string,
  name: string,
  custom: boolean,
  inputs: Props,
  old: PriorResource | undefined,
  opts: { dryRun: boolean; ignoreChanges: string[]; forceReplace: boolean },
): { id: string; generation: number; state: Props; plan: PlannedChange } {
  const k = `${type}::${name}`;
  const none: PlannedChange = { op: old === undefined ? "create" : "same", changes: [], replaces: [], warnings: [], errors: [] };
  if (!custom) return { id: old?.id ?? numericId(k), generation: 0, state: old?.state ?? inputs, plan: none };
  const model = modelFor(type);
  const fresh = mockState(type, name, inputs);
  const unknownComputed = Object.fromEntries(model.computed.map((c) => [c, UNKNOWN]));
  const newId = (generation: number) => (opts.dryRun ? "" : numericId(generation === 0 ? k : `${k}#${generation}`));
  if (old === undefined) {
    const plan: PlannedChange = { ...none, warnings: model.warnings?.(inputs) ?? [] };
    const computed = opts.dryRun ? { ...fresh, ...unknownComputed } : fresh;
    return { id: newId(0), generation: 0, state: model.readBack(inputs, computed), plan };
  }
  const plan = planChange(model, old, inputs, { ignoreChanges: opts.ignoreChanges, forceReplace: opts.forceReplace });
  if (plan.op === "same") return { id: old.id, generation: old.generation, state: old.state, plan };
  // Ignored inputs keep their old values, as the engine substitutes them (also on replacement).
  const effective: Props = { ...inputs };
  for (const key of opts.ignoreChanges) if (key in old.inputs) effective[key] = old.inputs[key];
  if (plan.op === "update") {
    const kept = Object.fromEntries(model.computed.filter((c) => c in old.state).map((c) => [c, old.state[c]]));
    return { id: old.id, generation: old.generation, state: model.readBack(effective, kept), plan };
  }
  const generation = old.generation + 1;
  const computed = opts.dryRun ? { ...fresh, ...unknownComputed } : mockState(type, `${name}#${generation}`, effective);
  return { id: newId(generation), generation, state: model.readBack(effective, computed), plan };
}

/** "urn:pulumi:prod::mailstack::a$b::name" → "name" ("" for none). */
function nameOfUrn(urn: string): string {
  return urn.split("::").pop() ?? "";
}

function mailboxCount(request: EvaluateRequest): number {
  const m = request.config.mailboxes;
  return Array.isArray(m) ? m.length : 0;
}

interface RegisterRequest {
  getImportid(): string;
  getDependenciesList(): string[];
  getParent(): string;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
}

main().catch((err: unknown) => {
  // Stack traces are formatted on first read: with source maps back on, they name .ts lines.
  process.setSourceMapsEnabled(true);
  process.stderr.write(`evaluate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 2;
});
