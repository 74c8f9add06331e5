/**
 * One capture's analysis: decode → (defragment) → flows and detectors, frame by frame.
 *
 * The same {@link Analyzer} runs offline on the main thread and live inside the capture
 * Worker. It has no side effects of its own: alerts, dump lines and sampled anomaly lines go
 * to the callbacks its owner gives. Ordinary frames allocate nothing (strings are made only
 * for `--dump` and for sampled anomalies).
 *
 * @module
 */

import {
  AnomalyCounter,
  decodeFrame,
  decodeIpPacket,
  type Frame,
  LayerBit,
  Packet,
  packetToJson,
  packetToText,
  problemName,
} from "./decode/mod.ts";
import { Defragmenter } from "./flow/defrag.ts";
import { Engine, type EngineStats } from "./detect/engine.ts";
import type { Alert } from "./detect/alert.ts";
import type { Config } from "./config/mod.ts";

// A module-private copy of the constant the per-frame code reads (see flow/table.ts).
const LB_FRAGMENT = LayerBit.fragment;

/** How an {@link Analyzer} reports. */
export interface AnalyzerOptions {
  readonly config: Config;
  /** This host's addresses (alert directions); empty in offline mode. */
  readonly localAddresses: readonly string[];
  readonly onAlert: (alert: Alert) => void;
  /** `--dump` format, or null for none. */
  readonly dump: "text" | "json" | null;
  /** Receives one line per frame when `dump` is set. */
  readonly onDump?: (line: string) => void;
  /** Receives sampled descriptions of malformed frames (the first 25 per kind, then 1 in 1000). */
  readonly onAnomaly?: (line: string) => void;
}

/** Counters of an {@link Analyzer}. */
export interface AnalyzerStats {
  frames: number;
  bytes: number;
  /** Capture time of the newest frame (seconds), 0 before the first. */
  lastTs: number;
  /** Malformed frames per `layer.problem`. */
  anomalies: Record<string, number>;
  defrag: Record<string, number>;
  engine: EngineStats;
}

/** Decodes frames and runs the flow table and detectors over them. */
export class Analyzer {
  readonly engine: Engine;
  readonly defrag: Defragmenter;
  readonly anomalies: AnomalyCounter = new AnomalyCounter();
  #pkt = new Packet();
  /** Decodes reassembled datagrams, so that the frame's packet is left as it was. */
  #whole = new Packet();
  #dump: "text" | "json" | null;
  #onDump: (line: string) => void;
  #onAnomaly: (line: string) => void;
  #unansweredTimeout: number;
  frames = 0;
  bytes = 0;
  lastTs = 0;

  constructor(opts: AnalyzerOptions) {
    const c = opts.config;
    const detectors: Record<string, Readonly<Record<string, unknown>>> = {};
    for (const [name, values] of Object.entries(c)) {
      if (name.startsWith("scan.")) detectors[name] = values as Record<string, unknown>;
    }
    this.engine = new Engine({
      flow: c.flow,
      detectors,
      allowlist: c.response.allowlist,
      localAddresses: opts.localAddresses,
      emit: opts.onAlert,
    });
    this.defrag = new Defragmenter(c.defrag);
    this.#unansweredTimeout = c.flow.unanswered_timeout;
    this.#dump = opts.dump;
    this.#onDump = opts.onDump ?? (() => {});
    this.#onAnomaly = opts.onAnomaly ?? (() => {});
  }

  /** Analyses one frame; the frame's bytes are not kept after it returns. */
  onFrame(frame: Frame): void {
    const pkt = this.#pkt;
    decodeFrame(frame, pkt);
    this.frames++;
    this.bytes += frame.len;
    if (pkt.ts > this.lastTs) this.lastTs = pkt.ts;
    if (pkt.problem !== null) this.#anomaly(pkt);
    if (this.#dump !== null) {
      this.#onDump(
        this.#dump === "json" ? JSON.stringify(packetToJson(pkt)) : packetToText(pkt),
      );
    }
    if ((pkt.layers & LB_FRAGMENT) !== 0) {
      // Fragments go to reassembly only; the flow table sees the whole datagram once.
      const datagram = this.defrag.push(pkt);
      if (datagram === null) return;
      const whole = this.#whole;
      decodeIpPacket(datagram, 0, datagram.length, whole);
      whole.ts = pkt.ts;
      whole.tsSec = pkt.tsSec;
      whole.tsNsec = pkt.tsNsec;
      whole.linkType = pkt.linkType;
      if (whole.problem !== null) this.#anomaly(whole);
      this.engine.onPacket(whole);
      return;
    }
    this.engine.onPacket(pkt);
  }

  /** Replaces this host's addresses (alert directions); see `Engine.setLocalAddresses`. */
  setLocalAddresses(addresses: readonly string[]): void {
    this.engine.setLocalAddresses(addresses);
  }

  /** Advances the clock on an idle link (live mode): timeouts and expiry run. */
  tick(now: number): void {
    this.defrag.expire(now);
    this.engine.tick(now);
  }

  /**
   * End of input: ends every flow. At the end of a capture file (`endOfFile`), the clock first
   * moves on by `flow.unanswered_timeout`, so that connection attempts the file shows no reply
   * to are judged unanswered, as they would have been had the capture gone on; at the end of a
   * live capture nothing is judged for lack of time.
   */
  finish(endOfFile: boolean): void {
    if (endOfFile && this.lastTs > 0) this.tick(this.lastTs + this.#unansweredTimeout);
    this.engine.finish();
  }

  stats(): AnalyzerStats {
    return {
      frames: this.frames,
      bytes: this.bytes,
      lastTs: this.lastTs,
      anomalies: Object.fromEntries(this.anomalies.entries()),
      defrag: { ...this.defrag.stats() },
      engine: this.engine.stats(),
    };
  }

  #anomaly(pkt: Packet): void {
    const problem = pkt.problem;
    if (problem === null) return;
    if (this.anomalies.record(problem)) {
      this.#onAnomaly(
        `malformed frame ${this.frames} (${problemName(problem)}): ${packetToText(pkt)}`,
      );
    }
  }
}
