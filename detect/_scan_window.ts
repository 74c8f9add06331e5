/**
 * The counting shared by the windowed scan detectors: per key (a source, or a source and a
 * target), the distinct items (ports, hosts, sources) probed within a window.
 *
 * Window rule: counting starts at the first probe; when `window` seconds pass without the
 * threshold being reached, counting restarts. Once a key has alerted it stays alerted (no
 * repeat alert, probes still counted) until it is idle for `window` seconds and expires.
 *
 * @module
 */

import { formatIp } from "../flow/address.ts";
import { KeyedStates, type Timed } from "./_keyed_states.ts";

/** Most items kept as a sample in alert evidence. */
export const SAMPLE_MAX = 20;

/** Counting state of one key. */
export interface ScanState extends Timed {
  /** Time of the first probe counted in this state, and of the latest. */
  firstTs: number;
  lastTs: number;
  /** Start of the current counting window. */
  windowStart: number;
  /** Probes seen (all, including repeats and after the alert). */
  probes: number;
  /** Distinct items in the current window (at most the threshold: counting stops there). */
  distinct: Set<number>;
  /** First items seen, as labels, at most {@link SAMPLE_MAX}. */
  sample: (string | number)[];
  alerted: boolean;
  /** The last observe() created or restarted this state. */
  fresh: boolean;
  /** The last observe() added a new distinct item. */
  added: boolean;
  /** Address family of the key, filled by the detector when fresh. */
  fam: number;
  /** Free counters for the detector (e.g. answered contacts, probe kinds). */
  extra: number[];
}

/** Per-key distinct counting with a window, a cap on keys and an eviction counter. */
export class ScanWindow {
  readonly states: KeyedStates<ScanState>;

  /**
   * @param window seconds: counting window, and idle time after which a key is forgotten
   * @param threshold distinct items that make an alert
   * @param maxKeys cap on keys held (least recently seen evicted)
   */
  constructor(readonly window: number, readonly threshold: number, maxKeys: number) {
    this.states = new KeyedStates<ScanState>(maxKeys, window);
  }

  /** Counts one probe of `item` under `key` at `now`; returns the key's state. */
  observe(key: number, now: number, item: number): ScanState {
    let s = this.states.get(key, now);
    if (s === undefined) {
      s = {
        firstTs: now,
        lastTs: now,
        windowStart: now,
        probes: 0,
        distinct: new Set(),
        sample: [],
        alerted: false,
        fresh: true,
        added: false,
        fam: 0,
        movedTs: now,
        extra: [0, 0, 0, 0, 0, 0, 0, 0],
      };
      this.states.set(key, s);
    } else {
      s.fresh = false;
      if (!s.alerted && now - s.windowStart > this.window) {
        s.windowStart = now;
        s.firstTs = now;
        s.probes = 0;
        s.distinct.clear();
        s.sample.length = 0;
        s.extra.fill(0);
        s.fresh = true;
      }
    }
    s.lastTs = now;
    s.probes++;
    s.added = false;
    if (!s.alerted && s.distinct.size < this.threshold && !s.distinct.has(item)) {
      s.distinct.add(item);
      s.added = true;
    }
    return s;
  }

  /** True when the state just reached the threshold (and marks it alerted). */
  crossed(s: ScanState): boolean {
    if (s.alerted || s.distinct.size < this.threshold) return false;
    s.alerted = true;
    return true;
  }

  /** Forgets keys idle for a window. */
  expire(now: number): void {
    this.states.expire(now);
  }
}

/** A sample sorted (numbers ascending, then strings), for evidence. */
export function sortedSample(sample: readonly (string | number)[]): (string | number)[] {
  return [...sample].sort((a, b) =>
    typeof a === "number" && typeof b === "number"
      ? a - b
      : String(a).localeCompare(String(b), "en", { numeric: true })
  );
}

/**
 * Adds an address to a state's sample without making a string on the hot path: IPv4 as its
 * number (formatted by {@link addressSample} at alert time), IPv6 as text.
 */
export function sampleAddress(s: ScanState, fam: number, words: ArrayLike<number>, off: number) {
  if (s.sample.length >= SAMPLE_MAX) return;
  s.sample.push(fam === 4 ? words[off]! >>> 0 : formatIp(fam, words, off));
}

/** An address sample for evidence: sorted (IPv4 numerically), as text. */
export function addressSample(sample: readonly (string | number)[]): string[] {
  return sortedSample(sample).map((a) => typeof a === "number" ? formatIp(4, [a]) : a);
}
