/**
 * Benchmark sections of the whole analysis: the TS capture reader feeding
 * `Analyzer.onFrame` (decode → defrag → flow table → every scan detector, default config),
 * timed against tcpdump's raw read of the same file in the same run (DESIGN.md, Speed).
 *
 * - `full-pipeline`: reader + decode + flow table with no detector (the floor the detectors
 *   add to), then the full Analyzer with the default config, then the same on one thread (no
 *   read-ahead Worker); the three are timed alternately, after one warm-up of each, so that a
 *   change of machine load hits them alike. A pass is timed from opening the file to the end
 *   of `finish`; CPU time counts every thread of the process. Alerts are collected into an
 *   array and reported by detector.
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
import { median } from "./_stats.ts";
import process from "node:process";

/** Names of the scan detector sections of a config (`scan.trw`, ...). */
function detectorNames(config: Config): string[] {
  return Object.keys(config).filter((k) => k.startsWith("scan."));
}

/** `config` with every scan detector disabled except those in `keep`. */
function withDetectors(config: Config, keep: readonly string[]): Config {
  const out: Record<string, unknown> = { ...config };
  for (const name of detectorNames(config)) {
    if (keep.includes(name)) continue;
    out[name] = { ...(config as unknown as Record<string, object>)[name], enabled: false };
  }
  return out as unknown as Config;
}

/** What one pass over the capture gave. */
interface Pass {
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
function analyse(
  path: string,
  config: Config,
  frame: Frame,
  readAhead: boolean | "auto" = "auto",
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

function result(
  ctx: BenchContext,
  section: string,
  name: string,
  runs: number[],
  summary: string,
  extra: Record<string, unknown>,
): BenchResult {
  const pps = median(runs);
  return {
    section,
    name,
    packetsPerSec: pps,
    ratio: ctx.tcpdumpRate > 0 ? pps / ctx.tcpdumpRate : null,
    runs,
    summary,
    extra,
  };
}

/** Alerts by detector, most first. */
function countByDetector(alerts: readonly Alert[]): Record<string, number> {
  const by: Record<string, number> = {};
  for (const a of alerts) by[a.detector] = (by[a.detector] ?? 0) + 1;
  return Object.fromEntries(Object.entries(by).sort((a, b) => b[1] - a[1]));
}

/** `full-pipeline`: see the module doc. */
export const fullPipelineSection: BenchSection = {
  name: "full-pipeline",
  run(ctx) {
    const config = defaultConfig();
    const bare = withDetectors(config, []);
    const frame = newFrame();
    // Warm-up of each (JIT), then alternate.
    analyse(ctx.capture, bare, frame);
    analyse(ctx.capture, config, frame);
    analyse(ctx.capture, config, frame, false);
    const bareRuns: number[] = [], fullRuns: number[] = [], oneRuns: number[] = [];
    const fullCpu: number[] = [], oneCpu: number[] = [];
    let last: Pass | null = null;
    let readAhead = true;
    const construct: number[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      const b = analyse(ctx.capture, bare, frame);
      bareRuns.push(b.packets / b.seconds);
      const p = analyse(ctx.capture, config, frame);
      fullRuns.push(p.packets / p.seconds);
      fullCpu.push(p.cpuNsPerPacket);
      readAhead &&= p.readAhead;
      construct.push(p.constructMs);
      last = p;
      const o = analyse(ctx.capture, config, frame, false);
      oneRuns.push(o.packets / o.seconds);
      oneCpu.push(o.cpuNsPerPacket);
    }
    const p = last!;
    const s = p.analyzer.stats();
    const byDetector = countByDetector(p.alerts);
    const alertText = Object.entries(byDetector).map(([d, n]) => `${d} ${n}`).join(", ");
    const samples: Record<string, string> = {};
    for (const a of p.alerts) samples[a.detector] ??= a.signature;
    const detectors = detectorNames(config).filter((n) =>
      (config as unknown as Record<string, { enabled?: boolean }>)[n]!.enabled !== false
    );
    return Promise.resolve([
      result(
        ctx,
        "full-pipeline",
        "TS reader + decode + flow table, no detector (floor)",
        bareRuns,
        `${(1e9 / median(bareRuns)).toFixed(0)} ns/pkt`,
        {},
      ),
      result(
        ctx,
        "full-pipeline",
        `TS reader + Analyzer.onFrame (decode, defrag, flows, ${detectors.length} scan detectors)`,
        fullRuns,
        `${(1e9 / median(fullRuns)).toFixed(0)} ns/pkt; CPU ${
          median(fullCpu).toFixed(0)
        } ns/pkt (both threads)${
          readAhead ? "" : "; read-ahead did not take over in every run"
        }; alerts ${p.alerts.length}${
          alertText ? ` (${alertText})` : ""
        }; flows ${s.engine.flowsCreated}`,
        {
          cpuNsPerPacket: fullCpu,
          readAheadTookOver: readAhead,
          alerts: p.alerts.length,
          alertsByDetector: byDetector,
          alertExamples: samples,
          flowsCreated: s.engine.flowsCreated,
          flowEvictions: s.engine.evictions,
          flowTimeouts: s.engine.flowTimeouts,
          untracked: s.engine.untracked,
          anomalies: s.anomalies,
          defragCompleted: s.defrag["defrag.completed"] ?? 0,
          detectors: s.engine.detectors,
          analyzerConstructMs: Math.round(median(construct)),
          perPacketNs: Math.round(1e9 / median(fullRuns)),
          detectorsCostNsPerPacket: Math.round(1e9 / median(fullRuns) - 1e9 / median(bareRuns)),
        },
      ),
      result(
        ctx,
        "full-pipeline",
        "the same, one thread (no read-ahead Worker)",
        oneRuns,
        `${(1e9 / median(oneRuns)).toFixed(0)} ns/pkt; CPU ${median(oneCpu).toFixed(0)} ns/pkt`,
        { cpuNsPerPacket: oneCpu },
      ),
    ]);
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
