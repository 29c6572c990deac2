// `npm run bench`: one command that measures, side by side on this machine, inbound mail
// throughput through the full stack against a no-milter baseline, authenticated submission
// throughput, the stack's memory (PSS per service, idle and loaded), the Pulumi program's cost
// under the mock engine, and the local stack's start time. It starts and stops the bench stack
// (bench/Pulumi.bench.yaml, greylisting off), prints tables and writes bench/results.json.
// Order matters: the program is measured first with no daemons running, so the two do not
// compete for the machine's cores.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

import { sleep } from "../local/proc";
import { parseBenchArgs } from "./args";
import { withoutMilter } from "./baseline";
import { emptyMailboxes, inboundRun, maildirOf } from "./inbound";
import { startDnsStub, type DnsStub } from "./dnsStub";
import { machineInfo } from "./machine";
import { MESSAGE_BYTES } from "./message";
import { measureProgram } from "./programCost";
import { pssByService } from "./pss";
import { growthLines, memoryTable, programTable, summaryTable, type Results } from "./report";
import { serviceRootPids } from "./services";
import { benchTopology, down, e2eRunning, readEndpoints, STATE_DIR, upTimed } from "./stack";
import { increments, isLinear, median, round } from "./stats";
import { startSink, submissionRun } from "./submission";
import { REPO_ROOT } from "../components/core/paths";

/** Seconds to let the stack settle after start before idle memory is read (Rspamd loads maps, compiles regexps). */
const SETTLE_MS = 15000;
const WARMUP_MESSAGES = 100;

const log = (l: string) => console.log(l);

function memory(): Record<string, number> {
  const t = benchTopology();
  const mb = pssByService(serviceRootPids(STATE_DIR, t));
  return Object.fromEntries(Object.entries(mb).map(([k, v]) => [k, round(v, 1)]));
}
const total = (m: Record<string, number>) => round(Object.values(m).reduce((a, b) => a + b, 0), 1);

async function main(): Promise<void> {
  const opts = parseBenchArgs(process.argv.slice(2));
  const busy = e2eRunning();
  if (busy.length > 0) throw new Error(`the end-to-end suite is running (pids ${busy.join(", ")}) on the same ports; run the bench when it has finished`);
  const benchStart = performance.now();
  const machine = machineInfo();
  log(`mail stack benchmark on ${machine.cores} cores, ${machine.memory_gib} GiB, ${machine.cpu_model}; ${machine.date}`);
  log(`${opts.messages} messages of ~${MESSAGE_BYTES} bytes per throughput round, ${opts.connections} SMTP sessions, ${opts.rounds} rounds per figure`);
  log("stopping any running local stack first (the bench needs the stack's ports)");
  await down();

  // --- program cost (no daemons running) ---
  log("program cost under the mock engine ...");
  const p1 = await measureProgram(1, 1, opts.rounds);
  const p100 = await measureProgram(1, 100, opts.rounds);
  const p2000 = await measureProgram(1, 2000, opts.rounds);
  const p20d = await measureProgram(20, 100, opts.rounds);
  const incs = increments([
    { x: 1, y: p1.resources },
    { x: 100, y: p100.resources },
    { x: 2000, y: p2000.resources },
  ]);
  const timeIncs = increments([
    { x: 1, y: median(p1.seconds) * 1000 },
    { x: 100, y: median(p100.seconds) * 1000 },
    { x: 2000, y: median(p2000.seconds) * 1000 },
  ]);

  let results: Results | undefined;
  // Before `up`, so Rspamd never sees a dead resolver (see dnsStub.ts for why).
  const dns: DnsStub = await startDnsStub();
  log("offline DNS stand-in on 127.0.0.1:53 (NXDOMAIN for every name) for Rspamd's lookups");
  try {
    // --- start time: `up` with the stack down, until every service answers ---
    log("!!! GREYLISTING IS OFF for the benchmark stack only (MAILSTACK_GREYLISTING=off); production keeps it on !!!");
    const starts: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      if (r > 0) await down();
      starts.push(await upTimed());
      log(`  start round ${r + 1}: ${starts[r].toFixed(1)} s`);
    }

    const t = benchTopology();
    const ep = readEndpoints();
    const recipients = ep.mailboxes.map((m) => m.address);
    const maildirs = recipients.map((a) => maildirOf(t, a));
    // Emptied once, before the settle time, never between rounds: deleting 2000 files right
    // before a round made it ~15% slower (ext4 skips recently freed inodes when it allocates the
    // new message files; perf showed it in lmtp), and a live server does no mass deletes.
    await emptyMailboxes(t, recipients);
    await sleep(SETTLE_MS);
    const idle = memory();
    log(`  idle PSS ${total(idle)} MB`);

    // --- inbound: full stack and baseline, rounds interleaved so drift hits both alike ---
    const inbound = { port: ep.smtp, recipients, messages: opts.messages, connections: opts.connections, maildirs };
    await inboundRun({ ...inbound, messages: WARMUP_MESSAGES }, `warmup-${Date.now()}`);
    const full: number[] = [];
    const base: number[] = [];
    let loaded: Record<string, number> = {};
    for (let r = 0; r < opts.rounds; r++) {
      full.push((await inboundRun(inbound, `full${r}-${Date.now()}`)).msgsPerS);
      if (r === opts.rounds - 1) loaded = memory();
      log(`  inbound round ${r + 1}: full stack ${full[r].toFixed(1)} msg/s`);
      base.push((await withoutMilter(t.configDirs.postfix, ep.smtp, () => inboundRun(inbound, `base${r}-${Date.now()}`))).msgsPerS);
      log(`  inbound round ${r + 1}: baseline (no milter) ${base[r].toFixed(1)} msg/s`);
    }
    // Bench mail only; keeps the Maildirs from growing run after run.
    await emptyMailboxes(t, recipients);

    // --- submission: authenticated, DKIM-signed, to the outbound sink ---
    const relay = t.outboundRelay;
    if (relay === undefined) throw new Error("the local topology has no outboundRelay");
    const sink = await startSink(relay);
    const sub: number[] = [];
    try {
      const user = ep.mailboxes[0];
      for (let r = 0; r < opts.rounds; r++) {
        const res = await submissionRun(
          { port: ep.submission, user: user.address, password: user.password, messages: opts.messages, connections: opts.connections },
          sink,
          `sub${r}-${Date.now()}`,
        );
        if (res.unsigned > 0) throw new Error(`${res.unsigned} submitted messages reached the sink without a DKIM signature`);
        sub.push(res.msgsPerS);
        log(`  submission round ${r + 1}: ${res.msgsPerS.toFixed(1)} msg/s (all DKIM-signed)`);
      }
    } finally {
      await sink.close();
    }

    const inboundMedian = median(full);
    const baseMedian = median(base);
    results = {
      machine,
      date: machine.date,
      rounds: opts.rounds,
      messages: opts.messages,
      message_bytes: MESSAGE_BYTES,
      connections: opts.connections,
      greylisting: "off for the benchmark stack only (MAILSTACK_GREYLISTING=off)",
      inbound_msgs_per_s: round(inboundMedian),
      inbound_rounds_msgs_per_s: full.map((v) => round(v)),
      baseline_msgs_per_s: round(baseMedian),
      baseline_rounds_msgs_per_s: base.map((v) => round(v)),
      inbound_vs_baseline_ratio: round(inboundMedian / baseMedian, 2),
      submission_msgs_per_s: round(median(sub)),
      submission_rounds_msgs_per_s: sub.map((v) => round(v)),
      idle_pss_mb_total: total(idle),
      loaded_pss_mb_total: total(loaded),
      idle_pss_mb: idle,
      loaded_pss_mb: loaded,
      eval_seconds_1_mailbox: round(median(p1.seconds), 3),
      eval_seconds_100_mailboxes: round(median(p100.seconds), 3),
      eval_seconds_2000_mailboxes: round(median(p2000.seconds), 3),
      eval_seconds_20_domains_100_mailboxes: round(median(p20d.seconds), 3),
      resources_1_mailbox: p1.resources,
      resources_100_mailboxes: p100.resources,
      resources_2000_mailboxes: p2000.resources,
      resources_20_domains_100_mailboxes: p20d.resources,
      resources_per_mailbox_1_to_100: round(incs[0], 2),
      resources_per_mailbox_100_to_2000: round(incs[1], 2),
      resources_per_domain: round((p20d.resources - p100.resources) / 19, 2),
      eval_ms_per_mailbox_1_to_100: round(timeIncs[0], 2),
      eval_ms_per_mailbox_100_to_2000: round(timeIncs[1], 2),
      resources_growth_linear: isLinear(incs),
      start_seconds: round(median(starts), 1),
      start_rounds_seconds: starts.map((v) => round(v, 1)),
      bench_seconds: 0,
    };
  } finally {
    await down();
    await dns.close();
    const top = [...dns.names].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([n, c]) => `${n} x${c}`);
    log(`bench stack stopped; Rspamd asked the DNS stand-in ${dns.queries()} queries, most: ${top.join(", ")}`);
  }
  results.bench_seconds = round((performance.now() - benchStart) / 1000, 0);
  const file = join(REPO_ROOT, "bench", "results.json");
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log("");
  log(summaryTable(results));
  log("");
  log(memoryTable(results));
  log("");
  log(programTable(results));
  for (const l of growthLines(results)) log(l);
  log("");
  log(`greylisting: ${results.greylisting}; whole bench ${results.bench_seconds} s; results in ${file}`);
}

main().catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
