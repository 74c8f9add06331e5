/**
 * Short lists of distinct numbers (ports, address keys) per slot of a {@link KeySlots}, in
 * one pool of typed arrays shared by all slots: no Set or array per key. Each entry may
 * carry a few 32-bit label words (an address and a port) from which the alert writes its
 * sample text. Entries are kept in insertion order and found by a linear scan: lists are
 * bounded by a detector threshold (tens of items), so a scan of a few cache lines beats
 * hashing. A list is a chain of chunks of {@link CHUNK} consecutive entries (one 64-byte
 * cache line of items), so the scan reads memory in order rather than chasing one pointer
 * per entry. The pool grows by doubling when it runs out and recycles freed chunks; it never
 * holds more than slots × the longest list a caller allows (rounded up to whole chunks).
 *
 * @module
 */

const NONE = -1;
/** Entries per chunk: 8 items of 8 bytes fill one cache line. */
const CHUNK = 8;

/** Per-slot lists of distinct numbers with optional label words per entry. */
export class ItemLists {
  /** First and last chunk of each slot's list. */
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private readonly counts: Int32Array;
  /** Items, entry `e` of chunk `c` at `c * CHUNK + e`. */
  private items = new Float64Array(32 * CHUNK);
  /** Next chunk of the same list (or of the free list). */
  private next = new Int32Array(32);
  /** Label words of each entry, `labelWidth` per entry. */
  labels: Uint32Array;
  private freeHead = 0;

  /**
   * @param slots number of slots (the owner's `maxKeys`)
   * @param labelWidth 32-bit label words kept per entry (0 for none)
   */
  constructor(slots: number, readonly labelWidth = 0) {
    this.head = new Int32Array(slots).fill(NONE);
    this.tail = new Int32Array(slots).fill(NONE);
    this.counts = new Int32Array(slots);
    this.labels = new Uint32Array(32 * CHUNK * labelWidth);
    this.threadFree(0);
  }

  /** Items in the slot's list. */
  count(s: number): number {
    return this.counts[s]!;
  }

  /** True when `item` is in the slot's list. */
  has(s: number, item: number): boolean {
    const items = this.items, next = this.next;
    let left = this.counts[s]!;
    for (let c = this.head[s]!; left > 0; c = next[c]!) {
      const base = c * CHUNK, end = base + (left < CHUNK ? left : CHUNK);
      for (let e = base; e < end; e++) if (items[e] === item) return true;
      left -= CHUNK;
    }
    return false;
  }

  /** Appends `item` (the caller checked it is absent); returns its entry, for {@link labels}. */
  push(s: number, item: number): number {
    const n = this.counts[s]!, at = n % CHUNK;
    let c = this.tail[s]!;
    if (at === 0) {
      if (this.freeHead === NONE) this.grow();
      const fresh = this.freeHead;
      this.freeHead = this.next[fresh]!;
      this.next[fresh] = NONE;
      if (c === NONE) this.head[s] = fresh;
      else this.next[c] = fresh;
      this.tail[s] = fresh;
      c = fresh;
    }
    const e = c * CHUNK + at;
    this.items[e] = item;
    this.counts[s] = n + 1;
    return e;
  }

  /** Empties the slot's list (its chunks go back to the pool). */
  clear(s: number): void {
    const h = this.head[s]!;
    if (h === NONE) return;
    this.next[this.tail[s]!] = this.freeHead;
    this.freeHead = h;
    this.head[s] = NONE;
    this.tail[s] = NONE;
    this.counts[s] = 0;
  }

  /** The first `max` entries of the slot's list, in insertion order (cold path). */
  entries(s: number, max = Infinity): number[] {
    const out: number[] = [];
    const n = Math.min(this.counts[s]!, max);
    for (let c = this.head[s]!; out.length < n; c = this.next[c]!) {
      for (let i = 0; i < CHUNK && out.length < n; i++) out.push(c * CHUNK + i);
    }
    return out;
  }

  /** The item of an entry. */
  item(e: number): number {
    return this.items[e]!;
  }

  private grow(): void {
    const chunks = this.next.length;
    const items = new Float64Array(chunks * 2 * CHUNK), next = new Int32Array(chunks * 2);
    items.set(this.items);
    next.set(this.next);
    this.items = items;
    this.next = next;
    if (this.labelWidth > 0) {
      const labels = new Uint32Array(chunks * 2 * CHUNK * this.labelWidth);
      labels.set(this.labels);
      this.labels = labels;
    }
    this.threadFree(chunks);
  }

  /** Puts chunks `from ..` the end of the pool on the free list. */
  private threadFree(from: number): void {
    const n = this.next.length;
    for (let i = from; i < n; i++) this.next[i] = i + 1 < n ? i + 1 : NONE;
    this.freeHead = from;
  }
}
