// The shell script that installs one service's rendered files on the VM, fed to `sh -s` on stdin
// so file contents (secrets included) never appear on a command line or in a log. The files are
// first written to a staging folder with their modes and owners, and the daemon's own checker
// runs on them in the service's image (`<image> check`); only a configuration the daemon accepts
// is installed, each file renamed over the old one so a daemon never reads half a file, and files
// the renderer no longer produces are removed. A rejected configuration leaves the running one
// untouched and fails the deploy with the checker's message. Pure: files in, script text and
// content hash out.
import { createHash } from "node:crypto";
import type { RenderedFile } from "../render/render";
import type { ServiceName } from "../topology";
import { base64Heredoc } from "./heredoc";

const SAFE_PATH = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._+@\/-]+$/;

/** Changes exactly when a file of this service changes (path, mode or content). */
export function serviceContentHash(files: readonly RenderedFile[]): string {
  const h = createHash("sha256");
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    h.update(`${f.path}\0${f.mode.toString(8)}\0${f.content.length}\0${f.content}\0`);
  }
  return h.digest("hex");
}

export interface PushOptions {
  /** The host folder mounted as the service's config dir (hostLayout.hostConfigDir). */
  dir: string;
  /** The service image whose `check` validates the staged files, and where it expects them. */
  check?: { imageTag: string; configDir: string };
}

export function pushScript(service: ServiceName, files: readonly RenderedFile[], owner: { uid: number; gid: number }, opts: PushOptions): string {
  const own = `${owner.uid}:${owner.gid}`;
  // Folders 0755: each file's own mode keeps its secret (0600/0640 with the daemon's group), and
  // processes outside that group must still reach public files (Dovecot's Sieve scripts are read
  // as the mail user, which is not in the dovecot group).
  const lines = [
    "set -eu",
    "umask 077",
    `dir='${opts.dir}'`,
    'stage="$dir.staging"',
    'rm -rf "$stage"',
    'mkdir -p "$stage"',
    `chown ${own} "$stage"`,
    'chmod 0755 "$stage"',
  ];
  const keep: string[] = [];
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    if (f.service !== service) throw new Error(`${f.service}/${f.path} pushed with the files of ${service}`);
    if (!SAFE_PATH.test(f.path)) throw new Error(`rendered file path "${f.path}" of ${service} must be relative, without ".." or unusual characters`);
    const parent = f.path.includes("/") ? f.path.slice(0, f.path.lastIndexOf("/")) : "";
    if (parent !== "") lines.push(`install -d -m 0755 -o ${owner.uid} -g ${owner.gid} "$stage/${parent}"`);
    lines.push(
      ...base64Heredoc(`"$stage/${f.path}"`, f.content),
      `chown ${own} "$stage/${f.path}"`,
      `chmod ${f.mode.toString(8).padStart(4, "0")} "$stage/${f.path}"`,
    );
    keep.push(`"$dir/${f.path}"`);
  }
  if (opts.check !== undefined) {
    const { imageTag, configDir } = opts.check;
    lines.push(
      // No network: a checker must judge the files alone.
      `if ! out=$(docker run --rm --network none -v "$stage:${configDir}:ro" '${imageTag}' check 2>&1); then`,
      '  printf \'%s\\n\' "$out" >&2',
      `  echo "${service} rejects the new configuration (${imageTag} check); the running configuration is unchanged" >&2`,
      "  exit 1",
      "fi",
    );
  }
  lines.push(
    'mkdir -p "$dir"',
    `chown ${own} "$dir"`,
    'chmod 0755 "$dir"',
    '(cd "$stage" && find . -mindepth 1 -type d) | while IFS= read -r d; do',
    `  install -d -m 0755 -o ${owner.uid} -g ${owner.gid} "$dir/$d"`,
    "done",
    '(cd "$stage" && find . -type f) | while IFS= read -r f; do',
    '  cp -p "$stage/$f" "$dir/$f.mailstack-tmp"',
    '  mv -f "$dir/$f.mailstack-tmp" "$dir/$f"',
    "done",
    'find "$dir" -type f | while IFS= read -r f; do',
    '  case "$f" in',
    `    ${keep.length > 0 ? keep.join("|") : '""'}) ;;`,
    '    *) rm -f "$f" ;;',
    "  esac",
    "done",
    'rm -rf "$stage"',
  );
  return lines.join("\n") + "\n";
}
