/**
 * Short lists of distinct numbers (ports, address keys) per slot of a {@link KeySlots}, in
 * one pool of typed arrays shared by all slots: no Set or array per key. Each entry may
 * carry a few 32-bit label words (an address and a port) from which the alert writes its
 * sample text. Entries are kept in insertion order and found by a linear scan: lists are
 * bounded by a detector threshold (tens of items), so a scan of a few cache lines beats
 * hashing. The pool grows by doubling when it runs out and recycles freed entries; it never
 * holds more than slots × the longest list a caller allows.
 *
 * @module
 */

const NONE = -1;

/** Per-slot lists of distinct numbers with optional label words per entry. */
export class ItemLists {
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private readonly counts: Int32Array;
  private items = new Float64Array(256);
  private next = new Int32Array(256);
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
    this.labels = new Uint32Array(256 * labelWidth);
    this.threadFree(0);
  }

  /** Items in the slot's list. */
  count(s: number): number {
    return this.counts[s]!;
  }

  /** True when `item` is in the slot's list. */
  has(s: number, item: number): boolean {
    const items = this.items, next = this.next;
    for (let e = this.head[s]!; e !== NONE; e = next[e]!) if (items[e] === item) return true;
    return false;
  }

  /** Appends `item` (the caller checked it is absent); returns its entry, for {@link labels}. */
  push(s: number, item: number): number {
    if (this.freeHead === NONE) this.grow();
    const e = this.freeHead;
    this.freeHead = this.next[e]!;
    this.items[e] = item;
    this.next[e] = NONE;
    const t = this.tail[s]!;
    if (t === NONE) this.head[s] = e;
    else this.next[t] = e;
    this.tail[s] = e;
    this.counts[s] = this.counts[s]! + 1;
    return e;
  }

  /** Empties the slot's list (its entries go back to the pool). */
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
    for (let e = this.head[s]!; e !== NONE && out.length < max; e = this.next[e]!) out.push(e);
    return out;
  }

  /** The item of an entry. */
  item(e: number): number {
    return this.items[e]!;
  }

  private grow(): void {
    const n = this.items.length;
    const items = new Float64Array(n * 2), next = new Int32Array(n * 2);
    items.set(this.items);
    next.set(this.next);
    this.items = items;
    this.next = next;
    if (this.labelWidth > 0) {
      const labels = new Uint32Array(n * 2 * this.labelWidth);
      labels.set(this.labels);
      this.labels = labels;
    }
    this.threadFree(n);
  }

  /** Puts entries `from ..` the end of the pool on the free list. */
  private threadFree(from: number): void {
    const n = this.next.length;
    for (let i = from; i < n; i++) this.next[i] = i + 1 < n ? i + 1 : NONE;
    this.freeHead = from;
  }
}
