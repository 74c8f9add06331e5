/**
 * Benchmark child: times one kind of pass over a capture in a process of its own, so that
 * what V8 optimised for one row (say, frames in ordinary buffers) does not slow the next
 * (frames in the read-ahead Worker's shared buffers). Prints one JSON line.
 *
 * Usage: deno run --allow-all bench/_pass_child.ts KIND READ_AHEAD RUNS CAPTURE
 * - KIND: `decode` (reader + decodeFrame), `reference` (reader + decodeFrame + the minimal
 *   flow table of `_minimal_flows.ts`), `floor` (Analyzer with no detector) or `full`
 *   (Analyzer with the default config);
 * - READ_AHEAD: `true`, `false` or `auto`, as `CaptureFileReader.open` takes it.
 *
 * @module
 */

import process from "node:process";
import { CaptureFileReader, newFrame } from "../ffi/file_reader.ts";
import { decodeFrame } from "../decode/mod.ts";
import { type Frame, Packet } from "../decode/packet.ts";
import { defaultConfig } from "../config/mod.ts";
import { analyse, countByDetector, type Pass, withDetectors } from "./pipeline.ts";
import { MinimalFlowTable } from "./_minimal_flows.ts";

/** What the child prints. */
export interface PassReport {
  rates: number[];
  cpuNsPerPacket: number[];
  /** Whether the read-ahead Worker took over in every timed run. */
  readAheadTookOver: boolean;
  layersSeen?: number;
  /** `reference`: flows the minimal table counted, packets it skipped (last run). */
  referenceFlows?: number;
  referenceSkipped?: number;
  /** `full`: the last run's alerts by detector, an example signature each, and counters. */
  alerts?: number;
  alertsByDetector?: Record<string, number>;
  alertExamples?: Record<string, string>;
  stats?: Record<string, unknown>;
  constructMs?: number;
}

/**
 * Reads and decodes every frame of `r`, and counts it in `table` when there is one (the
 * `reference` kind); returns the count and ORs the layers into `seen[0]`.
 */
function readAndDecode(
  r: CaptureFileReader,
  f: Frame,
  pkt: Packet,
  seen: Uint32Array,
  table: MinimalFlowTable | null,
): number {
  let n = 0, layers = 0;
  while (r.next(f)) {
    decodeFrame(f, pkt);
    if (table !== null) table.update(pkt);
    layers |= pkt.layers;
    n++;
  }
  seen[0] = seen[0]! | layers;
  return n;
}

function decodePasses(
  capture: string,
  readAhead: boolean | "auto",
  runs: number,
  reference: boolean,
): PassReport {
  const f = newFrame(), pkt = new Packet(), seen = new Uint32Array(1);
  const report: PassReport = { rates: [], cpuNsPerPacket: [], readAheadTookOver: true };
  for (let i = -1; i < runs; i++) {
    // Built outside the timing, as the Analyzer is for `floor` and `full`; 2^18 entries keep
    // the generated capture's 67 k flows at a load of about a quarter.
    const table = reference ? new MinimalFlowTable(1 << 18) : null;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = CaptureFileReader.open(capture, { readAhead });
    const n = readAndDecode(r, f, pkt, seen, table);
    const ahead = r.readingAhead;
    r.close();
    const s = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    if (r.error !== null) throw new Error(r.error);
    if (i < 0) continue; // warm-up
    report.rates.push(n / s);
    report.cpuNsPerPacket.push(((c.user + c.system) * 1000) / n);
    report.readAheadTookOver &&= ahead;
    if (table !== null) {
      report.referenceFlows = table.flows;
      report.referenceSkipped = table.skipped;
    }
  }
  report.layersSeen = seen[0]!;
  return report;
}

function analysePasses(
  capture: string,
  readAhead: boolean | "auto",
  runs: number,
  detectors: boolean,
): PassReport {
  const config = detectors ? defaultConfig() : withDetectors(defaultConfig(), []);
  const frame = newFrame();
  const report: PassReport = { rates: [], cpuNsPerPacket: [], readAheadTookOver: true };
  let last: Pass | null = null;
  const construct: number[] = [];
  for (let i = -1; i < runs; i++) {
    const p = analyse(capture, config, frame, readAhead);
    if (i < 0) continue; // warm-up
    report.rates.push(p.packets / p.seconds);
    report.cpuNsPerPacket.push(p.cpuNsPerPacket);
    report.readAheadTookOver &&= p.readAhead;
    construct.push(p.constructMs);
    last = p;
  }
  const p = last!;
  const samples: Record<string, string> = {};
  for (const a of p.alerts) samples[a.detector] ??= a.signature;
  const s = p.analyzer.stats();
  report.alerts = p.alerts.length;
  report.alertsByDetector = countByDetector(p.alerts);
  report.alertExamples = samples;
  report.constructMs = construct.sort((a, b) => a - b)[construct.length >> 1]!;
  report.stats = {
    flowsCreated: s.engine.flowsCreated,
    flowEvictions: s.engine.evictions,
    flowTimeouts: s.engine.flowTimeouts,
    untracked: s.engine.untracked,
    anomalies: s.anomalies,
    defragCompleted: s.defrag["defrag.completed"] ?? 0,
    detectors: s.engine.detectors,
  };
  return report;
}

if (import.meta.main) {
  const [kind, ahead, runsText, capture] = Deno.args;
  const readAhead = ahead === "auto" ? "auto" : ahead === "true";
  const runs = Number(runsText);
  if (capture === undefined || !(runs >= 1)) {
    throw new Error(
      "usage: _pass_child.ts decode|reference|floor|full true|false|auto RUNS CAPTURE",
    );
  }
  const report = kind === "decode" || kind === "reference"
    ? decodePasses(capture, readAhead, runs, kind === "reference")
    : analysePasses(capture, readAhead, runs, kind === "full");
  console.log(JSON.stringify(report));
}
