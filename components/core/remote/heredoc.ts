// How every script we send to a host writes a file: its content base64-encoded in a quoted
// heredoc, so no byte of it is ever read by the shell (base64 lines never equal the terminator,
// and the content stays byte-exact). Pure.

/** Lines that decode `content` into `target`, a shell word the caller quotes ('…' or "…"). */
export function base64Heredoc(target: string, content: string): string[] {
  return [`base64 -d > ${target} <<'MAILSTACK_FILE'`, ...(Buffer.from(content, "utf8").toString("base64").match(/.{1,76}/g) ?? []), "MAILSTACK_FILE"];
}

/** Lines that install one file atomically: its folder, the content beside it, its mode, then the rename. */
export function atomicInstallLines(f: { path: string; content: string; mode: string }): string[] {
  const dir = f.path.slice(0, f.path.lastIndexOf("/"));
  return [`install -d -m 0755 '${dir}'`, ...base64Heredoc(`'${f.path}.tmp'`, f.content), `chmod ${f.mode} '${f.path}.tmp'`, `mv -f '${f.path}.tmp' '${f.path}'`];
}
