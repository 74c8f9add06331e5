/**
 * Small sets of distinct numbers (address-pair keys, ports) per slot of a {@link KeySlots},
 * for membership tests on a hot path: each slot that has held an item owns a region of
 * `2 × maxItems` (rounded up to a power of two) cells of one shared pool, an open-addressing
 * table with linear probing, so a lookup reads one or two cache lines where a list walk reads
 * up to `maxItems` entries. A set holds at most `maxItems` items (the owner clears it when
 * full), so its table is never more than half full and a probe always ends at an empty cell.
 * Regions are handed out on a slot's first item and kept by the slot (a reused slot reuses
 * its region); the pool grows by doubling, up to `slots` regions.
 *
 * @module
 */

/** Cell value of an empty cell (items are stored plus one, so 0 is free). */
const EMPTY = 0;

/** Per-slot open-addressing sets of non-negative integers below 2^53. */
export class ItemSets {
  private readonly region: Int32Array;
  private readonly counts: Int32Array;
  private readonly width: number;
  private readonly mask: number;
  private readonly bits: number;
  private cells: Float64Array;
  private regionsUsed = 0;

  /**
   * @param slots number of slots (the owner's `maxKeys`)
   * @param maxItems most items a set holds before its owner clears it
   */
  constructor(private readonly slots: number, readonly maxItems: number) {
    let width = 2, bits = 1;
    while (width < maxItems * 2) {
      width *= 2;
      bits++;
    }
    this.width = width;
    this.mask = width - 1;
    this.bits = bits;
    this.region = new Int32Array(slots).fill(-1);
    this.counts = new Int32Array(slots);
    this.cells = new Float64Array(width * Math.min(slots, 16));
  }

  /** Items in the slot's set. */
  count(s: number): number {
    return this.counts[s]!;
  }

  /** True when `item` is in the slot's set. */
  has(s: number, item: number): boolean {
    const r = this.region[s]!;
    if (r < 0) return false;
    const cells = this.cells, base = r * this.width, mask = this.mask, v = item + 1;
    for (let i = this.home(item);; i = (i + 1) & mask) {
      const c = cells[base + i]!;
      if (c === v) return true;
      if (c === EMPTY) return false;
    }
  }

  /**
   * Adds `item` unless present; returns true when it was added. The set must hold fewer than
   * `maxItems` items (clear it when {@link count} reaches that).
   */
  add(s: number, item: number): boolean {
    let r = this.region[s]!;
    if (r < 0) r = this.assign(s);
    const cells = this.cells, base = r * this.width, mask = this.mask, v = item + 1;
    for (let i = this.home(item);; i = (i + 1) & mask) {
      const c = cells[base + i]!;
      if (c === v) return false;
      if (c === EMPTY) {
        cells[base + i] = v;
        this.counts[s] = this.counts[s]! + 1;
        return true;
      }
    }
  }

  /** Empties the slot's set. */
  clear(s: number): void {
    if (this.counts[s] === 0) return;
    const base = this.region[s]! * this.width;
    this.cells.fill(EMPTY, base, base + this.width);
    this.counts[s] = 0;
  }

  /** The first probe position of an item: a multiplicative hash of both 32-bit halves. */
  private home(item: number): number {
    const h = Math.imul(
      (item >>> 0) ^ Math.imul((item / 4294967296) >>> 0, 0x85ebca6b),
      0x9e3779b1,
    );
    return h >>> (32 - this.bits);
  }

  /** Gives slot `s` a region of the pool (growing the pool when it is used up). */
  private assign(s: number): number {
    const r = this.regionsUsed++;
    const need = (r + 1) * this.width;
    if (need > this.cells.length) {
      const cells = new Float64Array(
        Math.min(this.slots * this.width, Math.max(need, this.cells.length * 2)),
      );
      cells.set(this.cells);
      this.cells = cells;
    }
    this.region[s] = r;
    return r;
  }
}
