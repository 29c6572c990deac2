// files/images/packages.lock: the Debian package versions each image resolved to the last time
// `npm run images -- update` read the archive (trixie, trixie-updates, trixie-security). It pins
// nothing (the Dockerfiles install whatever the archive serves when they build); it records what
// the archive served, and each image's section is part of that image's tag. So a security update
// reaches the containers as a reviewable change: the scheduled workflow rewrites the lock file,
// the pull request shows which packages moved, and its preview shows which images (and so which
// containers) change. Pure: text in, data out.
//
// Format: a comment header, then one section per image:
//   [postfix]
//   postfix 3.10.13-0+deb13u1
//   postfix-pgsql 3.10.13-0+deb13u1

export interface PackageLock {
  /** Header comment lines, without the leading "# ". */
  header: string[];
  /** image -> the section's text (package lines, sorted), the input to that image's tag. */
  sections: Record<string, string>;
  /** image -> package -> version. */
  packages: Record<string, Record<string, string>>;
}

const SECTION = /^\[([a-z0-9-]+)\]$/;
const PACKAGE_LINE = /^([a-z0-9][a-z0-9+.-]*) (\S+)$/;

export function parsePackageLock(text: string): PackageLock {
  const lock: PackageLock = { header: [], sections: {}, packages: {} };
  let current: string | undefined;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    if (line.startsWith("#")) {
      if (current === undefined) lock.header.push(line.replace(/^#\s?/, ""));
      return;
    }
    const s = SECTION.exec(line);
    if (s !== null) {
      current = s[1];
      if (lock.packages[current] !== undefined) throw new Error(`packages.lock line ${i + 1}: section [${current}] appears twice`);
      lock.packages[current] = {};
      return;
    }
    const p = PACKAGE_LINE.exec(line);
    if (p === null || current === undefined) throw new Error(`packages.lock line ${i + 1}: expected "[image]" or "<package> <version>", found "${line}"`);
    lock.packages[current][p[1]] = p[2];
  });
  for (const [image, pkgs] of Object.entries(lock.packages)) lock.sections[image] = renderSection(pkgs);
  return lock;
}

function renderSection(pkgs: Record<string, string>): string {
  return Object.keys(pkgs)
    .sort()
    .map((p) => `${p} ${pkgs[p]}`)
    .join("\n");
}

export function renderPackageLock(header: string[], packages: Record<string, Record<string, string>>): string {
  const out = header.map((h) => (h === "" ? "#" : `# ${h}`));
  for (const image of Object.keys(packages).sort()) {
    out.push("", `[${image}]`, renderSection(packages[image]));
  }
  return out.join("\n") + "\n";
}

export interface LockChange {
  image: string;
  package: string;
  from?: string;
  to?: string;
}

/** What moved between two locks, per image and package (added, removed or a new version). */
export function diffPackageLocks(before: PackageLock, after: PackageLock): LockChange[] {
  const changes: LockChange[] = [];
  const images = new Set([...Object.keys(before.packages), ...Object.keys(after.packages)]);
  for (const image of [...images].sort()) {
    const a = before.packages[image] ?? {};
    const b = after.packages[image] ?? {};
    for (const pkg of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (a[pkg] !== b[pkg]) changes.push({ image, package: pkg, from: a[pkg], to: b[pkg] });
    }
  }
  return changes;
}
