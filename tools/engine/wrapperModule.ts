// The go.mod of a wrapper module that builds a Go program published inside another module whose
// own go.mod has `replace` directives (which `go install pkg@version` refuses). Owns only the
// text of that go.mod, from upstream's go.mod as `go mod edit -json` prints it; never reads or
// writes files itself, never runs `go` (scripts/build-pulumi.sh does both).
//
// As a command: `tsx tools/engine/wrapperModule.ts <wrapper module path> <module> <version>`
// reads upstream's go.mod as JSON on stdin and prints the wrapper's go.mod on stdout.

/** The part of `go mod edit -json` output used here. */
export interface GoModJson {
  Module: { Path: string };
  Go?: string;
  Replace?: { Old: { Path: string; Version?: string }; New: { Path: string; Version?: string } }[] | null;
}

export interface WrapperTarget {
  /** Module path of the wrapper itself (never published). */
  wrapper: string;
  /** The upstream module that contains the program, and its exact version. */
  module: string;
  version: string;
}

const isLocalPath = (p: string) => p.startsWith("./") || p.startsWith("../") || p.startsWith("/");

/**
 * Requires the upstream module at its version and repeats every replace directive of upstream,
 * so the build selects what upstream's own build selects. A replace by a local path (pulumi's
 * `sdk/v3 => ../sdk`) points into upstream's repository, which a module zip does not contain:
 * it becomes the replaced module itself at the same release, which is what that folder holds at
 * the release tag (the monorepo tags every module at each release). Anything else is copied.
 */
export function wrapperGoMod(upstream: GoModJson, target: WrapperTarget): string {
  if (upstream.Module.Path !== target.module) {
    throw new Error(`upstream go.mod is for ${upstream.Module.Path}, not ${target.module}`);
  }
  const lines = [`module ${target.wrapper}`, ""];
  if (upstream.Go) lines.push(`go ${upstream.Go}`, "");
  lines.push(`require ${target.module} ${target.version}`, "");
  for (const r of upstream.Replace ?? []) {
    const from = r.Old.Version ? `${r.Old.Path} ${r.Old.Version}` : r.Old.Path;
    const to = isLocalPath(r.New.Path) ? `${r.Old.Path} ${target.version}` : `${r.New.Path} ${r.New.Version ?? ""}`.trim();
    lines.push(`replace ${from} => ${to}`);
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

function main(argv: string[]): void {
  const [wrapper, module, version] = argv;
  if (!wrapper || !module || !version) throw new Error("usage: wrapperModule.ts <wrapper module path> <module> <version> < upstream-go.mod.json");
  let input = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (d: string) => (input += d));
  process.stdin.on("end", () => {
    process.stdout.write(wrapperGoMod(JSON.parse(input) as GoModJson, { wrapper, module, version }));
  });
}

if (require.main === module) main(process.argv.slice(2));
