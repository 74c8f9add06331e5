/**
 * Benchmark sections of the whole analysis: the TS capture reader feeding
 * `Analyzer.onFrame` (decode → defrag → flow table → every scan detector, default config),
 * timed against tcpdump's raw read of the same file in the same run (DESIGN.md, Speed).
 *
 * - `full-pipeline`: first a reference row, reader + decode + the minimal flow table of
 *   `_minimal_flows.ts` (counters only: what DESIGN.md's "reader + decode + typed-array flow
 *   table" row measured), then reader + decode + `flow/table.ts` with no detector (the floor
 *   the detectors add to), then the full Analyzer with the default config, then the same
 *   with the read-ahead Worker (`capture.read_ahead`); each in a process of its own
 *   (`_pass_child.ts`, one warm-up then the timed runs), so that how V8 optimised one row
 *   does not colour the next. A pass is timed
 *   from opening the file to the end of `finish`; CPU time counts every thread of the
 *   process. Alerts are collected into an array and reported by detector.
 * - `pipeline-detectors` (opt-in: `--only pipeline-detectors`): the same with one detector
 *   enabled at a time, to find which one costs what.
 *
 * @module
 */

import { CaptureFileReader, newFrame } from "../ffi/file_reader.ts";
import { Analyzer } from "../pipeline.ts";
import { type Config, defaultConfig } from "../config/mod.ts";
import type { Alert } from "../detect/alert.ts";
import type { Frame } from "../decode/packet.ts";
import type { BenchContext, BenchResult, BenchSection } from "./run.ts";
import { retimeTcpdump } from "./_tcpdump.ts";
import type { PassReport } from "./_pass_child.ts";
import { median, row, runChild } from "./_stats.ts";
import process from "node:process";

/** Names of the scan detector sections of a config (`scan.trw`, ...). */
function detectorNames(config: Config): string[] {
  return Object.keys(config).filter((k) => k.startsWith("scan."));
}

/** `config` with every scan detector disabled except those in `keep`. */
export function withDetectors(config: Config, keep: readonly string[]): Config {
  const out: Record<string, unknown> = { ...config };
  for (const name of detectorNames(config)) {
    if (keep.includes(name)) continue;
    out[name] = { ...(config as unknown as Record<string, object>)[name], enabled: false };
  }
  return out as unknown as Config;
}

/** What one pass over the capture gave. */
export interface Pass {
  packets: number;
  seconds: number;
  /** CPU time of the whole process (every thread) per packet, ns. */
  cpuNsPerPacket: number;
  constructMs: number;
  alerts: Alert[];
  analyzer: Analyzer;
  /** Whether the read-ahead Worker took over the reading. */
  readAhead: boolean;
}

/**
 * One pass: a fresh Analyzer (built outside the timing) fed every frame from the opening of
 * the file to `finish(true)`. `readAhead`: as `CaptureFileReader.open` takes it.
 */
export function analyse(
  path: string,
  config: Config,
  frame: Frame,
  readAhead: boolean | "auto" = false,
): Pass {
  const alerts: Alert[] = [];
  const c0 = performance.now();
  const analyzer = new Analyzer({
    config,
    localAddresses: [],
    onAlert: (a) => alerts.push(a),
    dump: null,
  });
  const constructMs = performance.now() - c0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const reader = CaptureFileReader.open(path, { readAhead });
  let n = 0;
  while (reader.next(frame)) {
    analyzer.onFrame(frame);
    n++;
  }
  analyzer.finish(true);
  const ahead = reader.readingAhead;
  reader.close();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (reader.error !== null) throw new Error(reader.error);
  return {
    packets: n,
    seconds,
    cpuNsPerPacket: ((cpu.user + cpu.system) * 1000) / n,
    constructMs,
    alerts,
    analyzer,
    readAhead: ahead,
  };
}

/** A row with its summary (see `row`). */
function result(
  ctx: BenchContext,
  section: string,
  name: string,
  runs: number[],
  summary: string,
  extra: Record<string, unknown>,
): BenchResult {
  return { ...row(ctx, section, name, runs, extra), summary };
}

/** Alerts by detector, most first. */
export function countByDetector(alerts: readonly Alert[]): Record<string, number> {
  const by: Record<string, number> = {};
  for (const a of alerts) by[a.detector] = (by[a.detector] ?? 0) + 1;
  return Object.fromEntries(Object.entries(by).sort((a, b) => b[1] - a[1]));
}

/** Runs `_pass_child.ts` in a process of its own and returns its report. */
export async function passInChild(
  kind: "decode" | "reference" | "floor" | "full",
  readAhead: boolean | "auto",
  runs: number,
  capture: string,
): Promise<PassReport> {
  return await runChild(new URL("./_pass_child.ts", import.meta.url), [
    kind,
    String(readAhead),
    String(runs),
    capture,
  ]) as PassReport;
}

/** `full-pipeline`: see the module doc. */
export const fullPipelineSection: BenchSection = {
  name: "full-pipeline",
  async run(ctx) {
    const config = defaultConfig();
    const tcpdump = await retimeTcpdump(ctx, "full-pipeline");
    const reference = await passInChild("reference", false, ctx.runs, ctx.capture);
    const floor = await passInChild("floor", false, ctx.runs, ctx.capture);
    const full = await passInChild("full", false, ctx.runs, ctx.capture);
    const ahead = await passInChild("full", "auto", ctx.runs, ctx.capture);
    const byDetector = full.alertsByDetector ?? {};
    const alertText = Object.entries(byDetector).map(([d, n]) => `${d} ${n}`).join(", ");
    const detectors = detectorNames(config).filter((n) =>
      (config as unknown as Record<string, { enabled?: boolean }>)[n]!.enabled !== false
    );
    const ns = (r: PassReport) => 1e9 / median(r.rates);
    const cpu = (r: PassReport) => median(r.cpuNsPerPacket).toFixed(0);
    const tookOver = (r: PassReport) =>
      r.readAheadTookOver ? "" : "; read-ahead did not take over in every run";
    return [
      tcpdump,
      result(
        ctx,
        "full-pipeline",
        "reference: TS reader + decode + minimal typed-array flow table (counters only)",
        reference.rates,
        `${ns(reference).toFixed(0)} ns/pkt; flows ${reference.referenceFlows}; ` +
          `DESIGN.md's "reader + decode + typed-array flow table" row`,
        {
          cpuNsPerPacket: reference.cpuNsPerPacket,
          flows: reference.referenceFlows,
          skipped: reference.referenceSkipped,
        },
      ),
      result(
        ctx,
        "full-pipeline",
        "TS reader + decode + flow table, no detector (floor)",
        floor.rates,
        `${ns(floor).toFixed(0)} ns/pkt; CPU ${cpu(floor)} ns/pkt`,
        { cpuNsPerPacket: floor.cpuNsPerPacket },
      ),
      result(
        ctx,
        "full-pipeline",
        `TS reader + Analyzer.onFrame (decode, defrag, flows, ${detectors.length} scan detectors)`,
        full.rates,
        `${ns(full).toFixed(0)} ns/pkt; CPU ${cpu(full)} ns/pkt; alerts ${full.alerts}${
          alertText ? ` (${alertText})` : ""
        }; flows ${(full.stats as { flowsCreated: number }).flowsCreated}`,
        {
          cpuNsPerPacket: full.cpuNsPerPacket,
          alerts: full.alerts,
          alertsByDetector: byDetector,
          alertExamples: full.alertExamples,
          ...full.stats,
          analyzerConstructMs: Math.round(full.constructMs ?? 0),
          perPacketNs: Math.round(ns(full)),
          detectorsCostNsPerPacket: Math.round(ns(full) - ns(floor)),
        },
      ),
      result(
        ctx,
        "full-pipeline",
        "the same with the read-ahead Worker (capture.read_ahead = true)",
        ahead.rates,
        `${ns(ahead).toFixed(0)} ns/pkt; CPU ${cpu(ahead)} ns/pkt (both threads)${tookOver(ahead)}`,
        { cpuNsPerPacket: ahead.cpuNsPerPacket, readAheadTookOver: ahead.readAheadTookOver },
      ),
    ];
  },
};

/** `pipeline-detectors` (opt-in): see the module doc. */
export const pipelineDetectorsSection: BenchSection = {
  name: "pipeline-detectors",
  optIn: true,
  run(ctx) {
    const config = defaultConfig();
    const frame = newFrame();
    const variants: [string, Config][] = [
      ["no detector", withDetectors(config, [])],
      ...detectorNames(config).map((n): [string, Config] => [n, withDetectors(config, [n])]),
      ["all detectors", config],
    ];
    for (const [, c] of variants) analyse(ctx.capture, c, frame);
    const runs = variants.map(() => [] as number[]);
    const runsEach = Math.max(3, ctx.runs);
    for (let i = 0; i < runsEach; i++) {
      variants.forEach(([, c], j) => {
        const p = analyse(ctx.capture, c, frame);
        runs[j]!.push(p.packets / p.seconds);
      });
    }
    const floor = 1e9 / median(runs[0]!);
    return Promise.resolve(variants.map(([name], j) => {
      const ns = 1e9 / median(runs[j]!);
      return result(
        ctx,
        "pipeline-detectors",
        `Analyzer with ${name}`,
        runs[j]!,
        `${ns.toFixed(0)} ns/pkt` +
          (j > 0 ? ` (+${(ns - floor).toFixed(0)} over no detector)` : ""),
        {},
      );
    }));
  },
};
