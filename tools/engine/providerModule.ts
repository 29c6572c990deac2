// The provider plugins this project builds itself from the Go module proxy, since Pulumi's own
// provider modules are not served there: which Terraform provider each bridges, at which exact
// version, and the go.mod of the wrapper module scripts/build-providers.sh generates under
// .cache/providers/build/<name>/ to build it (with our mapping, tools/engine/providers/<name>/main.go).
// Owns only that data and that text; never runs `go` and never writes a file.
//
// Why the go.mod looks as it does (each line was needed; the build script's errors say so):
//  - The wrapper's module path lies under the path the Terraform provider's own go.mod declares,
//    because the provider's code is in its `internal/` packages, which Go lets only packages below
//    that path import (for modules, by import path). pulumi-docker and pulumi-random do the same
//    with their `shim` modules.
//  - Two providers declare a path other than the one the proxy serves them under
//    (github.com/terraform-providers/... vs kreuzwerker/... and hashicorp/...): required by the
//    declared path and replaced by the served module, as with any fork.
//  - The bridge's own replace of terraform-plugin-sdk/v2 by Pulumi's fork is repeated (a replace
//    in a dependency's go.mod has no effect); its replaces by local paths point at test shims in
//    its repository and are left out.
//  - Pulumi's SDK fork (2025-09, upstream v2.38.1) does not implement
//    tfprotov5.ProviderServer.GenerateResourceConfig, which terraform-plugin-go v0.30 added; the
//    providers' current commits ask for v0.31. terraform-plugin-go is pinned to v0.29.0 (the
//    fork's own) and terraform-plugin-framework to v1.17.0, the newest release built on v0.29.
//    The providers compile against these older releases: nothing they use is newer.
//  - The bridge's pulumi/pkg and sdk stay at the bridge's own requirement (v3.218.0): pkg v3.248.0
//    (our CLI's) changed schema.PackageSpec.Provider to a pointer, which bridge v3.120.0 does not
//    compile against.
import type { GoModJson } from "./wrapperModule";

export type ProviderName = "docker" | "random" | "tls";

export interface BridgedProvider {
  name: ProviderName;
  /** The npm SDK package whose version and tokens the plugin serves. */
  sdk: string;
  /** Module path the Terraform provider's own go.mod declares. */
  declared: string;
  /** Module path the proxy serves it under (the same when it declares its own path). */
  served: string;
  /** Exact version (pseudo-version: the proxy serves one commit of each). */
  version: string;
  /** Build tags: docker's `no_compose` leaves out docker_compose and docker/compose/v2. */
  tags: string[];
}

export const BRIDGE = { module: "github.com/pulumi/pulumi-terraform-bridge/v3", version: "v3.120.0" } as const;

/** Replaces that hold terraform-plugin-go and -framework at releases Pulumi's SDK fork compiles with. */
export const PLUGIN_PINS: readonly { module: string; version: string }[] = [
  { module: "github.com/hashicorp/terraform-plugin-go", version: "v0.29.0" },
  { module: "github.com/hashicorp/terraform-plugin-framework", version: "v1.17.0" },
];

export const PROVIDERS: Record<ProviderName, BridgedProvider> = {
  docker: {
    name: "docker",
    sdk: "@pulumi/docker",
    declared: "github.com/terraform-providers/terraform-provider-docker",
    served: "github.com/kreuzwerker/terraform-provider-docker",
    // After v4.6.0 (its CHANGELOG's newest entry); @pulumi/docker 5.2.0 bridged v4.5.0.
    version: "v0.0.0-20260916201441-96d331c98ff4",
    tags: ["no_compose"],
  },
  random: {
    name: "random",
    sdk: "@pulumi/random",
    declared: "github.com/terraform-providers/terraform-provider-random",
    served: "github.com/hashicorp/terraform-provider-random",
    version: "v1.3.2-0.20260824155315-e1092b0cfc07",
    tags: [],
  },
  tls: {
    name: "tls",
    sdk: "@pulumi/tls",
    declared: "github.com/hashicorp/terraform-provider-tls",
    served: "github.com/hashicorp/terraform-provider-tls",
    version: "v1.2.1-0.20260819085117-d044ca7c6f52",
    tags: [],
  },
};

/** The commit a pseudo-version names (its last 12 hex digits), for the plugin's build metadata. */
export function commitOf(version: string): string {
  const m = /-([0-9a-f]{12})$/.exec(version);
  if (m === null) throw new Error(`${version} is not a pseudo-version`);
  return m[1];
}

/**
 * The version the plugin reports: the SDK's (which the engine asks for) with build metadata that
 * names the Terraform provider commit, so nobody mistakes it for Pulumi's release of that number.
 * Semver ignores build metadata when comparing versions.
 */
export function pluginVersion(p: BridgedProvider, sdkVersion: string): string {
  if (!/^\d+\.\d+\.\d+$/.test(sdkVersion)) throw new Error(`${p.sdk} version "${sdkVersion}" is not a release version`);
  return `${sdkVersion}+mailstack.tf-${p.name}.${commitOf(p.version)}`;
}

/** Module path of the wrapper: below the declared path, so it may import internal/provider. */
export function wrapperPath(p: BridgedProvider): string {
  return `${p.declared}/mailstack`;
}

const isLocalPath = (path: string) => path.startsWith("./") || path.startsWith("../") || path.startsWith("/");

/** The wrapper's go.mod, given the bridge's go.mod (`go mod edit -json` of the proxy's copy). */
export function providerGoMod(p: BridgedProvider, bridge: GoModJson, goVersion: string): string {
  if (bridge.Module.Path !== BRIDGE.module) throw new Error(`bridge go.mod is for ${bridge.Module.Path}, not ${BRIDGE.module}`);
  const lines = [
    `module ${wrapperPath(p)}`,
    "",
    `go ${goVersion}`,
    "",
    "require (",
    `\t${BRIDGE.module} ${BRIDGE.version}`,
    `\t${p.declared} ${p.version}`,
    ")",
    "",
  ];
  if (p.served !== p.declared) lines.push(`replace ${p.declared} => ${p.served} ${p.version}`);
  for (const r of bridge.Replace ?? []) {
    if (isLocalPath(r.New.Path)) continue;
    const from = r.Old.Version ? `${r.Old.Path} ${r.Old.Version}` : r.Old.Path;
    lines.push(`replace ${from} => ${r.New.Path} ${r.New.Version ?? ""}`.trimEnd());
  }
  for (const pin of PLUGIN_PINS) lines.push(`replace ${pin.module} => ${pin.module} ${pin.version}`);
  return `${lines.join("\n").trimEnd()}\n`;
}

function main(argv: string[]): void {
  const [command, name, arg] = argv;
  if (command === "bridge") {
    process.stdout.write(`${BRIDGE.module}@${BRIDGE.version}\n`);
    return;
  }
  const p = PROVIDERS[name as ProviderName];
  if (p === undefined) throw new Error(`unknown provider "${name}" (one of ${Object.keys(PROVIDERS).join(", ")})`);
  if (command === "field") {
    // `field <name> <key>`: one value for the build script (tags joined by commas).
    const v = (p as unknown as Record<string, unknown>)[arg ?? ""];
    if (v === undefined) throw new Error(`no field "${arg}"`);
    process.stdout.write(`${Array.isArray(v) ? v.join(",") : String(v)}\n`);
    return;
  }
  if (command === "version") {
    process.stdout.write(`${pluginVersion(p, arg ?? "")}\n`);
    return;
  }
  if (command !== "gomod") throw new Error("usage: providerModule.ts bridge | gomod <name> <go version> < bridge-go.mod.json | field <name> <key> | version <name> <sdk version>");
  let input = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (d: string) => (input += d));
  process.stdin.on("end", () => process.stdout.write(providerGoMod(p, JSON.parse(input) as GoModJson, arg ?? "")));
}

if (require.main === module) main(process.argv.slice(2));
