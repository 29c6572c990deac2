// Memory as the kernel accounts it: proportional set size (PSS) from /proc/<pid>/smaps_rollup,
// so pages shared between a daemon's processes (Postfix's master and its smtpd children, Rspamd's
// workers) are divided among them instead of counted once per process.
import { readFileSync, readdirSync } from "node:fs";

function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // the process ended between listing and reading
  }
}

function parentOf(pid: number): number | undefined {
  try {
    // The command name may contain spaces and parentheses: the fields after the last ")" are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** The given processes and all their descendants. */
export function processTree(roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = parentOf(Number(name));
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out = new Set<number>();
  const visit = (pid: number) => {
    if (out.has(pid)) return;
    out.add(pid);
    for (const c of children.get(pid) ?? []) visit(c);
  };
  roots.forEach(visit);
  return [...out];
}

/** PSS in MB of each service's process tree. */
export function pssByService(rootPids: Record<string, number[]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [service, roots] of Object.entries(rootPids)) {
    out[service] = processTree(roots).reduce((sum, pid) => sum + pssKb(pid), 0) / 1024;
  }
  return out;
}
