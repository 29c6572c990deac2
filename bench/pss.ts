// Memory as the kernel accounts it: proportional set size (PSS) from /proc/<pid>/smaps_rollup,
// so pages shared between a daemon's processes (Postfix's master and its smtpd children, Rspamd's
// workers) are divided among them instead of counted once per process. A container's processes
// are ordinary host processes, so a container's memory is the PSS of its main process (the
// engine's State.Pid) and all its descendants. Reads /proc (or a fake root the tests build) and
// nothing else; knows nothing about containers or the engine.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** pid -> parent pid of every process under procRoot. */
export function readParents(procRoot = "/proc"): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = parentOf(procRoot, Number(name));
    if (ppid !== undefined) out.set(Number(name), ppid);
  }
  return out;
}

function parentOf(procRoot: string, pid: number): number | undefined {
  try {
    // The command name may contain spaces and parentheses: the fields after the last ")" are fixed.
    const stat = readFileSync(join(procRoot, String(pid), "stat"), "utf8");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined; // the process ended between listing and reading
  }
}

/** The roots and all their descendants, each once (a pid that is its own ancestor cannot loop). */
export function descendants(parents: ReadonlyMap<number, number>, roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const out = new Set<number>();
  const stack = [...roots];
  for (let pid = stack.pop(); pid !== undefined; pid = stack.pop()) {
    if (out.has(pid)) continue;
    out.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return [...out].sort((a, b) => a - b);
}

/** PSS of one process in kB; 0 when it ended meanwhile (or is a kernel thread with no mappings). */
export function pssKb(pid: number, procRoot = "/proc"): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(join(procRoot, String(pid), "smaps_rollup"), "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * PSS in MB of each named group's process trees, read in one pass over /proc so every group sees
 * the same moment. A process is counted in one group only, the first whose tree holds it.
 */
export function pssByGroup(roots: Record<string, number[]>, procRoot = "/proc"): Record<string, number> {
  const parents = readParents(procRoot);
  const seen = new Set<number>();
  const out: Record<string, number> = {};
  for (const [group, pids] of Object.entries(roots)) {
    const tree = descendants(parents, pids).filter((p) => !seen.has(p));
    tree.forEach((p) => seen.add(p));
    out[group] = tree.reduce((sum, pid) => sum + pssKb(pid, procRoot), 0) / 1024;
  }
  return out;
}

/** The parent of a process (e.g. the engine's per-container monitor above a container's main process). */
export function parentPid(pid: number, procRoot = "/proc"): number | undefined {
  return parentOf(procRoot, pid);
}

/** The process's command name (/proc/<pid>/comm), "" when it is gone. */
export function commOf(pid: number, procRoot = "/proc"): string {
  try {
    return readFileSync(join(procRoot, String(pid), "comm"), "utf8").trim();
  } catch {
    return "";
  }
}
