/**
 * The capture Worker: live capture and analysis of one interface, off the main thread so that
 * a busy link never starves the main thread's timers (EVE flushes, ban commits, notifications).
 *
 * Protocol: the main thread posts one {@link WorkerStart}; the worker answers `ready` (or
 * `error`), then `batch` messages (alerts, dump lines, sampled anomalies; at least every
 * 100 ms while there is something to send, and whenever 1024 dump lines have gathered) and
 * `stats` every `output.stats_interval`, and `done` after the main thread sets the stop flag
 * (a SharedArrayBuffer: it is seen even while the worker is busy draining).
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { LiveCapture, newFrame } from "./ffi/mod.ts";
import { Analyzer, type AnalyzerStats } from "./pipeline.ts";
import type { Alert } from "./detect/alert.ts";
import type { Config } from "./config/mod.ts";
import type { CaptureStats } from "./ffi/live.ts";
import { ownAddresses } from "./actions/safety.ts";

/** The one message the main thread sends. */
export interface WorkerStart {
  type: "start";
  device: string;
  config: Config;
  localAddresses: string[];
  dump: "text" | "json" | null;
  /** Int32Array[0] !== 0 asks the worker to stop. */
  stopFlag: SharedArrayBuffer;
}

/** Messages the worker sends. */
export type WorkerMessage =
  | { type: "ready"; device: string; linkType: number; warnings: string[] }
  | { type: "error"; message: string; name: string }
  | { type: "batch"; alerts: Alert[]; dump: string[]; anomalies: string[] }
  | { type: "stats"; ts: number; analyzer: AnalyzerStats; capture: CaptureStats }
  | { type: "done"; analyzer: AnalyzerStats; capture: CaptureStats };

/** Frames drained before the loop checks the stop flag and posts. */
const DRAIN_BATCH = 4096;
/** Most dump lines held before they are posted (DESIGN.md: 1024+ records a message). */
const DUMP_BATCH = 1024;
/** Longest wait in poll on an idle link, so the stop flag and ticks are seen promptly. */
const IDLE_POLL_MS = 100;
/** How often batches are posted and the analyser's clock is advanced, in ms. */
const POST_INTERVAL_MS = 100;
const TICK_INTERVAL_MS = 1000;
/** How often this host's addresses are read again (alert directions follow DHCP changes). */
const ADDRESSES_INTERVAL_MS = 30_000;

const post = (m: WorkerMessage) => self.postMessage(m);

function capture(start: WorkerStart): void {
  const stop = new Int32Array(start.stopFlag);
  const c = start.config.capture;
  let cap: LiveCapture;
  try {
    cap = LiveCapture.open({
      device: start.device,
      snaplen: c.snaplen,
      promiscuous: c.promiscuous,
      immediate: c.immediate,
      bufferSize: c.buffer_size_mb * 1024 * 1024,
      ...(c.filter !== "" ? { filter: c.filter } : {}),
    });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    post({ type: "error", message: err.message, name: err.name });
    return;
  }
  let alerts: Alert[] = [];
  let dump: string[] = [];
  let anomalies: string[] = [];
  const analyzer = new Analyzer({
    config: start.config,
    localAddresses: start.localAddresses,
    dump: start.dump,
    onAlert: (a) => alerts.push(a),
    onDump: (l) => dump.push(l),
    onAnomaly: (l) => anomalies.push(l),
  });
  post({ type: "ready", device: cap.device, linkType: cap.linkType, warnings: cap.warnings });
  const flush = () => {
    if (alerts.length === 0 && dump.length === 0 && anomalies.length === 0) return;
    post({ type: "batch", alerts, dump, anomalies });
    alerts = [];
    dump = [];
    anomalies = [];
  };
  const frame = newFrame();
  const statsMs = Math.max(1, start.config.output.stats_interval) * 1000;
  let lastPost = Date.now(), lastTick = lastPost, lastStats = lastPost, lastAddresses = lastPost;
  let local = [...start.localAddresses].sort().join(",");
  try {
    while (Atomics.load(stop, 0) === 0) {
      let n = 0;
      while (n < DRAIN_BATCH && cap.next(frame)) {
        analyzer.onFrame(frame);
        n++;
        if (dump.length >= DUMP_BATCH) flush();
      }
      const wall = Date.now();
      if (wall - lastTick >= TICK_INTERVAL_MS) {
        // Live time is the newest capture timestamp, moved on by the timer on an idle link.
        analyzer.tick(Math.max(analyzer.lastTs, wall / 1000));
        lastTick = wall;
      }
      if (wall - lastPost >= POST_INTERVAL_MS || alerts.length > 0) {
        flush();
        lastPost = wall;
      }
      if (wall - lastAddresses >= ADDRESSES_INTERVAL_MS) {
        const now = ownAddresses();
        const key = [...now].sort().join(",");
        // An empty list means they could not be read (no --allow-sys): keep the old ones.
        if (now.length > 0 && key !== local) {
          analyzer.setLocalAddresses(now);
          local = key;
        }
        lastAddresses = wall;
      }
      if (wall - lastStats >= statsMs) {
        post({ type: "stats", ts: wall / 1000, analyzer: analyzer.stats(), capture: cap.stats() });
        lastStats = wall;
      }
      // This thread is the capture's own: it waits in poll on it (one system call a wake-up,
      // no thread hand-off, no promise) and never needs its event loop after the start.
      if (n === 0) cap.waitReadableSync(IDLE_POLL_MS);
    }
    // Drain what is already captured, then end every flow.
    while (cap.next(frame)) analyzer.onFrame(frame);
    analyzer.finish(false);
    flush();
    post({ type: "done", analyzer: analyzer.stats(), capture: cap.stats() });
  } catch (e) {
    flush();
    const err = e instanceof Error ? e : new Error(String(e));
    post({ type: "error", message: `capture failed: ${err.message}`, name: err.name });
  } finally {
    cap.close();
  }
}

self.onmessage = (e: MessageEvent<WorkerStart>) => {
  if (e.data?.type === "start") {
    try {
      capture(e.data);
    } finally {
      self.close();
    }
  }
};
