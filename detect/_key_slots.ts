/**
 * Per-key detector state without per-key objects: numeric keys (below 2^53, as
 * `addressKey`/`pairKey` make them) map to slots `0 .. maxKeys-1` of preallocated typed
 * arrays, through an open-addressing hash index (linear probing, backward-shift deletion,
 * each entry holding the key's hash beside the slot, as in flow/table.ts). Slots sit on one least-recently-used list, so that both idle expiry
 * and eviction (when all slots are taken) pop its head. The owner keeps its per-key fields
 * in its own arrays indexed by slot, and sets them when {@link KeySlots.insert} hands out a
 * slot (a reused slot still holds the previous key's values).
 *
 * @module
 */

import {
  doubledHashIndex,
  hashIndexEntries,
  insertIntoHashIndex,
  randomHashSeed,
  removeFromHashIndex,
} from "../flow/_hash_index.ts";

/** Entries of a new index (it doubles as keys are added). */
const INITIAL_INDEX_ENTRIES = 256;

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return (h ^ (h >>> 15)) | 0;
}

/** A capped, expiring map from numeric keys to slots, in least-recently-used order. */
export class KeySlots {
  /**
   * Per slot `s`, at `2s`: its key, and the time it was last seen (set by the owner with
   * {@link seen}); side by side so that a lookup reads one cache line for both.
   */
  private readonly rec: Float64Array;
  /** Least-recently-used order: `[prev, next]` of slot `s` at `2s` (next threads the free list). */
  private readonly links: Int32Array;
  /**
   * Hash index: entry `i` is `[hash, slot + 1]` at `2i` (slot 0: empty). It starts small and
   * doubles as keys are added, up to {@link maxIndexEntries} (load at most one half), so that
   * a few hundred keys sit in a few KiB that stay cached, not spread over the index a full cap
   * needs.
   */
  private index: Int32Array;
  private mask: number;
  private readonly maxIndexEntries: number;
  private head = -1;
  private tail = -1;
  private freeHead = 0;
  private count = 0;
  /** Keys pushed out by the cap. */
  evictions = 0;
  /** Seed of the key hash, random per instance (see `randomHashSeed`). */
  private readonly seed = randomHashSeed();

  /**
   * @param maxKeys most keys held; the least recently used is evicted beyond it
   * @param ttl seconds without {@link seen} after which a key is forgotten
   */
  constructor(readonly maxKeys: number, readonly ttl: number) {
    this.maxIndexEntries = hashIndexEntries(maxKeys);
    const size = Math.min(this.maxIndexEntries, INITIAL_INDEX_ENTRIES);
    this.mask = size - 1;
    this.index = new Int32Array(size * 2);
    this.rec = new Float64Array(maxKeys * 2);
    this.links = new Int32Array(maxKeys * 2);
    // Free list threaded through next.
    for (let i = 0; i < maxKeys; i++) this.links[2 * i + 1] = i + 1 < maxKeys ? i + 1 : -1;
  }

  /** Keys held. */
  get size(): number {
    return this.count;
  }

  /**
   * The slot of `key` (moved to the back of the order), or -1 when absent or idle longer
   * than the ttl (an idle key is forgotten here).
   */
  find(key: number, now: number): number {
    const index = this.index, mask = this.mask, h = hashKey(key, this.seed);
    for (let i = h & mask;; i = (i + 1) & mask) {
      const v = index[2 * i + 1]!;
      if (v === 0) return -1;
      if (index[2 * i] !== h || this.rec[2 * (v - 1)] !== key) continue;
      const s = v - 1;
      if (now - this.rec[2 * s + 1]! > this.ttl) {
        this.remove(s);
        return -1;
      }
      if (this.tail !== s) {
        this.unlink(s);
        this.append(s);
      }
      return s;
    }
  }

  /**
   * A slot for `key`, which must be absent (after {@link find} gave -1), seen at `now`.
   * When every slot is taken, the least recently used key is evicted (counted).
   */
  insert(key: number, now: number): number {
    if (this.freeHead < 0) {
      this.remove(this.head);
      this.evictions++;
    }
    const s = this.freeHead;
    this.freeHead = this.links[2 * s + 1]!;
    this.count++;
    this.rec[2 * s] = key;
    this.rec[2 * s + 1] = now;
    if (this.count * 2 > this.mask + 1) this.growIndex();
    insertIntoHashIndex(this.index, this.mask, hashKey(key, this.seed), s);
    this.append(s);
    return s;
  }

  /** Marks a slot's key as seen at `now` (what the ttl counts from). */
  seen(s: number, now: number): void {
    this.rec[2 * s + 1] = now;
  }

  /** Forgets every key idle longer than the ttl, from the front of the order. */
  expire(now: number): void {
    while (this.head >= 0 && now - this.rec[2 * this.head + 1]! > this.ttl) this.remove(this.head);
  }

  /** Doubles the index (while below its maximum) and moves every entry into the new one. */
  private growIndex(): void {
    const size = this.mask + 1;
    if (size >= this.maxIndexEntries) return;
    this.index = doubledHashIndex(this.index, this.mask);
    this.mask = size * 2 - 1;
  }

  private append(s: number): void {
    this.links[2 * s] = this.tail;
    this.links[2 * s + 1] = -1;
    if (this.tail >= 0) this.links[2 * this.tail + 1] = s;
    else this.head = s;
    this.tail = s;
  }

  private unlink(s: number): void {
    const p = this.links[2 * s]!, n = this.links[2 * s + 1]!;
    if (p >= 0) this.links[2 * p + 1] = n;
    else this.head = n;
    if (n >= 0) this.links[2 * n] = p;
    else this.tail = p;
  }

  private remove(s: number): void {
    this.unlink(s);
    removeFromHashIndex(this.index, this.mask, hashKey(this.rec[2 * s]!, this.seed), s);
    this.links[2 * s + 1] = this.freeHead;
    this.freeHead = s;
    this.count--;
  }
}

/** 32-bit hash (as a signed int) of a non-negative integer key below 2^53, from `seed`. */
function hashKey(key: number, seed: number): number {
  let h = mix(seed, key >>> 0);
  h = mix(h, (key / 4294967296) >>> 0);
  h ^= h >>> 13;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 16);
}
