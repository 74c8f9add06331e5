/**
 * Suppression of repeated alerts: one alert per (detector, offender, target) per interval.
 * Repeats inside the interval are counted; the count rides on the next alert of the same
 * triple that passes (`suppressed`), or, when none comes, is reported by {@link Suppressor.sweep}
 * as a summary once the interval has ended.
 *
 * Time is the caller's (the capture clock), in seconds, so a replay gives the same result at
 * any speed. Memory is bounded: at most `maxKeys` triples are remembered, least recently seen
 * forgotten first (its held-back count is still reported), and sweeps forget ended intervals.
 *
 * @module
 */

import type { Alert } from "../detect/alert.ts";
import { EvictionCursor } from "./_eviction_cursor.ts";

/** Settings of a {@link Suppressor} (`[response.suppress]`). */
export interface SuppressOptions {
  /** Seconds after a passed alert during which its repeats are held back; 0 passes all. */
  readonly intervalS: number;
  /** Most triples remembered at once. */
  readonly maxKeys: number;
}

/** Outcome of {@link Suppressor.check}. */
export type SuppressResult =
  /** Let the alert through; `suppressed` repeats were held back since the previous one. */
  | { readonly pass: true; readonly suppressed: number }
  /** A repeat inside the interval: counted, not acted on. */
  | { readonly pass: false };

/** Repeats that were held back and never reported with a later alert. */
export interface SuppressionSummary {
  readonly detector: string;
  readonly offender: string;
  readonly target: string;
  /** Signature of the last held-back alert. */
  readonly signature: string;
  readonly severity: Alert["severity"];
  readonly count: number;
  /** Capture times of the first and last held-back repeat (seconds). */
  readonly firstTs: number;
  readonly lastTs: number;
  /** Why it is reported now: the interval ended, or the entry was evicted to make room. */
  readonly reason: "interval" | "evicted";
}

interface Entry {
  detector: string;
  offender: string;
  target: string;
  signature: string;
  severity: Alert["severity"];
  /** Time the last alert passed; the interval runs from here. */
  windowStart: number;
  count: number;
  firstTs: number;
  lastTs: number;
}

/** Summaries of evicted entries waiting for the next sweep; beyond this only counted. */
const MAX_PENDING_SUMMARIES = 1000;

/** The key triple of an alert: detector, the offender (or source when empty), the target. */
export function suppressionKey(alert: Alert): string {
  return `${alert.detector}\u0000${alert.offender || alert.srcIp}\u0000${alert.destIp}`;
}

/** Holds back repeats of the same alert; see the module doc. */
export class Suppressor {
  readonly #intervalS: number;
  readonly #maxKeys: number;
  /** Insertion order is recency order: a touched entry is moved to the end. */
  readonly #entries = new Map<string, Entry>();
  /** Finds the least recently seen entry without walking the Map's holes (see the helper). */
  readonly #oldest = new EvictionCursor(this.#entries);
  #pending: SuppressionSummary[] = [];
  /** Held-back repeats whose summary could not be kept (pending list full). */
  lostRepeats = 0;
  /** Entries forgotten to stay within `maxKeys`. */
  evictions = 0;

  constructor(options: SuppressOptions) {
    this.#intervalS = options.intervalS;
    this.#maxKeys = Math.max(1, Math.floor(options.maxKeys));
  }

  /** Number of triples remembered now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Decides whether `alert`, seen at capture time `nowS`, passes or is a held-back repeat. */
  check(alert: Alert, nowS: number): SuppressResult {
    if (this.#intervalS <= 0) return { pass: true, suppressed: 0 };
    const key = suppressionKey(alert);
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      // A capture clock can step back a little; treat that as inside the interval.
      if (nowS - entry.windowStart < this.#intervalS) {
        if (entry.count === 0) entry.firstTs = nowS;
        entry.count++;
        entry.lastTs = nowS;
        entry.signature = alert.signature;
        entry.severity = alert.severity;
        return { pass: false };
      }
      const suppressed = entry.count;
      entry.windowStart = nowS;
      entry.count = 0;
      entry.signature = alert.signature;
      entry.severity = alert.severity;
      return { pass: true, suppressed };
    }
    while (this.#entries.size >= this.#maxKeys) this.#evictOldest();
    this.#entries.set(key, {
      detector: alert.detector,
      offender: alert.offender || alert.srcIp,
      target: alert.destIp,
      signature: alert.signature,
      severity: alert.severity,
      windowStart: nowS,
      count: 0,
      firstTs: nowS,
      lastTs: nowS,
    });
    return { pass: true, suppressed: 0 };
  }

  /**
   * Forgets triples whose interval has ended and returns the held-back repeats that no later
   * alert reported (plus those of evicted triples). Call it from the periodic tick.
   */
  sweep(nowS: number): SuppressionSummary[] {
    const out = this.#pending;
    this.#pending = [];
    for (const [key, e] of this.#entries) {
      if (nowS - e.windowStart < this.#intervalS) continue;
      this.#entries.delete(key);
      if (e.count > 0) out.push(summaryOf(e, "interval"));
    }
    this.#oldest.reset();
    return out;
  }

  #evictOldest(): void {
    const first = this.#oldest.shift();
    if (first === undefined) return;
    const e = first[1];
    this.evictions++;
    if (e.count === 0) return;
    if (this.#pending.length < MAX_PENDING_SUMMARIES) this.#pending.push(summaryOf(e, "evicted"));
    else this.lostRepeats += e.count;
  }
}

function summaryOf(e: Entry, reason: SuppressionSummary["reason"]): SuppressionSummary {
  return {
    detector: e.detector,
    offender: e.offender,
    target: e.target,
    signature: e.signature,
    severity: e.severity,
    count: e.count,
    firstTs: e.firstTs,
    lastTs: e.lastTs,
    reason,
  };
}
