/**
 * Per-key detector state with a hard cap and idle expiry: a `Map` with numeric keys kept in
 * least-recently-used order (a touched key is re-inserted at the end), so that both expiry
 * and eviction pop from the front.
 *
 * @module
 */

/** State objects carry the time they were last touched. */
export interface Timed {
  lastTs: number;
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
  constructor(readonly cap: number, readonly ttl: number) {}

  /** Keys held. */
  get size(): number {
    return this.map.size;
  }

  /** Live state of `key` (touched: moved to the back), or undefined when absent or expired. */
  get(key: number, now: number): T | undefined {
    const s = this.map.get(key);
    if (s === undefined) return undefined;
    this.map.delete(key);
    if (now - s.lastTs > this.ttl) return undefined;
    this.map.set(key, s);
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
    this.map.set(key, s);
  }

  /** Drops every state idle longer than the ttl. */
  expire(now: number): void {
    for (const [k, s] of this.map) {
      if (now - s.lastTs <= this.ttl) break;
      this.map.delete(k);
    }
  }
}
