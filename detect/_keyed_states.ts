/**
 * Per-key detector state with a hard cap and idle expiry: a `Map` with numeric keys kept in
 * least-recently-used order (a touched key is re-inserted at the end), so that both expiry
 * and eviction pop from the front. Re-insertion costs a Map delete and set, so a key is
 * moved only when its last move is older than ttl/16: the order is approximate, and an
 * idle key may outlive its ttl by at most ttl/16 in memory (never in meaning: `get`
 * checks the ttl exactly).
 *
 * @module
 */

/** State objects carry the time they were last touched, and (managed here) last reordered. */
export interface Timed {
  lastTs: number;
  /** When the entry last moved to the back of the order (set by {@link KeyedStates}). */
  movedTs: number;
}

/** A capped, expiring map of per-key state. */
export class KeyedStates<T extends Timed> {
  private readonly map = new Map<number, T>();
  /** Entries pushed out by the cap. */
  evictions = 0;

  /**
   * @param cap most keys held; the least recently touched is evicted beyond it
   * @param ttl seconds of inactivity after which a key's state is forgotten
   */
  constructor(readonly cap: number, readonly ttl: number) {
    this.slack = ttl / 16;
  }

  private readonly slack: number;

  /** Keys held. */
  get size(): number {
    return this.map.size;
  }

  /** Live state of `key` (touched: moved to the back), or undefined when absent or expired. */
  get(key: number, now: number): T | undefined {
    const s = this.map.get(key);
    if (s === undefined) return undefined;
    if (now - s.lastTs > this.ttl) {
      this.map.delete(key);
      return undefined;
    }
    if (now - s.movedTs > this.slack) {
      this.map.delete(key);
      this.map.set(key, s);
      s.movedTs = now;
    }
    return s;
  }

  /** Stores new state for `key`, evicting the least recently touched key when full. */
  set(key: number, s: T): void {
    this.map.delete(key);
    if (this.map.size >= this.cap) {
      const first = this.map.keys().next();
      if (!first.done) {
        this.map.delete(first.value);
        this.evictions++;
      }
    }
    s.movedTs = s.lastTs;
    this.map.set(key, s);
  }

  /** Drops every state idle longer than the ttl. */
  expire(now: number): void {
    // Entries are in order of movedTs, and lastTs >= movedTs: once an entry moved within
    // the ttl, it and every entry after it are live.
    for (const [k, s] of this.map) {
      if (now - s.lastTs > this.ttl) this.map.delete(k);
      else if (now - s.movedTs <= this.ttl) break;
    }
  }
}
