// The bench's memory accounting: a container's PSS is the sum over its main process and every
// descendant, read from /proc. Checked on a fake /proc (stat with awkward command names,
// smaps_rollup), so the tree walk, the parsing and the "each process counted once" rule are
// tested without real processes. No timing here.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, it } from "@jest/globals";
import { memoryReading, MONITORS_GROUP } from "../../bench/memory";
import { commOf, descendants, parentPid, pssByGroup, pssKb, readParents } from "../../bench/pss";

/** A fake /proc: pid -> [parent, PSS kB, command name]. */
function fakeProc(procs: Record<number, [number, number, string]>): string {
  const root = mkdtempSync(join(tmpdir(), "bench-proc-"));
  for (const [pid, [ppid, pss, comm]] of Object.entries(procs)) {
    const dir = join(root, pid);
    mkdirSync(dir);
    // The real format: pid (comm) state ppid ...; comm may hold spaces and parentheses.
    writeFileSync(join(dir, "stat"), `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0 5 3\n`);
    writeFileSync(join(dir, "comm"), `${comm}\n`);
    writeFileSync(join(dir, "smaps_rollup"), `55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss:   ${pss * 2} kB\nPss:   ${pss} kB\nPss_Anon:  1 kB\n`);
  }
  mkdirSync(join(root, "self")); // not a pid: ignored
  writeFileSync(join(root, "meminfo"), "MemTotal: 1 kB\n");
  return root;
}

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

// 1 init; 100 conmon -> 101 postfix master -> 102 smtpd, 103 "qmgr (x) y"; 200 conmon -> 201 rspamd -> 202 worker;
// 300 a process of nobody's container.
const PROCS: Record<number, [number, number, string]> = {
  1: [0, 1000, "init"],
  100: [1, 512, "conmon"],
  101: [100, 2048, "master"],
  102: [101, 1024, "smtpd"],
  103: [101, 512, "qmgr (x) y"],
  200: [1, 512, "conmon"],
  201: [200, 10240, "rspamd: main process"],
  202: [201, 5120, "rspamd: proxy"],
  300: [1, 99999, "someone else"],
};

describe("bench PSS per container", () => {
  const proc = fakeProc(PROCS);
  roots.push(proc);

  it("reads every process's parent, even with spaces and parentheses in the name", () => {
    const parents = readParents(proc);
    assert.equal(parents.size, Object.keys(PROCS).length);
    assert.equal(parents.get(103), 101);
    assert.equal(parentPid(202, proc), 201);
    assert.equal(commOf(201, proc), "rspamd: main process");
    assert.equal(pssKb(101, proc), 2048);
  });

  it("treats a process that is gone as using nothing", () => {
    assert.equal(pssKb(4242, proc), 0);
    assert.equal(parentPid(4242, proc), undefined);
    assert.equal(commOf(4242, proc), "");
  });

  it("collects a root and all its descendants, and nothing else", () => {
    const parents = readParents(proc);
    assert.deepEqual(descendants(parents, [101]), [101, 102, 103]);
    assert.deepEqual(descendants(parents, [101, 201]), [101, 102, 103, 201, 202]);
    assert.deepEqual(descendants(parents, [4242]), [4242]);
  });

  it("survives a parent loop", () => {
    const loop = new Map([
      [5, 6],
      [6, 5],
    ]);
    assert.deepEqual(descendants(loop, [5]), [5, 6]);
  });

  it("sums PSS per container tree in MB, counting each process once", () => {
    const mb = pssByGroup({ postfix: [101], rspamd: [201], monitors: [100, 200] }, proc);
    assert.equal(mb.postfix, (2048 + 1024 + 512) / 1024);
    assert.equal(mb.rspamd, 15);
    // The monitors' trees hold the containers too; those processes were already counted.
    assert.equal(mb.monitors, 1);
  });
});

describe("bench memory reading", () => {
  it("totals the deployed services only and lists local-only containers apart", () => {
    const containers = [
      { service: "postfix", name: "m-postfix", pid: 101, testOnly: false, monitorPid: 100 },
      { service: "pebble", name: "m-pebble", pid: 301, testOnly: true },
      { service: "rspamd", name: "m-rspamd", pid: 201, testOnly: false, monitorPid: 200 },
    ];
    const r = memoryReading(containers, { postfix: 3.46, pebble: 9.04, rspamd: 15, [MONITORS_GROUP]: 1.04 });
    assert.deepEqual(r.containers, { postfix: 3.5, pebble: 9, rspamd: 15 });
    assert.equal(r.total, 18.5);
    assert.deepEqual(r.testOnly, ["pebble"]);
    assert.equal(r.monitors, 1);
  });
});
