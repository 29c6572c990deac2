// The shell script that installs one service's rendered files on the VM, fed to `sh -s` on stdin
// so file contents (secrets included) never appear on a command line or in a log. Each file is
// written to a temp file, given its mode and owner, then renamed over the old one, so a daemon
// never reads half a file; files the renderer no longer produces are removed. Pure: files in,
// script text and content hash out.
import { createHash } from "node:crypto";
import type { RenderedFile } from "../render/render";
import { VOLUME_MOUNT, type ServiceName } from "../topology";

/** Host folder bind-mounted read-only onto topology.configDirs[service] in the container. */
export function hostConfigDir(service: ServiceName): string {
  return `${VOLUME_MOUNT}/config/${service}`;
}

const SAFE_PATH = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._+@\/-]+$/;

/** Changes exactly when a file of this service changes (path, mode or content). */
export function serviceContentHash(files: readonly RenderedFile[]): string {
  const h = createHash("sha256");
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    h.update(`${f.path}\0${f.mode.toString(8)}\0${f.content.length}\0${f.content}\0`);
  }
  return h.digest("hex");
}

export function pushScript(
  service: ServiceName,
  files: readonly RenderedFile[],
  owner: { uid: number; gid: number },
  /** Only tests pass another folder. */
  dir = hostConfigDir(service),
): string {
  // Folders 0755: each file's own mode keeps its secret (0600/0640 with the daemon's group), and
  // processes outside that group must still reach public files (Dovecot's Sieve scripts are read
  // as the mail user, which is not in the dovecot group).
  const lines = ["set -eu", "umask 077", `dir='${dir}'`, 'mkdir -p "$dir"', `chown ${owner.uid}:${owner.gid} "$dir"`, 'chmod 0755 "$dir"'];
  const keep: string[] = [];
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    if (f.service !== service) throw new Error(`${f.service}/${f.path} pushed with the files of ${service}`);
    if (!SAFE_PATH.test(f.path)) throw new Error(`rendered file path "${f.path}" of ${service} must be relative, without ".." or unusual characters`);
    const target = `"$dir/${f.path}"`;
    const parent = f.path.includes("/") ? f.path.slice(0, f.path.lastIndexOf("/")) : "";
    if (parent !== "") lines.push(`install -d -m 0755 -o ${owner.uid} -g ${owner.gid} "$dir/${parent}"`);
    const tmp = `"$dir/${parent === "" ? "" : parent + "/"}.mailstack-tmp"`;
    // base64 lines never equal the heredoc terminator, and keep the content byte-exact.
    lines.push(
      `base64 -d > ${tmp} <<'MAILSTACK_FILE'`,
      ...(Buffer.from(f.content, "utf8").toString("base64").match(/.{1,76}/g) ?? []),
      "MAILSTACK_FILE",
      `chown ${owner.uid}:${owner.gid} ${tmp}`,
      `chmod ${f.mode.toString(8).padStart(4, "0")} ${tmp}`,
      `mv -f ${tmp} ${target}`,
    );
    keep.push(`"$dir/${f.path}"`);
  }
  lines.push('find "$dir" -type f | while IFS= read -r f; do', '  case "$f" in', `    ${keep.length > 0 ? keep.join("|") : '""'}) ;;`, '    *) rm -f "$f" ;;', "  esac", "done");
  return lines.join("\n") + "\n";
}
