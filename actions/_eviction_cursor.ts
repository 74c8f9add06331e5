/**
 * Removes a Map's oldest entries (first in insertion order) in amortised constant time, for
 * caches that keep recency as Map order (a touched key is deleted and set again) and evict
 * the first entry when full.
 *
 * Why not `map.keys().next()`: V8 leaves a hole in the Map's table for each deleted entry
 * until the table is rebuilt, and a new iterator starts at slot 0, so under churn every
 * eviction walks over all the holes left by earlier evictions and touches: 0.7 µs per
 * eviction at 2,000 keys, 5 µs at 10,000, 37 µs at 100,000; 0.2 to 0.6 µs with this cursor
 * (bench/eviction.ts).
 *
 * This cursor keeps one live iterator instead. Map iterators are live by specification
 * (ECMA-262 CreateMapIterator): they skip entries deleted after their creation and visit
 * entries added after it. Every entry before the cursor has been removed (by the cursor or
 * otherwise), so the next live entry after it is the oldest entry of the map: the same one
 * `map.keys().next()` gives, and each hole is passed once.
 *
 * Memory: an iterator holds on to the table it was made on until it next advances, and V8
 * rebuilds tables as a map grows and shrinks. Call {@link EvictionCursor.reset} after removing
 * entries in bulk (a sweep), so that a map that is no longer full does not keep old tables.
 *
 * @module
 */

/** Removes the oldest entries of one Map; see the module doc. */
export class EvictionCursor<K, V> {
  readonly #map: Map<K, V>;
  #iterator: MapIterator<[K, V]> | null = null;

  constructor(map: Map<K, V>) {
    this.#map = map;
  }

  /** Removes the oldest entry of the map and returns it; undefined when the map is empty. */
  shift(): [K, V] | undefined {
    if (this.#map.size === 0) return undefined;
    this.#iterator ??= this.#map.entries();
    let next = this.#iterator.next();
    if (next.done) {
      // Not reached while every entry before the cursor is gone; start over if it were.
      this.#iterator = this.#map.entries();
      next = this.#iterator.next();
      if (next.done) return undefined;
    }
    this.#map.delete(next.value[0]);
    return next.value;
  }

  /** Drops the position (and the tables it holds); the next {@link shift} starts afresh. */
  reset(): void {
    this.#iterator = null;
  }
}
