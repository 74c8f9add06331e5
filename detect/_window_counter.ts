/**
 * The counting shared by the windowed scan detectors: per key (a source, or a source and a
 * target), the distinct items (ports, hosts, sources) probed within a window, with the
 * probe count, a few tallies the detector names, and the labels of the first items for the
 * alert's sample. State lives in typed arrays indexed by slot ({@link KeySlots},
 * {@link ItemLists}): a new key allocates nothing, and an evicted key's slot is reused.
 *
 * Window rule: counting starts at the first probe; when `window` seconds pass without the
 * threshold being reached, counting restarts. Once a key has alerted it stays alerted (no
 * repeat alert, probes still counted) until it is idle for `window` seconds and expires.
 *
 * A slot number returned by {@link WindowCounter.observe} or {@link WindowCounter.find} is
 * valid until the next call of either on the same counter.
 *
 * @module
 */

import { formatIp } from "../flow/address.ts";
import { isFailedOutcome, Outcome, type OutcomeCode } from "../flow/table.ts";
import type { Evidence } from "./alert.ts";
import type { Detector } from "./detector.ts";
import { evidenceTime } from "./_alert.ts";
import { ItemLists } from "./_item_lists.ts";
import { KeySlots } from "./_key_slots.ts";

/** Most items kept as a sample in alert evidence. */
export const SAMPLE_MAX = 20;

/** Config key every detector has. */
export const enabledKey = { type: "boolean", default: true, doc: "Run this detector." } as const;

/** The `max_keys` config key of the windowed detectors (scan.port words its own). */
export const maxKeysKey = {
  type: "integer",
  default: 2_000,
  min: 16,
  doc: "Most keys tracked; the least recently active is evicted (counted in stats). " +
    "Each key costs at most about 2.5 KB. Higher keeps real scanners tracked during a " +
    "flood of spoofed sources; lower bounds memory tighter.",
} as const;

// Flag bits of a key.
const ALERTED = 1, FRESH = 2, ADDED = 4, LOCAL_TARGET = 8;
/** Label words of an item: family, four address words, port. */
const LABEL_WIDTH = 6;

/** Options of a {@link WindowCounter}. */
export interface WindowCounterOptions {
  /** Tallies kept per key (`tally(k, 0 .. tallies-1)`), reset with the window. */
  tallies?: number;
  /** Keep an address (and port) label per sampled item, for address or endpoint samples. */
  labels?: boolean;
}

/** Per-key distinct counting with a window, a cap on keys and an eviction counter. */
export class WindowCounter {
  private readonly slots: KeySlots;
  private readonly items: ItemLists;
  private readonly firstTs: Float64Array;
  private readonly probeCount: Float64Array;
  private readonly flags: Uint8Array;
  private readonly tallies: Float64Array;
  private readonly talliesPerKey: number;
  private lastEntry = -1;

  /**
   * @param window seconds: counting window, and idle time after which a key is forgotten
   * @param threshold distinct items that make an alert
   * @param maxKeys cap on keys held (least recently seen evicted)
   */
  constructor(
    readonly window: number,
    readonly threshold: number,
    maxKeys: number,
    opts: WindowCounterOptions = {},
  ) {
    this.slots = new KeySlots(maxKeys, window);
    this.items = new ItemLists(maxKeys, opts.labels ? LABEL_WIDTH : 0);
    this.firstTs = new Float64Array(maxKeys);
    this.probeCount = new Float64Array(maxKeys);
    this.flags = new Uint8Array(maxKeys);
    this.talliesPerKey = opts.tallies ?? 0;
    this.tallies = new Float64Array(maxKeys * this.talliesPerKey);
  }

  /** Keys held. */
  get size(): number {
    return this.slots.size;
  }

  /** Keys evicted by the cap. */
  get evictions(): number {
    return this.slots.evictions;
  }

  /** Counts one probe of `item` under `key` at `now`; returns the key's slot. */
  observe(key: number, now: number, item: number): number {
    let k = this.slots.find(key, now), f: number;
    if (k < 0) {
      k = this.slots.insert(key, now);
      f = this.restart(k, now);
    } else {
      f = this.flags[k]! & (ALERTED | LOCAL_TARGET);
      if ((f & ALERTED) === 0 && now - this.firstTs[k]! > this.window) f = this.restart(k, now);
    }
    this.slots.seen(k, now);
    this.probeCount[k] = this.probeCount[k]! + 1;
    const items = this.items;
    if ((f & ALERTED) === 0 && items.count(k) < this.threshold && !items.has(k, item)) {
      this.lastEntry = items.push(k, item);
      f |= ADDED;
    }
    this.flags[k] = f;
    return k;
  }

  /** The live slot of `key` (without counting a probe), or -1. */
  find(key: number, now: number): number {
    return this.slots.find(key, now);
  }

  /** The last observe() created the key or restarted its window. */
  isFresh(k: number): boolean {
    return (this.flags[k]! & FRESH) !== 0;
  }

  /** The last observe() added a new distinct item. */
  wasAdded(k: number): boolean {
    return (this.flags[k]! & ADDED) !== 0;
  }

  /** The key has alerted (and stays so until it expires). */
  isAlerted(k: number): boolean {
    return (this.flags[k]! & ALERTED) !== 0;
  }

  /** Marks the key alerted without an alert of its own (one alert per key across windows). */
  markAlerted(k: number): void {
    this.flags[k] = this.flags[k]! | ALERTED;
  }

  /** True when the key just reached the threshold (and marks it alerted). */
  crossed(k: number): boolean {
    if (this.isAlerted(k) || this.items.count(k) < this.threshold) return false;
    this.markAlerted(k);
    return true;
  }

  /** Adds one to the key's tally `i`. */
  tally(k: number, i: number): void {
    const j = k * this.talliesPerKey + i;
    this.tallies[j] = this.tallies[j]! + 1;
  }

  /** The key's tally `i`. */
  tallyOf(k: number, i: number): number {
    return this.tallies[k * this.talliesPerKey + i]!;
  }

  /** Notes that a counted target is this host (a sweep is then inbound). */
  markLocalTarget(k: number): void {
    this.flags[k] = this.flags[k]! | LOCAL_TARGET;
  }

  /** Some counted target was this host. */
  hasLocalTarget(k: number): boolean {
    return (this.flags[k]! & LOCAL_TARGET) !== 0;
  }

  /**
   * Keeps the address (family `fam`, words at `off`) and `port` as the label of the item
   * the last observe() added to key `k` (only the first {@link SAMPLE_MAX} are sampled).
   */
  label(k: number, fam: number, words: ArrayLike<number>, off: number, port = 0): void {
    if (this.items.count(k) > SAMPLE_MAX) return;
    const l = this.items.labels, b = this.lastEntry * LABEL_WIDTH;
    l[b] = fam;
    l[b + 1] = words[off]!;
    if (fam === 6) {
      l[b + 2] = words[off + 1]!;
      l[b + 3] = words[off + 2]!;
      l[b + 4] = words[off + 3]!;
    }
    l[b + 5] = port;
  }

  /** Probes counted in the key's window (all, including repeats and after the alert). */
  probes(k: number): number {
    return this.probeCount[k]!;
  }

  /** Distinct items in the key's window (at most the threshold: counting stops there). */
  distinct(k: number): number {
    return this.items.count(k);
  }

  /** The first items counted, sorted (numbers: ports). */
  itemSample(k: number): (string | number)[] {
    return sortedSample(this.items.entries(k, SAMPLE_MAX).map((e) => this.items.item(e)));
  }

  /** The labels of the first items, as addresses: sorted (IPv4 numerically), as text. */
  addressSample(k: number): string[] {
    const l = this.items.labels;
    return addressSample(
      this.items.entries(k, SAMPLE_MAX).map((e) => {
        const b = e * LABEL_WIDTH;
        return l[b] === 4 ? l[b + 1]! : formatIp(6, l, b + 1);
      }),
    );
  }

  /** The labels of the first items, as `address:port` (IPv6 `address.port`), sorted. */
  endpointSample(k: number): (string | number)[] {
    const l = this.items.labels;
    return sortedSample(
      this.items.entries(k, SAMPLE_MAX).map((e) => {
        const b = e * LABEL_WIDTH, fam = l[b]!;
        return `${formatIp(fam, l, b + 1)}${fam === 6 ? "." : ":"}${l[b + 5]}`;
      }),
    );
  }

  /** The evidence every windowed alert ends with: threshold, window, first and last probe. */
  windowEvidence(k: number, now: number): { [key: string]: Evidence } {
    return {
      threshold: this.threshold,
      window_s: this.window,
      first: evidenceTime(this.firstTs[k]!),
      last: evidenceTime(now),
    };
  }

  /** Forgets keys idle for a window. */
  expire(now: number): void {
    this.slots.expire(now);
  }

  /** Starts a new window for slot `k` at `now`; returns its flags (fresh). */
  private restart(k: number, now: number): number {
    this.firstTs[k] = now;
    this.probeCount[k] = 0;
    this.items.clear(k);
    const n = this.talliesPerKey;
    if (n > 0) this.tallies.fill(0, k * n, k * n + n);
    return FRESH;
  }
}

/** What the windowed detectors share: their counters' expiry and stats, an alert count. */
export abstract class WindowedDetector implements Detector {
  /** Alerts emitted. */
  protected alerts = 0;

  constructor(private readonly counters: readonly WindowCounter[]) {}

  tick(now: number): void {
    for (const c of this.counters) c.expire(now);
  }

  stats(): { tracked: number; evictions: number; alerts: number } {
    let tracked = 0, evictions = 0;
    for (const c of this.counters) {
      tracked += c.size;
      evictions += c.evictions;
    }
    return { tracked, evictions, alerts: this.alerts };
  }
}

/**
 * A probe that found nothing listening: a TCP attempt refused, unanswered or unreachable, or
 * a UDP datagram refused by ICMP (unanswered UDP is too common to count).
 */
export function isFailedProbe(proto: number, outcome: OutcomeCode): boolean {
  if (proto === 6) return isFailedOutcome(outcome);
  return proto === 17 && outcome === Outcome.refused;
}

/** A sample sorted (numbers ascending, then strings), for evidence. */
export function sortedSample(sample: readonly (string | number)[]): (string | number)[] {
  return [...sample].sort((a, b) =>
    typeof a === "number" && typeof b === "number"
      ? a - b
      : String(a).localeCompare(String(b), "en", { numeric: true })
  );
}

/** An address sample for evidence: sorted (IPv4 numerically), as text. */
export function addressSample(sample: readonly (string | number)[]): string[] {
  return sortedSample(sample).map((a) => typeof a === "number" ? formatIp(4, [a]) : a);
}
