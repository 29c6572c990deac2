// Reads Debian's package indices (the `Packages` files of trixie, trixie-updates and
// trixie-security) and answers what an image built now would install: the dependency closure of
// the packages its Dockerfile names, with the version the archive serves for each. This is what
// files/images/packages.lock records (tools/images.ts `update`). Pure: index text in, data out;
// downloading the indices is the tool's job.
//
// Resolution follows what apt does for our Dockerfiles (no recommends, no suggests): Depends and
// Pre-Depends, the first alternative of "a | b" that exists, virtual names through Provides.
// Version constraints are not checked (the archive is consistent within a suite). Where a package
// is in several suites, the highest version wins, as with apt's equal pin priorities (a point
// release can put a newer version into trixie than trixie-security still carries).

export interface DebPackage {
  name: string;
  version: string;
  priority?: string;
  /** Alternatives per dependency: [["libc6"], ["debconf", "debconf-2.0"]]. */
  depends: string[][];
  provides: string[];
  /** Which index it came from (e.g. "trixie-security"), for the summary. */
  suite: string;
}

export interface DebIndex {
  packages: Map<string, DebPackage>;
  /** Virtual name -> real packages that provide it, in index order. */
  providers: Map<string, string[]>;
}

function field(stanza: Map<string, string>, name: string): string {
  return stanza.get(name.toLowerCase()) ?? "";
}

/** Splits a Depends-style field into alternatives, without versions and architecture qualifiers. */
export function parseRelations(value: string): string[][] {
  if (value.trim() === "") return [];
  return value.split(",").map((group) =>
    group
      .split("|")
      .map((alt) => alt.trim().replace(/\s*\(.*\)\s*/, "").replace(/\s*\[.*\]\s*/, "").replace(/:any$|:native$/, "").trim())
      .filter((n) => n !== ""),
  );
}

function* stanzas(text: string): Generator<Map<string, string>> {
  let current = new Map<string, string>();
  let last = "";
  for (const line of text.split("\n")) {
    if (line === "") {
      if (current.size > 0) yield current;
      current = new Map();
      last = "";
      continue;
    }
    if (line.startsWith(" ") || line.startsWith("\t")) {
      if (last !== "") current.set(last, `${current.get(last) ?? ""}\n${line}`);
      continue;
    }
    const i = line.indexOf(":");
    if (i < 0) continue;
    last = line.slice(0, i).toLowerCase();
    current.set(last, line.slice(i + 1).trim());
  }
  if (current.size > 0) yield current;
}

/** Debian's version order (Policy 5.6.12): epoch, then upstream and revision, `~` before anything. */
export function compareDebVersions(a: string, b: string): number {
  const split = (v: string) => {
    const colon = v.indexOf(":");
    const epoch = colon >= 0 ? Number(v.slice(0, colon)) : 0;
    const rest = colon >= 0 ? v.slice(colon + 1) : v;
    const dash = rest.lastIndexOf("-");
    return { epoch, upstream: dash >= 0 ? rest.slice(0, dash) : rest, revision: dash >= 0 ? rest.slice(dash + 1) : "0" };
  };
  // Letters sort before non-letters; `~` before everything, even the end of the string.
  const order = (c: string | undefined) => (c === undefined ? 0 : c === "~" ? -1 : /[A-Za-z]/.test(c) ? c.charCodeAt(0) : c.charCodeAt(0) + 256);
  const part = (x: string, y: string): number => {
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
      while ((i < x.length && !/\d/.test(x[i])) || (j < y.length && !/\d/.test(y[j]))) {
        const cx = i < x.length && !/\d/.test(x[i]) ? x[i] : undefined;
        const cy = j < y.length && !/\d/.test(y[j]) ? y[j] : undefined;
        if (order(cx) !== order(cy)) return order(cx) - order(cy);
        if (cx !== undefined) i++;
        if (cy !== undefined) j++;
        if (cx === undefined && cy === undefined) break;
      }
      let nx = "";
      let ny = "";
      while (i < x.length && /\d/.test(x[i])) nx += x[i++];
      while (j < y.length && /\d/.test(y[j])) ny += y[j++];
      const d = Number(nx || "0") - Number(ny || "0");
      if (d !== 0) return d;
    }
    return 0;
  };
  const va = split(a);
  const vb = split(b);
  return va.epoch - vb.epoch || part(va.upstream, vb.upstream) || part(va.revision, vb.revision);
}

/** Merges Packages files; where a package is in several, the highest version wins. */
export function parseIndices(indices: { suite: string; text: string }[]): DebIndex {
  const packages = new Map<string, DebPackage>();
  for (const { suite, text } of indices) {
    for (const s of stanzas(text)) {
      const name = field(s, "Package");
      if (name === "") continue;
      const seen = packages.get(name);
      if (seen !== undefined && compareDebVersions(seen.version, field(s, "Version")) >= 0) continue;
      packages.set(name, {
        name,
        version: field(s, "Version"),
        priority: field(s, "Priority") || undefined,
        depends: [...parseRelations(field(s, "Pre-Depends")), ...parseRelations(field(s, "Depends"))],
        provides: parseRelations(field(s, "Provides")).map((alts) => alts[0]),
        suite,
      });
    }
  }
  const providers = new Map<string, string[]>();
  for (const p of packages.values()) for (const v of p.provides) providers.set(v, [...(providers.get(v) ?? []), p.name]);
  return { packages, providers };
}

/** The real package apt would pick for a name: itself, or the first that Provides it. */
function resolveName(index: DebIndex, name: string): string | undefined {
  if (index.packages.has(name)) return name;
  return index.providers.get(name)?.[0];
}

/** Every package installing `roots` brings in, with its version. Unknown roots throw. */
export function closure(index: DebIndex, roots: readonly string[]): Map<string, DebPackage> {
  const out = new Map<string, DebPackage>();
  const todo: string[] = [];
  for (const r of roots) {
    const real = resolveName(index, r);
    if (real === undefined) throw new Error(`package ${r} is not in the archive's indices`);
    todo.push(real);
  }
  while (todo.length > 0) {
    const name = todo.pop() as string;
    if (out.has(name)) continue;
    const pkg = index.packages.get(name);
    if (pkg === undefined) continue;
    out.set(name, pkg);
    for (const alts of pkg.depends) {
      // Already satisfied by something installed: apt adds nothing.
      if (alts.some((a) => out.has(a) || (index.providers.get(a) ?? []).some((p) => out.has(p)))) continue;
      const pick = alts.map((a) => resolveName(index, a)).find((r) => r !== undefined);
      if (pick !== undefined) todo.push(pick);
    }
  }
  return out;
}

/** What `debootstrap --variant=minbase` installs: every Priority: required package, and apt. */
export function minbaseRoots(index: DebIndex): string[] {
  return [...index.packages.values()].filter((p) => p.priority === "required").map((p) => p.name).concat("apt").sort();
}

/** The package names a Dockerfile installs with `apt-get install` (options and variables skipped). */
export function dockerfilePackages(dockerfile: string): string[] {
  const joined = dockerfile.replace(/\\\n/g, " ");
  const names = new Set<string>();
  for (const m of joined.matchAll(/apt-get\s+install\s+([^;&|]*)/g)) {
    for (const tok of m[1].split(/\s+/)) {
      if (tok === "" || tok.startsWith("-") || tok.includes("$") || tok.includes("=")) continue;
      if (/^[a-z0-9][a-z0-9+.-]+$/.test(tok)) names.add(tok);
    }
  }
  return [...names].sort();
}
