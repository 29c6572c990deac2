// `npm run bench`: one command that measures, side by side on this machine, inbound mail
// throughput through the full container stack against a no-milter baseline, authenticated
// submission throughput, the memory of each container (PSS, idle and loaded), the images' sizes,
// the Pulumi program's cost under the mock engine, and the local stack's start time (warm, and
// with --cold the image builds from nothing). It starts and stops the bench stack
// (bench/Pulumi.bench.yaml, greylisting off) through the local runner, on the instance
// MAILSTACK_INSTANCE names, prints tables and writes bench/results.json. Order matters: the
// program is measured first with no containers running, so the two do not compete for the
// machine's cores. Owns the order of the measurements; each figure's method lives in its module.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

import { REPO_ROOT } from "../components/core/paths";
import { containerName, localInstance } from "../components/core/topology";
import { execOk } from "../local/engine/containers";
import { connectEngine } from "../local/engine/engine";
import { ourContainers } from "../local/stack";
import { sleep } from "../local/proc";
import { parseBenchArgs } from "./args";
import { withoutMilter } from "./baseline";
import { timeColdBuild, type ColdBuild } from "./coldBuild";
import { startContainerDns, type DnsCounts } from "./containerDns";
import { runningContainers } from "./containers";
import { imageSizes } from "./images";
import { BENCH_SENDER_DOMAIN, emptyMailboxes, inboundRun, maildirOf } from "./inbound";
import { machineInfo } from "./machine";
import { readMemory } from "./memory";
import { MESSAGE_BYTES } from "./message";
import { startOutsideClient } from "./outsideClient";
import { measureProgram } from "./programCost";
import { coldBuildTable, growthLines, imageTable, memoryTable, programTable, summaryTable, type Results } from "./report";
import { benchStack, benchTopology, down, e2eRunning, readEndpoints, STATE_DIR, upTimed, type StartTiming } from "./stack";
import { increments, isLinear, median, round } from "./stats";
import { startSink, submissionRun } from "./submission";
import { Teardown } from "./teardown";
import type { Target } from "./transport";

/** Seconds to let the stack settle after start before idle memory is read (Rspamd loads maps, compiles regexps). */
const SETTLE_MS = 15000;
const WARMUP_MESSAGES = 100;

const log = (l: string) => console.log(l);

async function main(): Promise<void> {
  const opts = parseBenchArgs(process.argv.slice(2));
  const instance = localInstance();
  const busy = e2eRunning(instance);
  if (busy.length > 0) throw new Error(`the end-to-end suite is running on instance ${instance} (pids ${busy.join(", ")}); run the bench when it has finished, or on another MAILSTACK_INSTANCE`);
  const benchStart = performance.now();
  const machine = machineInfo();
  const engine = await connectEngine({ log });
  const docker = engine.docker;
  log(`mail stack benchmark on ${machine.cores} cores, ${machine.memory_gib} GiB, ${machine.cpu_model}; ${machine.date}`);
  log(`engine ${engine.name} ${engine.version}; local instance ${instance} (state in ${STATE_DIR})`);
  log(`${opts.messages} messages of ~${MESSAGE_BYTES} bytes per throughput round, ${opts.connections} SMTP sessions, ${opts.rounds} rounds per figure`);
  log(`stopping this instance's local stack first (the bench needs its ports and containers)`);
  await down();

  // --- program cost (no containers running) ---
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

  const teardown = new Teardown(async () => {
    await down();
    // An `up` cut short by Ctrl-C may still have had a create request in flight: look again.
    const left = await ourContainers(docker, benchTopology());
    if (left.length > 0) await down();
    const still = await ourContainers(docker, benchTopology());
    if (still.length > 0) throw new Error(`containers still there after down: ${still.map((c) => c.Names[0]).join(", ")}`);
    log("bench stack stopped");
  }, log);
  teardown.onSignals();
  let results: Results | undefined;
  let dnsCounts: DnsCounts = { queries: 0, names: [] };
  try {
    const stack = benchStack();
    // --- cold: every image from nothing, under throwaway tags (nobody's images are touched) ---
    let cold: ColdBuild | undefined;
    if (opts.cold) {
      log("cold start: building every image from nothing under throwaway tags (debootstrap, base, each image) ...");
      cold = await timeColdBuild(docker, stack.plans, STATE_DIR, log);
      log(`  all images built from nothing in ${cold.seconds.toFixed(1)} s`);
    } else {
      log("cold start: not measured (add --cold to time building every image from nothing: several minutes)");
    }

    // --- warm start: `up` with the stack down and every image cached, until every container is healthy ---
    log("!!! GREYLISTING IS OFF for the benchmark stack only (MAILSTACK_GREYLISTING=off); production keeps it on !!!");
    const starts: StartTiming[] = [];
    while (starts.filter((s) => s.built.length === 0).length < opts.rounds) {
      if (starts.length > 0) await down();
      const s = await upTimed();
      starts.push(s);
      if (s.built.length > 0) log(`  start: up built ${s.built.join(", ")} first (${s.seconds.toFixed(1)} s): not a warm figure, starting again`);
      else log(`  warm start round ${starts.length}: ${s.seconds.toFixed(1)} s`);
      if (starts.length > opts.rounds + 1) throw new Error("up keeps building images: the image cache does not hold");
    }
    const warm = starts.filter((s) => s.built.length === 0).map((s) => s.seconds);

    const images = imageSizes(await docker.listImages(), stack.plans);
    const t = benchTopology();
    const ep = readEndpoints();
    const postfix = stack.specs.find((s) => s.service === "postfix");
    if (postfix === undefined) throw new Error("the bench stack has no postfix container");

    // Rspamd's resolver is 127.0.0.1:53 in its own container: an offline stand-in answers there.
    const rspamd = (await runningContainers(docker, t)).find((c) => c.service === "rspamd");
    if (rspamd === undefined) throw new Error("the bench stack has no running rspamd container");
    const dns = await startContainerDns(rspamd.pid);
    teardown.add("the DNS stand-in", async () => {
      dnsCounts = await dns.stop();
    });
    log("offline DNS stand-in on 127.0.0.1:53 inside the rspamd container (NXDOMAIN for every name)");

    // The inbound sender's domain exists and its SPF lists where the bench's clients come from (the
    // mail network's gateway for 127.0.0.1, the outside namespace), in the stack's own resolver,
    // which answers only for the test zone: an unknown sender domain gets 450, an SPF failure
    // scores as spam. As the e2e suite publishes test records (test/e2e/helpers/policy.ts).
    const spf = `v=spf1 ip4:${t.networks.mail.ipv4Subnet}${t.outsideSubnet !== undefined ? ` ip4:${t.outsideSubnet}` : ""} -all`;
    for (const rr of [`${BENCH_SENDER_DOMAIN}. 300 IN TXT "${spf}"`, `${BENCH_SENDER_DOMAIN}. 300 IN MX 10 mx.${BENCH_SENDER_DOMAIN}.`, `mx.${BENCH_SENDER_DOMAIN}. 300 IN A 192.0.2.25`]) {
      await execOk(docker, containerName(t, "unbound"), "unbound-control local_data", ["unbound-control", "-c", `${t.configDirs.unbound}/unbound.conf`, "local_data", rr]);
    }

    let target: Target = { host: "127.0.0.1", port: ep.smtp };
    let inboundFrom = "127.0.0.1 (the containers see the service network's gateway, not in mynetworks)";
    if (opts.from === "outside") {
      const outside = await startOutsideClient(ep, ep.smtp);
      teardown.add("the outside SOCKS proxy", () => outside.stop());
      target = outside.target;
      inboundFrom = `${outside.source} in ${ep.remote.netns} through a SOCKS proxy (the containers see ${outside.source})`;
    }
    log(`inbound mail from ${inboundFrom}`);

    const recipients = ep.mailboxes.map((m) => m.address);
    const maildirs = recipients.map((a) => maildirOf(ep.maildir, a));
    // Emptied once, before the settle time, never between rounds: deleting 2000 files right
    // before a round made it ~15% slower (ext4 skips recently freed inodes when it allocates the
    // new message files; perf showed it in lmtp), and a live server does no mass deletes.
    await emptyMailboxes(docker, t, recipients);
    await sleep(SETTLE_MS);
    const idle = await readMemory(docker, t);
    log(`  idle PSS ${idle.total} MB (${Object.entries(idle.containers).map(([k, v]) => `${k} ${v}`).join(", ")})`);

    // --- inbound: full stack and baseline, rounds interleaved so drift hits both alike ---
    const inbound = { to: target, recipients, messages: opts.messages, connections: opts.connections, maildirs };
    const smtpLoopback = { host: "127.0.0.1", port: ep.smtp };
    await inboundRun({ ...inbound, messages: WARMUP_MESSAGES }, `warmup-${Date.now()}`);
    const full: number[] = [];
    const base: number[] = [];
    let loaded = idle;
    for (let r = 0; r < opts.rounds; r++) {
      full.push((await inboundRun(inbound, `full${r}-${Date.now()}`)).msgsPerS);
      if (r === opts.rounds - 1) loaded = await readMemory(docker, t);
      log(`  inbound round ${r + 1}: full stack ${full[r].toFixed(1)} msg/s`);
      base.push((await withoutMilter(docker, postfix, t.configDirs.postfix, smtpLoopback, () => inboundRun(inbound, `base${r}-${Date.now()}`))).msgsPerS);
      log(`  inbound round ${r + 1}: baseline (no milter) ${base[r].toFixed(1)} msg/s; postfix container restored and checked`);
    }
    log(`  loaded PSS ${loaded.total} MB`);
    // Bench mail only; keeps the Maildirs from growing run after run.
    await emptyMailboxes(docker, t, recipients);

    // --- submission: authenticated, DKIM-signed, to the outbound sink on this host ---
    const sink = await startSink(ep.sink);
    const sub: number[] = [];
    try {
      const user = ep.mailboxes[0];
      for (let r = 0; r < opts.rounds; r++) {
        const res = await submissionRun(
          { to: { host: "127.0.0.1", port: ep.submission }, user: user.address, password: user.password, messages: opts.messages, connections: opts.connections },
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
    const warmMedian = median(warm);
    results = {
      machine,
      date: machine.date,
      engine: `${engine.name} ${engine.version}`,
      instance,
      rounds: opts.rounds,
      messages: opts.messages,
      message_bytes: MESSAGE_BYTES,
      connections: opts.connections,
      greylisting: "off for the benchmark stack only (MAILSTACK_GREYLISTING=off)",
      inbound_from: inboundFrom,
      inbound_msgs_per_s: round(inboundMedian),
      inbound_rounds_msgs_per_s: full.map((v) => round(v)),
      baseline_msgs_per_s: round(baseMedian),
      baseline_rounds_msgs_per_s: base.map((v) => round(v)),
      inbound_vs_baseline_ratio: round(inboundMedian / baseMedian, 2),
      submission_msgs_per_s: round(median(sub)),
      submission_rounds_msgs_per_s: sub.map((v) => round(v)),
      idle_pss_mb_total: idle.total,
      loaded_pss_mb_total: loaded.total,
      idle_pss_mb: idle.containers,
      loaded_pss_mb: loaded.containers,
      test_only_containers: idle.testOnly,
      idle_engine_monitors_pss_mb: idle.monitors,
      loaded_engine_monitors_pss_mb: loaded.monitors,
      images,
      start_warm_seconds: round(warmMedian, 1),
      start_warm_rounds_seconds: warm.map((v) => round(v, 1)),
      start_cold_image_build_seconds: cold === undefined ? null : round(cold.seconds, 1),
      start_cold_image_build_per_image: cold === undefined ? null : cold.images.map((i) => ({ image: i.image, seconds: round(i.seconds, 1) })),
      start_cold_estimate_seconds: cold === undefined ? null : round(cold.seconds + warmMedian, 1),
      dns_stand_in_queries: 0,
      dns_stand_in_top: [],
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
      bench_seconds: 0,
    };
  } finally {
    await teardown.run();
  }
  const top = [...dnsCounts.names].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([n, c]) => `${n} x${c}`);
  log(`Rspamd asked the DNS stand-in ${dnsCounts.queries} queries, most: ${top.join(", ")}`);
  results.dns_stand_in_queries = dnsCounts.queries;
  results.dns_stand_in_top = top;
  results.bench_seconds = round((performance.now() - benchStart) / 1000, 0);
  const file = join(REPO_ROOT, "bench", "results.json");
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  const cb = coldBuildTable(results);
  for (const block of [summaryTable(results), memoryTable(results), imageTable(results), ...(cb !== undefined ? [cb] : []), programTable(results)]) {
    log("");
    log(block);
  }
  for (const l of growthLines(results)) log(l);
  log("");
  log(`greylisting: ${results.greylisting}; inbound from ${results.inbound_from}; whole bench ${results.bench_seconds} s; results in ${file}`);
}

main().catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
