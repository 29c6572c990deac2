// The benchmark's results: the shape written to bench/results.json and the tables printed from
// it (and pasted into BENCHMARKS.md). Pure: numbers in, text out.
import type { ImageSizes } from "./images";
import type { MachineInfo } from "./machine";
import { formatTable } from "./stats";

export interface Results {
  machine: MachineInfo;
  date: string;
  /** The container engine's own name and version, e.g. "Podman Engine 4.3.1". */
  engine: string;
  /** MAILSTACK_INSTANCE the bench ran on (ports, containers, state folder). */
  instance: number;
  rounds: number;
  messages: number;
  message_bytes: number;
  connections: number;
  greylisting: string;
  /** Who the inbound client is, as the containers see it. */
  inbound_from: string;
  inbound_msgs_per_s: number;
  inbound_rounds_msgs_per_s: number[];
  baseline_msgs_per_s: number;
  baseline_rounds_msgs_per_s: number[];
  inbound_vs_baseline_ratio: number;
  submission_msgs_per_s: number;
  submission_rounds_msgs_per_s: number[];
  /** Totals over the deployed services; test-only containers are listed per container but not added in. */
  idle_pss_mb_total: number;
  loaded_pss_mb_total: number;
  idle_pss_mb: Record<string, number>;
  loaded_pss_mb: Record<string, number>;
  test_only_containers: string[];
  /** The engine's per-container monitor processes (conmon), summed; not in the totals. */
  idle_engine_monitors_pss_mb: number;
  loaded_engine_monitors_pss_mb: number;
  images: ImageSizes;
  /** `up` with the stack down and every image cached, until every container is healthy. */
  start_warm_seconds: number;
  start_warm_rounds_seconds: number[];
  /** Every image built from nothing (debootstrap, base, each image), or null when not measured (no --cold). */
  start_cold_image_build_seconds: number | null;
  start_cold_image_build_per_image: { image: string; seconds: number }[] | null;
  /** Cold build plus the warm `up`: a first `up` on a machine with no images (state folder aside). */
  start_cold_estimate_seconds: number | null;
  /** Queries Rspamd sent to the bench's DNS stand-in in its container, and the most frequent names. */
  dns_stand_in_queries: number;
  dns_stand_in_top: string[];
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
  bench_seconds: number;
}

const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const ok = (pass: boolean) => (pass ? "met" : "NOT met");

export function summaryTable(r: Results): string {
  const cold = r.start_cold_estimate_seconds;
  const rows: string[][] = [
    ["figure", "value", "target", "", "notes"],
    ["inbound, full stack (msg/s)", f1(r.inbound_msgs_per_s), ">= 150", ok(r.inbound_msgs_per_s >= 150), `median of ${r.rounds}; Rspamd milter on, greylisting off`],
    ["inbound, baseline no milter (msg/s)", f1(r.baseline_msgs_per_s), "", "", `median of ${r.rounds}; Postfix -> Dovecot LMTP only`],
    ["full / baseline", f2(r.inbound_vs_baseline_ratio), ">= 0.5", ok(r.inbound_vs_baseline_ratio >= 0.5), ""],
    ["submission 587 STARTTLS+AUTH, DKIM (msg/s)", f1(r.submission_msgs_per_s), "", "", `median of ${r.rounds}; until the sink has all`],
    ["PSS idle, whole stack (MB)", f1(r.idle_pss_mb_total), "< 512", ok(r.idle_pss_mb_total < 512), "sum over the service containers, settled"],
    ["PSS after inbound run (MB)", f1(r.loaded_pss_mb_total), "", "", "right after the last full-stack round"],
    ["images on disk, deployed set (MB)", f1(r.images.deployedOnDiskMb), "", "", "base once + each service image's own layers"],
    ["warm up, images cached (s)", f1(r.start_warm_seconds), "< 30", ok(r.start_warm_seconds < 30), `median of ${r.start_warm_rounds_seconds.length}; down -> every container healthy`],
    cold === null
      ? ["cold up, images built (s)", "", "< 600", "", "not measured: add --cold"]
      : ["cold up, images built (s)", f1(cold), "< 600", ok(cold < 600), `image builds ${f1(r.start_cold_image_build_seconds ?? 0)} s + warm up`],
    ["program eval, 2000 mailboxes (s)", f2(r.eval_seconds_2000_mailboxes), "< 5", ok(r.eval_seconds_2000_mailboxes < 5), `median of ${r.rounds}; mock engine`],
    ["resources, 2000 mailboxes", String(r.resources_2000_mailboxes), "", "", ""],
  ];
  return formatTable(rows);
}

export function memoryTable(r: Results): string {
  const rows = [["container", "idle PSS MB", "loaded PSS MB", ""]];
  for (const s of Object.keys(r.idle_pss_mb)) {
    rows.push([s, f1(r.idle_pss_mb[s]), f1(r.loaded_pss_mb[s] ?? 0), r.test_only_containers.includes(s) ? "local only, not in the total" : ""]);
  }
  rows.push(["total", f1(r.idle_pss_mb_total), f1(r.loaded_pss_mb_total), "deployed services"]);
  rows.push(["engine monitors (conmon)", f1(r.idle_engine_monitors_pss_mb), f1(r.loaded_engine_monitors_pss_mb), "one per container, not in the total"]);
  return formatTable(rows);
}

export function imageTable(r: Results): string {
  const i = r.images;
  const rows = [["image", "size MB", "own MB", ""]];
  for (const im of i.images) rows.push([im.image, f1(im.mb), f1(im.ownMb), im.testOnly ? "local only, not deployed" : ""]);
  rows.push(["base (shared)", f1(i.base.mb), f1(i.base.mb), "every image above is built FROM it"]);
  rows.push(["rootfs (debootstrap)", f1(i.rootfs.mb), "", "the base is built FROM it"]);
  rows.push(["deployed set on disk", f1(i.deployedOnDiskMb), "", "base once + own layers of the service images"]);
  return formatTable(rows);
}

export function coldBuildTable(r: Results): string | undefined {
  const per = r.start_cold_image_build_per_image;
  if (per === null) return undefined;
  return formatTable([["image built from nothing", "seconds"], ...per.map((p) => [p.image, f1(p.seconds)]), ["all", f1(r.start_cold_image_build_seconds ?? 0)]]);
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
