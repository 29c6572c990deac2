// The benchmark's results: the shape written to bench/results.json and the tables printed from
// it (and pasted into BENCHMARKS.md). Pure: numbers in, text out.
import type { MachineInfo } from "./machine";
import { formatTable } from "./stats";

export interface Results {
  machine: MachineInfo;
  date: string;
  rounds: number;
  messages: number;
  message_bytes: number;
  connections: number;
  greylisting: string;
  inbound_msgs_per_s: number;
  inbound_rounds_msgs_per_s: number[];
  baseline_msgs_per_s: number;
  baseline_rounds_msgs_per_s: number[];
  inbound_vs_baseline_ratio: number;
  submission_msgs_per_s: number;
  submission_rounds_msgs_per_s: number[];
  idle_pss_mb_total: number;
  loaded_pss_mb_total: number;
  idle_pss_mb: Record<string, number>;
  loaded_pss_mb: Record<string, number>;
  eval_seconds_1_mailbox: number;
  eval_seconds_100_mailboxes: number;
  eval_seconds_2000_mailboxes: number;
  eval_seconds_20_domains_100_mailboxes: number;
  resources_1_mailbox: number;
  resources_100_mailboxes: number;
  resources_2000_mailboxes: number;
  resources_20_domains_100_mailboxes: number;
  resources_per_mailbox_1_to_100: number;
  resources_per_mailbox_100_to_2000: number;
  resources_per_domain: number;
  eval_ms_per_mailbox_1_to_100: number;
  eval_ms_per_mailbox_100_to_2000: number;
  resources_growth_linear: boolean;
  start_seconds: number;
  start_rounds_seconds: number[];
  bench_seconds: number;
}

const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const ok = (pass: boolean) => (pass ? "met" : "NOT met");

export function summaryTable(r: Results): string {
  const rows: string[][] = [
    ["figure", "value", "target", "", "notes"],
    ["inbound, full stack (msg/s)", f1(r.inbound_msgs_per_s), ">= 150", ok(r.inbound_msgs_per_s >= 150), `median of ${r.rounds}; Rspamd milter on, greylisting off`],
    ["inbound, baseline no milter (msg/s)", f1(r.baseline_msgs_per_s), "", "", `median of ${r.rounds}; Postfix -> Dovecot LMTP only`],
    ["full / baseline", f2(r.inbound_vs_baseline_ratio), ">= 0.5", ok(r.inbound_vs_baseline_ratio >= 0.5), ""],
    ["submission 587 STARTTLS+AUTH, DKIM (msg/s)", f1(r.submission_msgs_per_s), "", "", `median of ${r.rounds}; until the sink has all`],
    ["PSS idle, whole stack (MB)", f1(r.idle_pss_mb_total), "< 512", ok(r.idle_pss_mb_total < 512), "after start, settled"],
    ["PSS after inbound run (MB)", f1(r.loaded_pss_mb_total), "", "", "right after the last full-stack round"],
    ["program eval, 2000 mailboxes (s)", f2(r.eval_seconds_2000_mailboxes), "< 5", ok(r.eval_seconds_2000_mailboxes < 5), `median of ${r.rounds}; mock engine`],
    ["resources, 2000 mailboxes", String(r.resources_2000_mailboxes), "", "", ""],
    ["local stack start (s)", f1(r.start_seconds), "", "", `median of ${r.start_rounds_seconds.length}; up -> every service answering`],
  ];
  return formatTable(rows);
}

export function memoryTable(r: Results): string {
  const rows = [["service", "idle PSS MB", "loaded PSS MB"]];
  for (const s of Object.keys(r.idle_pss_mb)) rows.push([s, f1(r.idle_pss_mb[s]), f1(r.loaded_pss_mb[s] ?? 0)]);
  rows.push(["total", f1(r.idle_pss_mb_total), f1(r.loaded_pss_mb_total)]);
  return formatTable(rows);
}

export function programTable(r: Results): string {
  return formatTable([
    ["config", "resources", "eval s (median)"],
    ["1 domain, 1 mailbox", String(r.resources_1_mailbox), f2(r.eval_seconds_1_mailbox)],
    ["1 domain, 100 mailboxes", String(r.resources_100_mailboxes), f2(r.eval_seconds_100_mailboxes)],
    ["1 domain, 2000 mailboxes", String(r.resources_2000_mailboxes), f2(r.eval_seconds_2000_mailboxes)],
    ["20 domains, 100 mailboxes", String(r.resources_20_domains_100_mailboxes), f2(r.eval_seconds_20_domains_100_mailboxes)],
  ]);
}

export function growthLines(r: Results): string[] {
  return [
    `resources per mailbox: ${f2(r.resources_per_mailbox_1_to_100)} (1->100), ${f2(r.resources_per_mailbox_100_to_2000)} (100->2000): ` +
      (r.resources_growth_linear ? "linear" : "NOT linear"),
    `resources per extra domain: ${f2(r.resources_per_domain)} (1 -> 20 domains, 100 mailboxes)`,
    `evaluation time per mailbox: ${f2(r.eval_ms_per_mailbox_1_to_100)} ms (1->100), ${f2(r.eval_ms_per_mailbox_100_to_2000)} ms (100->2000)`,
  ];
}
